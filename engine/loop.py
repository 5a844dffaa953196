"""Sample, simulate, repair: spend model calls until a candidate passes or the budget is spent.

Round 0 samples ``strategy.samples`` candidates concurrently; each is extracted, screened for
duplicates, screened and simulated by the oracle as soon as it arrives, and the round stops at
the first pass. Each later round repairs the best candidates with distinct failures
(``strategy.repair_width`` of them), showing the model the concrete failing samples; a repair
replaces its parent only if it is not worse. Loop state lives in :class:`RunState` values;
events go to the listener.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import platform
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oracle import CompileError, Oracle, OracleError, SourceText, Status, Verdict

from . import events as ev
from .activity import Activity
from .area import smallest, synthesised
from .extract import extract_verilog, normalise
from .patch.recombine import Contender, compose, plan
from .patch.search import PatchBudget, PatchSearch, unified_diff
from .problem import Problem, has_clock
from .prompts import first_request, fitted_repair, repair_hints
from .providers.base import CompletionRequest, Message, Provider, ProviderError
from .ranking import far_from_passing, rank, signature
from .specfsm import machine_designs
from .spectable import table_designs
from .values import (
    Budget,
    CallRecord,
    Candidate,
    Origin,
    Policy,
    Provenance,
    RunResult,
    RunStatus,
    Strategy,
    call_budget,
)
from .version import __version__

log = logging.getLogger("anvil.engine")

#: the best failing candidates a recombination chooses outputs from
RECOMBINE_POOL = 12
FIX_ONLY_MAX = 8  #: compile errors beyond the patch width given their mechanical fixes alone


#: a verdict and the screen's hints for it
Judged = tuple[Verdict, tuple[str, ...]]


def _done(value: Judged) -> asyncio.Future[Judged]:
    future: asyncio.Future[Judged] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


class _Solved(Exception):
    def __init__(self, candidate: Candidate) -> None:
        self.candidate = candidate


@dataclass
class RunState:
    """Everything the loop knows; mutated only by :class:`Engine` methods."""

    run_id: str
    calls: int = 0
    inflight: int = 0
    tokens: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    #: normalised code -> (candidate id, its verdict and hints once judged)
    by_text: dict[str, tuple[int, asyncio.Future[Judged]]] = field(default_factory=dict)
    best: Candidate | None = None
    next_call: int = 0
    next_candidate: int = 0
    #: candidates the patch search has worked on
    patched: set[int] = field(default_factory=set)
    #: samples drawn after the first round (the adaptive policy's)
    more_samples: int = 0
    #: model calls that answered, and the errors of those that did not
    answered: int = 0
    failures: list[ProviderError] = field(default_factory=list)


class Engine:
    def __init__(self, provider: Provider, oracle: Oracle, *, strategy: Strategy = Strategy(),
                 budget: Budget = Budget(), listener: ev.Listener | None = None, synth: bool = False) -> None:
        self.provider = provider
        self.oracle = oracle
        self.strategy = strategy
        self.max_calls = call_budget(strategy, budget)
        self.budget = budget
        self.emit = listener or (lambda event: None)
        #: synthesise the answer (figures in its verdict); --prefer area does for every pass
        self.synth = synth

    # -- public --------------------------------------------------------------------------

    async def solve(self, problem: Problem, *, run_id: str | None = None) -> RunResult:
        """Run the loop; the ledger's row is finished whatever happens (cancelled, a provider
        that never answered, a broken bench, a fault of the engine's own)."""
        state = RunState(run_id or uuid.uuid4().hex[:12])
        self.activity = Activity()
        self.emit(ev.RunStarted(state.run_id, problem.name, self.manifest(problem)))
        status, reason, rounds = RunStatus.UNSOLVED, "", 0
        try:
            report = await self.oracle.check_bench(problem.bench)
            if not report.usable:  # no model call can help a broken testbench
                return self._finish(state, RunStatus.BROKEN, f"{problem.judge} cannot judge anything: {report.problem}",
                                    0)
            async with asyncio.timeout(self.budget.wall_s):
                rounds = await self._rounds(problem, state)
            reason = "budget spent" if not state.best or not state.best.passed else ""
        except _Solved:
            pass
        except TimeoutError:
            reason = f"wall-time budget of {self.budget.wall_s:g} s spent"
            self.emit(ev.BudgetSpent(state.run_id, reason))
        except asyncio.CancelledError:
            self._finish(state, RunStatus.CANCELLED, "cancelled", rounds)
            raise
        except ProviderError as exc:
            status, reason = RunStatus.ERROR, str(exc)
        except OracleError as exc:  # infrastructure: no model call is spent on it
            status, reason = RunStatus.ERROR, str(exc)
        except Exception as exc:  # a fault of ours: the run ends, recorded, with its cause
            log.exception("run %s failed", state.run_id)
            status, reason = RunStatus.ERROR, f"internal error: {type(exc).__name__}: {exc}"
        if (self.strategy.prefer_area or self.synth) and self._passing(state) and status is not RunStatus.ERROR:
            await self._smallest(problem, state)
        if state.best is not None and state.best.passed:
            status, reason = RunStatus.SOLVED, f"candidate {state.best.id} passes" + (
                f" ({state.best.verdict.synthesis.summary()})" if state.best.verdict.synthesis else "")
        elif status is RunStatus.UNSOLVED and state.answered == 0 and state.failures:
            tries = state.failures[-1].tries
            status = RunStatus.ERROR
            reason = (f"the provider never answered: {state.failures[-1]} ({len(state.failures)} calls failed"
                      + (f", each tried {tries} times)" if tries > 1 else ")"))
        elif status is not RunStatus.ERROR and not reason:
            reason = "no candidate passes"
        return self._finish(state, status, reason, rounds)

    @staticmethod
    def _passing(state: RunState) -> bool:
        return state.best is not None and state.best.passed

    async def _smallest(self, problem: Problem, state: RunState) -> None:
        """``--prefer area``: synthesise the distinct passing candidates, record their figures,
        and make the smallest the answer (engine.area); else (``synth``) only the answer."""
        passing = [c for c in state.candidates if c.passed and c.duplicate_of is None] \
            if self.strategy.prefer_area else [c for c in (state.best,) if c is not None]
        with self.activity.span("sim"):
            figured = await synthesised(self.oracle, passing, problem.top)
        by_id = {c.id: c for c in figured}
        state.candidates = [by_id.get(c.id, c) for c in state.candidates]
        for c in figured:
            self.emit(ev.Synthesised(state.run_id, c))
        state.best = smallest(figured) or state.best

    def _finish(self, state: RunState, status: RunStatus, reason: str, rounds: int) -> RunResult:
        result = self._result(state, status, reason, rounds)
        self.emit(ev.RunFinished(state.run_id, result))
        return result

    def manifest(self, problem: Problem) -> dict[str, Any]:

        def digest(path: Path) -> str:
            try:
                return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            except OSError:
                return ""

        return {
            "problem": problem.name,
            "provider": self.provider.name,
            "model": self.provider.model,
            "strategy": self.strategy.to_dict(),
            "budget": {"calls": self.max_calls, "tokens": self.budget.tokens, "wall_s": self.budget.wall_s},
            "simulator": self.oracle.tools.version,
            "anvil": __version__,
            "python": platform.python_version(),
            "spec_sha": hashlib.sha256(problem.spec.encode()).hexdigest()[:16],
            "testbench": str(problem.bench.testbench),
            "testbench_sha": digest(problem.bench.testbench),
            **({"reference": str(problem.reference), "reference_sha": digest(problem.reference)}
               if problem.reference else {}),
        }

    # -- rounds --------------------------------------------------------------------------

    async def _rounds(self, problem: Problem, state: RunState) -> int:
        s = self.strategy
        first = first_request(problem.spec, top=problem.top, ports=problem.interface)
        if s.patch is not None:  # model-free work is on: the spec's own tables first
            await self._tables(problem, state)
        self.emit(ev.RoundStarted(state.run_id, 0, Origin.SAMPLE, s.samples))
        jobs = [self._attempt(problem, state, first, 0, Origin.SAMPLE, None, s.temperature, s.seed + i)
                for i in range(s.samples)]
        await self._race(jobs)
        if state.best is not None and state.best.passed and not s.prefer_area:
            raise _Solved(state.best)
        if not self._passing(state):
            await self._recombine(problem, state, 0)
            await self._patch(problem, state, 0)
        # a recombination is not repaired: the model would be shown several designs side by side
        heads = [c for c in self._distinct(state.candidates) if c.origin is not Origin.RECOMBINE]
        for round_no in range(1, s.rounds + 1):
            if self._spent(state):
                self.emit(ev.BudgetSpent(state.run_id, self._spent(state)))
                return round_no - 1
            # --prefer area after a pass: fresh samples, for other passing designs
            far = (s.policy is Policy.ADAPTIVE and state.best is not None and far_from_passing(state.best.verdict)) \
                or self._passing(state)
            parents = [] if far else self._distinct(heads)[: s.repair_width]
            width = min(s.repair_width, self.max_calls - state.calls)
            self.emit(ev.RoundStarted(state.run_id, round_no, Origin.SAMPLE if far else Origin.REPAIR, width))
            temperature = s.repair_temperature if s.repair_temperature is not None else s.temperature
            jobs = []
            for i in range(width):
                seed = s.seed + 1000 * round_no + i
                if s.policy is Policy.ADAPTIVE and i >= len(parents):
                    # more samples continue the first round's seeds (a best-of-N recording answers them)
                    seed = s.seed + s.samples + state.more_samples
                    state.more_samples += 1
                code = parents[i].code if i < len(parents) else None
                request = None
                if code is not None:
                    parent = parents[i]
                    request = fitted_repair(problem.spec, code, parent.verdict, top=problem.top,
                                            ports=problem.interface, mode=s.feedback, window=self._window(),
                                            hints=repair_hints(parent.verdict, parent.hints),
                                            design_file=self._label(parent.id))
                if request is not None:
                    jobs.append(self._attempt(problem, state, request, round_no, Origin.REPAIR, parent.id,
                                              temperature, seed))
                else:  # nothing worth repairing (or too long to show the model): sample afresh
                    jobs.append(self._attempt(problem, state, first, round_no, Origin.SAMPLE, None, s.temperature,
                                              seed))
            children = await self._race(jobs)
            heads = self._advance(heads, children, state)
            if not self._passing(state):
                await self._recombine(problem, state, round_no)
                heads = self._advance(heads, await self._patch(problem, state, round_no), state)
        return s.rounds

    async def _race(self, jobs: Sequence[Awaitable[Candidate | None]]) -> list[Candidate]:
        """Run attempts concurrently; a pass cancels the rest (raising _Solved)."""
        tasks = [asyncio.ensure_future(job) for job in jobs]
        done: list[Candidate] = []
        try:
            for next_done in asyncio.as_completed(tasks):
                candidate = await next_done
                if candidate is None:
                    continue
                done.append(candidate)
                if candidate.passed and self.strategy.stop_at_pass and not self.strategy.prefer_area:
                    raise _Solved(candidate)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return done

    def _advance(self, heads: list[Candidate], children: list[Candidate], state: RunState) -> list[Candidate]:
        """A repair replaces its parent among the heads only if it is not worse."""
        out = list(heads)
        for child in children:
            if child.parent is None:
                out.append(child)
                continue
            parent = next((h for h in out if h.id == child.parent), None)
            if parent is None:
                continue
            if child.duplicate_of is None and rank(child.verdict) >= rank(parent.verdict):
                out[out.index(parent)] = child
        return out

    def _distinct(self, pool: Sequence[Candidate]) -> list[Candidate]:
        """Best first, one per failure signature, skipping answers with no code."""
        seen: set[tuple[object, ...]] = set()
        out = []
        for c in sorted(pool, key=lambda c: (rank(c.verdict), -c.id), reverse=True):
            if c.code is None or c.duplicate_of is not None:
                continue
            sig = signature(c.verdict)
            if sig in seen:
                continue
            seen.add(sig)
            out.append(c)
        return out

    # -- the patch search --------------------------------------------------------------------

    async def _patch(self, problem: Problem, state: RunState, round_no: int) -> list[Candidate]:
        """Patch the best distinct failing candidates not patched yet; a pass ends the run."""
        budget = self.strategy.patch
        if budget is None or not budget.active:
            return []
        targets = [c for c in self._distinct(state.candidates) if c.id not in state.patched
                   and c.origin is not Origin.RECOMBINE
                   and c.verdict.status in (Status.FUNCTIONAL_FAIL, Status.COMPILE_ERROR)]
        chosen = targets[: self.strategy.patch_width]
        # every other compile error (each: one "sorry" comes from many designs) gets its mechanical fixes alone
        fix_only = [c for c in state.candidates if c.id not in state.patched and all(c is not t for t in chosen)
                    and c.code and c.duplicate_of is None and c.origin is not Origin.RECOMBINE
                    and c.verdict.status is Status.COMPILE_ERROR][:FIX_ONLY_MAX]
        out = []
        for parent, given in [(c, budget) for c in chosen] + [(c, PatchBudget.fixes_only()) for c in fix_only]:
            assert parent.code is not None  # _distinct keeps only candidates with code
            state.patched.add(parent.id)
            self.emit(ev.PatchStarted(state.run_id, parent.id))
            search = PatchSearch(self.oracle, problem, given, label=f"candidate{parent.id}+patch.sv")
            with self.activity.span("sim"):
                report = await search.run(parent.code, parent.verdict, parent_name=self._label(parent.id))
            self.emit(ev.PatchFinished(state.run_id, parent.id, report.judged, report.edits_tried, report.elapsed_s,
                                       report.best.summary() if report.best else "", report.passed))
            if report.best is None:
                continue
            state.next_candidate += 1
            found = report.best
            edits, diff, base = tuple(e.describe() for e in found.edits), found.diff, parent
            if parent.origin is Origin.PATCH:  # a patched candidate patched again: shown against the model's code
                base = next(c for c in state.candidates if c.id == parent.provenance.base)
                edits = parent.edits + edits
                diff = unified_diff(base.code or "", found.code, self._label(base.id))
            made = Provenance(Origin.PATCH, of=parent.id, base=base.id, edits=edits, calls=state.calls)
            candidate = Candidate(state.next_candidate, round_no, made, found.code, found.verdict,
                                  hints=found.verdict.hints, diff=diff)
            state.by_text.setdefault(normalise(found.code), (candidate.id, _done((found.verdict, found.verdict.hints))))
            self._record(state, candidate)
            if candidate.passed:
                raise _Solved(candidate)
            out.append(candidate)
        return out

    # -- recombination ---------------------------------------------------------------------

    async def _recombine(self, problem: Problem, state: RunState, round_no: int) -> Candidate | None:
        """Judge the failing candidates side by side, each output from the one wrong on it least,
        when the agreement figures predict that this beats each of them alone; a pass ends the run."""
        budget = self.strategy.patch
        outputs = [p.name for p in problem.interface if p.direction == "output"]
        if budget is None or not budget.recombine or len(outputs) < 2:
            return None
        pool = [c for c in sorted(state.candidates, key=lambda c: (rank(c.verdict), -c.id), reverse=True)
                if c.code is not None and c.duplicate_of is None and c.origin is not Origin.RECOMBINE
                and c.verdict.status is Status.FUNCTIONAL_FAIL and c.verdict.agreement is not None][:RECOMBINE_POOL]
        found = plan([Contender(c.id, c.code or "", c.verdict.agreement) for c in pool if c.verdict.agreement],
                     outputs)
        if found is None:
            return None
        codes = {c.id: c.code or "" for c in pool}
        text = compose(found, codes, problem.interface, problem.top)
        made = Provenance(Origin.RECOMBINE, of=found.main, base=found.main, edits=found.describe(), calls=state.calls)
        return None if text is None else await self._made(
            problem, state, round_no, text, made, unified_diff(codes[found.main], text, self._label(found.main),
                                                               "recombined"))

    async def _tables(self, problem: Problem, state: RunState) -> None:
        """The designs the spec's tables and state machines give (engine.spectable, engine.specfsm),
        before any model call; a pass ends the run."""
        for design in [*table_designs(problem.spec, problem.interface, problem.top,
                                      clocked=has_clock(problem.interface)),
                       *machine_designs(problem.spec, problem.interface, problem.top)]:
            made = Provenance(Origin.TABLE, edits=design.derivation, calls=state.calls)
            await self._made(problem, state, 0, design.code, made, unified_diff("", design.code, "spec", "table"))

    async def _made(self, problem: Problem, state: RunState, round_no: int, text: str, made: Provenance,
                    diff: str) -> Candidate | None:
        """Judge and record a design written without the model (None: its text was judged before)."""
        if normalise(text) in state.by_text:
            return None
        state.next_candidate += 1
        cid = state.next_candidate
        verdict, hints = await self._check_and_simulate(problem, text, self._label(cid))
        candidate = Candidate(cid, round_no, made, text, verdict, hints=hints, diff=diff)
        state.by_text[normalise(text)] = (cid, _done((verdict, hints)))
        self._record(state, candidate)
        if candidate.passed:
            raise _Solved(candidate)
        return candidate

    def _record(self, state: RunState, candidate: Candidate) -> None:
        state.candidates.append(candidate)
        if state.best is None or rank(candidate.verdict) > rank(state.best.verdict):
            state.best = candidate
        self.emit(ev.CandidateJudged(state.run_id, candidate, state.best))
        if candidate.passed:
            self.emit(ev.Solved(state.run_id, candidate))

    # -- one attempt ---------------------------------------------------------------------

    def _spent(self, state: RunState) -> str:
        if state.calls + state.inflight >= self.max_calls:
            return f"call budget of {self.max_calls} spent"
        if self.budget.tokens is not None and state.tokens >= self.budget.tokens:
            return f"token budget of {self.budget.tokens} spent"
        return ""

    async def _attempt(self, problem: Problem, state: RunState, messages: Sequence[Message], round_no: int,
                       origin: Origin, parent: int | None, temperature: float, seed: int) -> Candidate | None:
        if self._spent(state):
            return None
        state.inflight += 1
        state.next_call += 1
        state.next_candidate += 1
        call_id, cid = state.next_call, state.next_candidate
        request = CompletionRequest(tuple(messages), temperature=temperature, max_tokens=self.strategy.max_tokens,
                                    seed=seed)
        try:
            with self.activity.span("model"):
                completion = await self.provider.complete(request)
        except ProviderError as exc:
            state.inflight -= 1
            state.calls += 1
            state.failures.append(exc)
            self.emit(ev.CallFinished(state.run_id, CallRecord(call_id, origin, round_no, 0, 0, 0.0,
                                                               self.provider.model, str(exc))))
            if not exc.retryable:
                raise
            return None
        state.inflight -= 1
        state.calls += 1
        state.answered += 1
        state.tokens += completion.prompt_tokens + completion.completion_tokens
        self.emit(ev.CallFinished(state.run_id, CallRecord(
            call_id, origin, round_no, completion.prompt_tokens, completion.completion_tokens,
            round(completion.latency_s, 3), completion.model)))
        made = Provenance(origin, call=call_id, of=parent, calls=call_id)
        candidate = await self._judge(problem, state, completion.text, round_no, made, cid)
        self._record(state, candidate)
        return candidate

    def _window(self) -> int | None:
        """How many prompt tokens the model takes (its context less the answer), when it says."""
        context: int | None = getattr(self.provider, "context_tokens", None)
        return context - self.strategy.max_tokens if context else None

    def _label(self, cid: int) -> str:
        return f"candidate{cid}.sv"

    async def _judge(self, problem: Problem, state: RunState, text: str, round_no: int, made: Provenance,
                     cid: int) -> Candidate:
        label = self._label(cid)
        code = extract_verilog(text, problem.top)
        if code is None:
            verdict = Verdict(Status.COMPILE_ERROR, simulator=self.oracle.tools.version,
                              compile_errors=(CompileError(None, None, "the answer contains no Verilog module"),),
                              reason="no Verilog in the answer")
            return Candidate(cid, round_no, made, None, verdict)
        key = normalise(code)
        twin = state.by_text.get(key)
        if twin is not None:  # same text as an earlier candidate: same verdict, no simulation
            twin_id, earlier = twin
            verdict, hints = await asyncio.shield(earlier)
            return Candidate(cid, round_no, made, code, verdict, duplicate_of=twin_id, hints=hints)
        judged: asyncio.Future[Judged] = asyncio.get_running_loop().create_future()
        state.by_text[key] = (cid, judged)
        try:
            verdict, hints = await self._check_and_simulate(problem, code, label)
        except BaseException:
            del state.by_text[key]  # not judged after all: a later twin must be simulated
            judged.cancel()
            raise
        judged.set_result((verdict, hints))
        return Candidate(cid, round_no, made, code, verdict, hints=hints)

    async def _check_and_simulate(self, problem: Problem, code: str, label: str) -> Judged:
        """The oracle screens (ports against the problem's interface, among the rest) and
        simulates; its parser's messages come back as hints for repair prompts. A verdict that is
        the infrastructure's (``error``) ends the run: no model call can help it."""
        with self.activity.span("sim"):
            verdict = await self.oracle.simulate(SourceText(label, code), problem.bench,
                                                 interface=problem.interface or None, exact=problem.exact,
                                                 agreement=self.strategy.patch is not None)
        if verdict.status is Status.ERROR:
            raise OracleError(f"the oracle could not judge {label}: {verdict.reason}")
        return verdict, verdict.hints

    def _result(self, state: RunState, status: RunStatus, reason: str, rounds: int) -> RunResult:
        return RunResult(state.run_id, status, state.best, tuple(state.candidates), state.calls, state.tokens,
                         rounds, reason, self.activity.timings())


__all__ = ["Engine"]
