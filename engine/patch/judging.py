"""Judging a node's edits: one compilation for many (a schema, :mod:`.schema`), one each for the rest.

Every verdict a schema gives is what the oracle gives the edited design alone (the tests hold the
two paths side by side); the search still judges again, one compilation each, every child that
passes, that it expands or that it returns (:meth:`engine.patch.search.PatchSearch.confirm`), so
what it returns and explains is the ordinary oracle's verdict, with the screen's hints and the
lines that drive each output.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from oracle import CompileError, Oracle, Selector, SourceText, Status, Verdict

from ..problem import Problem
from .edit import Edit
from .schema import build
from .source import Source

#: variants in one schema: small enough that an early pass stops the search soon, large enough
#: that the compilation is shared widely
PER_SCHEMA = 24
#: fewer edits than this are judged one by one
MIN_SCHEMA = 6


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    exact: bool  # judged alone (False: a choice of a schema, without hints and drivers)


class EditJudge:
    def __init__(self, oracle: Oracle, problem: Problem, single: Callable[[str], Awaitable[Verdict]],
                 timeout: Callable[[], float | None], label: str) -> None:
        self.oracle = oracle
        self.problem = problem
        self.single = single
        self.timeout = timeout
        self.label = label
        self.runs = 0  # simulations run by schemata
        self.schemata = 0
        self.failed = 0  # schemata that could not run (their edits were judged one by one)
        #: edits judged one by one, by why: few (a batch too small for a schema), unplaced (no
        #: anchor), failed (their schema could not run)
        self.alone: Counter[str] = Counter()

    async def many(self, source: Source | None, pairs: Sequence[tuple[Edit, str]], *,
                   spread: bool = True) -> list[Judged]:
        """The verdict of each (edit, edited text), in order; ``spread``: at least one schema per
        worker (else as few as hold them: the caller keeps the workers busy with other calls)."""
        if source is None or len(pairs) < MIN_SCHEMA or self.problem.bench.cocotb:
            self.alone["few"] += len(pairs)
            return [Judged(v, True) for v in await asyncio.gather(*(self.single(t) for _, t in pairs))]
        index = {id(e): i for i, (e, _) in enumerate(pairs)}
        out: list[Judged | None] = [None] * len(pairs)
        probe = Selector.fresh()
        _, rest = build(source, [e for e, _ in pairs], probe)
        placed = [e for e, _ in pairs if all(e is not r for r in rest)]
        if len(placed) < MIN_SCHEMA:
            rest, placed = [e for e, _ in pairs], []
        groups = _split(placed, max(1, self.oracle.workers) if spread else 1, PER_SCHEMA)

        async def alone(e: Edit, why: str) -> None:
            self.alone[why] += 1
            i = index[id(e)]
            out[i] = Judged(await self.single(pairs[i][1]), True)

        async def schema(group: list[Edit], retry: bool = True) -> None:
            selector = Selector.fresh()
            built, left = build(source, group, selector)
            if built is None:
                await asyncio.gather(*(alone(e, "unplaced") for e in group))
                return
            self.schemata += 1
            result = await self.oracle.simulate_variants(
                SourceText(self.label, built.text), self.problem.bench, selector, len(built.edits),
                timeout_s=self.timeout(), interface=self.problem.interface or None, exact=self.problem.exact,
                agreement=True)
            if isinstance(result, list):
                self.runs += len(result)
                for e, v in zip(built.edits, result):
                    out[index[id(e)]] = Judged(v, False)
                await asyncio.gather(*(alone(e, "unplaced") for e in left))
                return
            self.failed += 1
            blamed = {k for err in result.compile_errors for line in _lines(err) for k in built.choices_at(line)}
            if retry and result.status is Status.COMPILE_ERROR and blamed:
                culprits = [built.edits[k - 1] for k in sorted(blamed)]
                others = [e for e in group if all(e is not c for c in culprits)]
                await asyncio.gather(*(alone(e, "failed") for e in culprits), schema(others, retry=False) if others
                                     else asyncio.sleep(0))
                return
            await asyncio.gather(*(alone(e, "failed") for e in group))

        await asyncio.gather(*(schema(g) for g in groups), *(alone(e, "unplaced") for e in rest))
        assert all(j is not None for j in out)
        return [j for j in out if j is not None]


_LINES = re.compile(r"\blines? (\d+)(?: and (\d+))?")


def _lines(error: CompileError) -> set[int]:
    """The lines an error is about: its own, and those its message names ("written by two always
    blocks (lines 18 and 34)": either may be a variant's)."""
    named = {int(n) for m in _LINES.finditer(error.message) for n in m.groups() if n}
    return named | ({error.line} if error.line else set())


def _split(edits: list[Edit], workers: int, size: int) -> list[list[Edit]]:
    """At least one group per worker when there is enough, each at most ``size``."""
    if not edits:
        return []
    count = max(workers, -(-len(edits) // size))
    count = min(count, len(edits))
    return [edits[i::count] for i in range(count)]


__all__ = ["EditJudge", "Judged", "MIN_SCHEMA", "PER_SCHEMA"]
