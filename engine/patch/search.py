"""The patch search: best-first over single edits, then pairs, judged by the oracle in parallel.

A node is a text and its verdict (with the oracle's agreement figures). Expanding a node judges
its edits, most suspicious first: compile errors get the mechanical fixes, functional failures
the templates on the failing outputs' cone. Only a child fitter than its parent
(:func:`fitness`) is kept for expanding; a pass ends the search. The budget is a number of
simulations and seconds; texts judged once are not judged again.
"""

from __future__ import annotations

import asyncio
import difflib
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace

from oracle import Oracle, SourceText, Status, Verdict

from ..extract import normalise
from ..problem import Problem, has_clock
from .edits import Edit, apply, candidate_edits
from .fitness import Fitness, fitness, improves, weights
from .fixes import fixes
from .judging import MIN_SCHEMA, PER_SCHEMA, EditJudge, Judged
from .source import Source, parse


@dataclass(frozen=True)
class PatchBudget:
    simulations: int = 1000
    seconds: float = 20.0
    depth: int = 3  # edits on top of each other
    beam: int = 4  # children kept for expanding, per node
    schemata: bool = True  # judge many edits with one compilation (engine.patch.schema)
    #: after a round, failing candidates side by side, each output from the one right on it (engine.patch.recombine)
    recombine: bool = True

    @property
    def active(self) -> bool:
        return self.simulations > 0 and self.seconds > 0

    @classmethod
    def fixes_only(cls) -> PatchBudget:
        """A compile error's mechanical fixes, one or two deep, a few simulations: for the compile
        errors beyond the patch width."""
        return cls(simulations=16, seconds=5.0, depth=2, recombine=False)


@dataclass(frozen=True)
class Patched:
    """The model's code with the edits that made it better (or made it pass)."""

    code: str
    verdict: Verdict
    edits: tuple[Edit, ...]
    diff: str

    def summary(self) -> str:
        return "; ".join(e.describe() for e in self.edits)


@dataclass(frozen=True)
class PatchReport:
    best: Patched | None  # the fittest improvement found (None: nothing improved)
    judged: int  # simulations run
    edits_tried: int
    elapsed_s: float
    parent_fitness: Fitness = ()
    by_schema: int = 0  # of the simulations, those run as a choice of a schema
    schemata: int = 0  # schemata compiled
    #: edits whose verdicts the search read and decided on: the same from run to run, where
    #: ``judged`` also counts slices sent ahead that had finished when the search stopped
    decided: int = 0

    @property
    def passed(self) -> bool:
        return self.best is not None and self.best.verdict.passed

    @property
    def rate(self) -> float:
        """Edits judged per second."""
        return self.judged / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(order=True)
class _Node:
    priority: tuple[float, ...]
    order: int
    text: str = field(compare=False)
    verdict: Verdict = field(compare=False)
    edits: tuple[Edit, ...] = field(compare=False, default=())
    exact: bool = field(compare=False, default=True)  # False: a schema's verdict, without hints and drivers




#: the shortest deadline an edited design gets (see edit_timeout)
MIN_EDIT_TIMEOUT_S = 0.3


def edit_timeout(oracle: Oracle, parent: Verdict) -> float:
    """The deadline of one edited design: an edit that hangs (a combinational loop, an event
    control that never fires) must not eat the budget, and a design one edit from its parent
    runs about as long as the parent. So 20 times the parent's run, the runner's own time on it
    when known (``elapsed_s`` also counts waiting for a worker and, on a process's first run,
    starting the runner: 20x of that gave edits that hang 6 s each), at least
    ``MIN_EDIT_TIMEOUT_S`` (a few times a small bench's whole run on busy cores), at most the
    oracle's own timeout."""
    return min(oracle.timeout_s, max(MIN_EDIT_TIMEOUT_S, 20 * (parent.run_s or parent.elapsed_s)))


class PatchSearch:
    def __init__(self, oracle: Oracle, problem: Problem, budget: PatchBudget = PatchBudget(), *,
                 label: str = "patch.sv", on_progress: Callable[[int, Fitness], None] | None = None,
                 timeout_s: float | None = None) -> None:
        self.oracle = oracle
        self.problem = problem
        self.budget = budget
        self.label = label
        self.on_progress = on_progress
        self.timeout_s = timeout_s
        self.judged = 0
        self.by_schema = 0
        self.tried = 0
        self.sequential = has_clock(problem.interface) if problem.interface else True
        self.batch = EditJudge(oracle, problem, self.judge, lambda: self.timeout_s, label)
        self.confirming: dict[str, asyncio.Future[Verdict]] = {}

    def fit(self, verdict: Verdict) -> Fitness:
        return fitness(verdict, sequential=self.sequential)

    async def judge(self, text: str) -> Verdict:
        self.judged += 1
        return await self.oracle.simulate(SourceText(self.label, text), self.problem.bench, timeout_s=self.timeout_s,
                                          interface=self.problem.interface or None, exact=self.problem.exact,
                                          agreement=True)

    def edits_for(self, node: _Node) -> tuple[list[Edit], Source | None]:
        """The node's edits, most suspicious first, and its parsed source (None: no schemata)."""
        v = node.verdict
        if v.status is Status.COMPILE_ERROR:
            return fixes(node.text, v.compile_errors, v.hints), None
        if v.status is not Status.FUNCTIONAL_FAIL:
            return [], None
        source = parse(node.text)
        if source is None:
            return [], None
        return candidate_edits(source, weights(v), verdict=v), source if self.budget.schemata else None

    async def judge_batch(self, source: Source | None, batch: list[tuple[Edit, str]]) -> list[Judged]:
        """Each edit's verdict; a schema's verdict that passes is judged again alone, and that
        verdict is used (the rest are judged alone when the search expands them or returns them,
        :meth:`confirm`)."""
        judged = await self.batch.many(source, batch, spread=False)
        runs = sum(not j.exact for j in judged)  # the schemata's choices (judged alone: counted by judge)
        self.judged += runs
        self.by_schema += runs
        again = [i for i, j in enumerate(judged) if not j.exact and j.verdict.passed]
        for i, v in zip(again, await asyncio.gather(*(self.judge(batch[i][1]) for i in again))):
            judged[i] = Judged(v, True)
        return judged

    async def confirm(self, node: _Node) -> _Node:
        """The node with the oracle's own verdict on its text (the screen's hints and the lines
        that drive each output, which a schema's verdict lacks); every verdict a schema gives is
        the one the oracle gives alone in all else (tests/engine/test_schema_exact.py)."""
        if node.exact:
            return node
        return replace(node, verdict=await self.early_confirm(node.text), exact=True)

    def early_confirm(self, text: str) -> asyncio.Future[Verdict]:
        """The oracle's own verdict on ``text``, started now (while the node's other edits are
        judged, a worker would otherwise wait for the slowest of them) and kept for
        :meth:`confirm`."""
        future = self.confirming.get(text)
        if future is None:
            future = self.confirming[text] = asyncio.ensure_future(self.judge(text))
        return future

    async def _slices(self, text: str, edits: list[Edit], source: Source | None, seen: set[str],
                      deadline: float) -> AsyncGenerator[list[tuple[Edit, str, Judged]], None]:
        """Each slice of ``edits`` (:func:`_batches`) applied to ``text`` and judged, in order;
        one slice more than there are workers is sent before the first is read, so the workers
        never wait for the search between slices (the results are still read in order, so the
        search decides as it would one slice at a time). Texts judged before (``seen``) are
        skipped; nothing is sent past the budget or ``deadline``, and what is still running when
        the caller stops is cancelled."""
        workers = max(1, self.oracle.workers)
        ahead = workers + 1
        slices = iter(_batches(len(edits), workers, schemata=source is not None))
        pending: deque[tuple[list[tuple[Edit, str]], asyncio.Future[list[Judged]]]] = deque()
        sent = 0  # edits sent and not yet counted in self.judged

        def send() -> bool:
            nonlocal sent
            for lo, hi in slices:
                if self.judged + sent >= self.budget.simulations or time.monotonic() >= deadline:
                    return False
                batch = []
                for edit in edits[lo:hi]:
                    changed = apply(text, [edit])
                    key = normalise(changed)
                    if key not in seen:
                        seen.add(key)
                        batch.append((edit, changed))
                if batch:
                    self.tried += len(batch)
                    sent += len(batch)
                    pending.append((batch, asyncio.ensure_future(self.judge_batch(source, batch))))
                    return True
            return False

        try:
            while len(pending) < ahead and send():
                pass
            while pending:
                batch, future = pending[0]
                try:
                    judged = await asyncio.wait_for(asyncio.shield(future), max(0.1, deadline - time.monotonic()))
                except TimeoutError:
                    return
                pending.popleft()
                sent -= len(batch)
                while len(pending) < ahead and send():
                    pass
                yield [(edit, changed, j) for (edit, changed), j in zip(batch, judged)]
        finally:
            for _, future in pending:
                future.cancel()
            await asyncio.gather(*(future for _, future in pending), return_exceptions=True)

    async def run(self, code: str, verdict: Verdict | None = None, *, parent_name: str = "candidate.sv") -> PatchReport:
        """Search from ``code`` (its ``verdict`` is judged again with agreement figures if it
        lacks them)."""
        start = time.monotonic()
        deadline = start + self.budget.seconds
        if verdict is None or (verdict.status is Status.FUNCTIONAL_FAIL and verdict.agreement is None):
            verdict = await self.judge(code)
        if self.timeout_s is None:
            self.timeout_s = edit_timeout(self.oracle, verdict)
        root_fit = self.fit(verdict)
        order = itertools.count()
        root = _Node(_neg(root_fit), next(order), code, verdict)
        frontier = [root]
        seen = {normalise(code)}
        best: _Node | None = None
        decided = 0

        async def report() -> PatchReport:
            nonlocal best
            patched = None
            if best is not None:
                best = await self.confirm(best)
                patched = Patched(best.text, best.verdict, best.edits, unified_diff(code, best.text, parent_name))
            unused = [f for f in self.confirming.values() if not f.done()]
            for future in unused:
                future.cancel()
            await asyncio.gather(*unused, return_exceptions=True)
            return PatchReport(patched, self.judged, self.tried, round(time.monotonic() - start, 3), root_fit,
                               self.by_schema, self.batch.schemata, decided)

        while frontier and self.judged < self.budget.simulations and time.monotonic() < deadline:
            node = heapq.heappop(frontier)
            if len(node.edits) >= self.budget.depth:
                continue
            node = await self.confirm(node)
            node_fit = _neg(node.priority)
            share = self.budget.simulations * (0.6 if node is root else 0.2)
            edits, source = self.edits_for(node)
            edits = edits[: max(1, int(share))]
            kept: list[_Node] = []
            equal: list[_Node] = []
            flipped: list[_Node] = []  # an output now (nearly) the complement of the reference's
            passed: _Node | None = None
            async with aclosing(self._slices(node.text, edits, source, seen, deadline)) as slices:
                async for judged in slices:
                    for edit, text, j in judged:
                        decided += 1
                        v = j.verdict
                        child_fit = self.fit(v)
                        child = _Node(_neg(child_fit), next(order), text, v, node.edits + (edit,), j.exact)
                        if v.passed:
                            best = passed = child
                            break
                        if improves(v, node.verdict, sequential=self.sequential):
                            kept.append(child)
                            if best is None or child_fit > _neg(best.priority):
                                best = child
                        elif child_fit == node_fit and v.status is node.verdict.status:
                            equal.append(child)
                        elif complements(v) and not complements(node.verdict):
                            flipped.append(child)
                    if self.on_progress is not None:
                        self.on_progress(self.judged, _neg(best.priority) if best else root_fit)
                    if passed is not None:
                        break
                    upcoming = _upcoming(frontier, kept, equal, flipped, root=node is root, budget=self.budget)
                    if upcoming is not None and not upcoming.exact:
                        # expanded next if the node's other edits change nothing: the oracle's own
                        # verdict on it now, while they run
                        self.early_confirm(upcoming.text)
            if passed is not None:
                return await report()
            for child in _pushed(kept, equal, root=node is root, beam=self.budget.beam):
                heapq.heappush(frontier, child)
            if flipped:
                # an edit that turns an output into the complement of the right one is one inversion
                # from fixing it, however unfit it looks (a reset fixed behind an inverted output):
                # expanded next
                child = flipped[0]
                first = tuple(-math.inf for _ in node.priority)
                heapq.heappush(frontier, replace(child, priority=first, order=next(order)))
        return await report()


def _upcoming(frontier: list[_Node], kept: list[_Node], equal: list[_Node], flipped: list[_Node], *, root: bool,
              budget: PatchBudget) -> _Node | None:
    """The node :meth:`PatchSearch.run` would expand next if the node being expanded had no more
    edits: the first of its children made the complement of an output, else the fittest of the
    frontier and of the children it would push there (none as deep as the budget allows)."""
    if flipped and len(flipped[0].edits) < budget.depth:
        return flipped[0]
    pushed = _pushed(kept, equal, root=root, beam=budget.beam)
    return min((n for n in (*frontier, *pushed) if len(n.edits) < budget.depth), default=None)


def _pushed(kept: list[_Node], equal: list[_Node], *, root: bool, beam: int) -> list[_Node]:
    """The children a node's expansion puts on the frontier: the ``beam`` fittest of those that
    improve on it, or, at a root none improves on (a plateau), two of its neutral edits to try in
    pairs (the most suspicious)."""
    return sorted(kept)[:beam] if kept else (equal[:2] if root else [])


def complements(verdict: Verdict, share: float = 0.9) -> bool:
    """Some output is wrong in at least ``share`` of its bits over every sample, and most reported
    mismatches show known values (an unknown register before the first reset is allowed): (nearly)
    the complement of the reference's output."""
    a = verdict.agreement
    if verdict.status is not Status.FUNCTIONAL_FAIL or a is None or a.samples < 8:
        return False
    unknown = sum(1 for m in verdict.mismatches if m.actual and any(c in "xXzZ" for c in m.actual.split("'")[-1]))
    if 2 * unknown > len(verdict.mismatches):
        return False
    return any(o.width and o.bits >= share * a.samples * o.width for o in a.outputs.values())


def _batches(count: int, workers: int, *, schemata: bool) -> list[tuple[int, int]]:
    """The slices of a node's edits judged together, most suspicious first: with schemata, at
    most a schema's worth each, as many slices as a multiple of the workers (so the last ones end
    together, no worker waiting for the slowest) and none below a schema's least; without, two
    per worker."""
    if not schemata:
        size = 2 * workers
        return [(lo, min(lo + size, count)) for lo in range(0, count, size)]
    slices = -(-count // PER_SCHEMA)
    slices = max(1, min(-(-slices // workers) * workers, count // MIN_SCHEMA))
    cuts = [count * k // slices for k in range(slices + 1)]
    return [(lo, hi) for lo, hi in zip(cuts, cuts[1:]) if hi > lo]


def _neg(fit: Fitness) -> Fitness:
    """A heap key (smallest first) from a fitness (largest best), and back."""
    return tuple(-x for x in fit)


def unified_diff(before: str, after: str, name: str, how: str = "patch") -> str:
    stem = name[:-3] if name.endswith(".sv") else name
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=name, tofile=f"{stem}+{how}.sv"))


__all__ = ["MIN_EDIT_TIMEOUT_S", "PatchBudget", "PatchReport", "PatchSearch", "Patched", "edit_timeout", "unified_diff"]

