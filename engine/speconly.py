"""The spec-only run: sample, screen, group by behaviour, ask where the largest groups disagree.

The budget's calls are all samples (there are no failing vectors to repair from). Answers given
before (the testbench of answers beside the spec) and during the run drop the candidates that
contradict them; the largest remaining group's first member is the answer, reported as
``unverified`` with how many candidates agree (:class:`engine.values.RunStatus`), never as a pass.
Events go to the listener as for the loop, so the ledger records the run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oracle import DEFAULT_TOP, Bench, Oracle, Port, SourceText, Status, Verdict
from oracle.scratch import mkdtemp

from . import events as ev
from .activity import Activity
from .consensus import Answers, Peers, Question, SpecOnlyError
from .difftb import Roles
from .extract import extract_verilog, normalise
from .prompts import first_request
from .providers.base import CompletionRequest, Provider, ProviderError
from .specports import module_from_spec, ports_from_spec
from .values import CallRecord, Candidate, Origin, Provenance, RunResult, RunStatus, Strategy
from .version import __version__

#: answers a question (its key, text and choices) with a value, or None to stop asking
Ask = Callable[[Question], Awaitable[str | None]]
#: called with the answers after each new one (to keep them in a file)
Keep = Callable[[Answers], None]
#: questions asked in one run at most
MAX_QUESTIONS = 3
#: the verdict of a candidate that compiles and runs: nothing in spec-only mode says more
RUNS = "compiles and runs; spec-only mode judges by agreement, not by a testbench"


@dataclass(frozen=True)
class SpecOnlyProblem:
    """A spec and the module it asks for, with the ports it lists (no bench)."""

    name: str
    spec: str
    top: str
    interface: tuple[Port, ...]


@dataclass(frozen=True)
class SpecOnlySetup:
    """What a spec-only run starts from: the problem, the answers kept so far and their file."""

    problem: SpecOnlyProblem
    answers: Answers
    #: the testbench of answers (``X_questions_tb.sv`` beside the spec unless given)
    kept: Path
    #: does the design have a clock (questions then speak of cycles)
    clocked: bool


def answers_file(spec: Path, name: str) -> Path:
    """Where a spec's answers are kept by default: ``X_questions_tb.sv`` beside it."""
    return spec.with_name(f"{name}_questions_tb.sv")


def prepare(name: str, spec: str, kept: Path, *, top: str | None = None) -> SpecOnlySetup:
    """The spec-only run of ``spec`` with the answers in ``kept``; SpecOnlyError (one line) when
    the spec lists no output port, its ports cannot be driven, or ``kept`` is not Anvil's."""
    ports = ports_from_spec(spec)
    top = top or module_from_spec(spec) or DEFAULT_TOP
    if not any(p.direction == "output" for p in ports):
        raise SpecOnlyError(f"the spec lists no {'output ' if ports else ''}ports; without a testbench or a "
                            "reference Anvil needs them (lines such as '- input clk', '- output [3:0] count'), "
                            "or give a testbench or a reference")
    try:
        clocked = Roles.of(ports).clock is not None
    except ValueError as exc:
        raise SpecOnlyError(f"the spec's ports cannot be driven by a generated stimulus ({exc})") from None
    answers = Answers.read(kept, top, ports)
    return SpecOnlySetup(SpecOnlyProblem(name, spec, top, ports), answers, kept, clocked)


@dataclass(frozen=True)
class SpecOnlyResult:
    result: RunResult
    #: usable candidates (compile and run) grouped by behaviour, largest first
    groups: tuple[tuple[int, ...], ...]
    usable: int
    #: questions answered in this run
    asked: tuple[Question, ...] = ()
    #: the question left open (not answered), if any
    open: Question | None = None
    #: answers that held before the run (the kept testbench) and now
    answers: int = 0

    @property
    def answer(self) -> Candidate | None:
        return self.result.best

    @property
    def agree(self) -> int:
        return len(self.groups[0]) if self.groups else 0


@dataclass
class _State:
    run_id: str
    calls: int = 0
    tokens: int = 0
    failures: list[ProviderError] = field(default_factory=list)


class SpecOnly:
    def __init__(self, provider: Provider, oracle: Oracle, *, strategy: Strategy, samples: int,
                 listener: ev.Listener | None = None) -> None:
        self.provider = provider
        self.oracle = oracle
        self.strategy = strategy
        self.samples = samples
        self.emit: ev.Listener = listener or (lambda _e: None)
        self.activity = Activity()

    async def run(self, problem: SpecOnlyProblem, answers: Answers, *, ask: Ask | None = None, keep: Keep | None = None,
                  max_questions: int = MAX_QUESTIONS) -> SpecOnlyResult:
        state = _State(uuid.uuid4().hex[:12])
        peers = Peers(self.oracle, problem.top, problem.interface)
        self.emit(ev.RunStarted(state.run_id, problem.name, {
            "problem": problem.name, "mode": "spec-only", "provider": self.provider.name,
            "model": self.provider.model, "strategy": self.strategy.to_dict(), "samples": self.samples,
            "budget": {"calls": self.samples, "tokens": None, "wall_s": None},
            "simulator": self.oracle.tools.version, "anvil": __version__}))
        self.emit(ev.RoundStarted(state.run_id, 0, Origin.SAMPLE, self.samples))
        texts = await asyncio.gather(*(self._sample(problem, state, i) for i in range(self.samples)))
        candidates = await self._screen(problem, peers, state, texts)
        usable = [c for c in candidates if c.code and c.verdict.reason == RUNS]
        codes = {c.id: c.code or "" for c in usable}
        asked: list[Question] = []
        open_question = None
        while True:
            # answers only grow: a candidate that contradicted one is not simulated again
            codes = {cid: codes[cid] for cid in await self._agreeing(codes, answers, problem.name)}
            groups = await peers.groups(codes) if codes else []
            if len(groups) < 2 or len(asked) >= max_questions or ask is None:
                break
            question = await peers.question(codes, groups[0], groups[1])
            if question is None:
                break
            value = await ask(question)
            if value is None:
                open_question = question
                break
            answers.add(question, value)
            asked.append(question)
            if keep is not None:
                keep(answers)
        by_id = {c.id: c for c in candidates}
        best = by_id[groups[0][0]] if groups else None
        if best is not None:
            status = RunStatus.UNVERIFIED
            if len(groups[0]) > 1 or len(usable) == 1:
                reason = f"unverified: {len(groups[0])} of {len(usable)} candidates agree"
            elif len(groups) == 1:  # the others gave another value than an answer
                reason = f"unverified: 1 of {len(usable)} candidates, the only one that gives your answers"
            else:
                reason = f"unverified: no two of {len(usable)} candidates agree (the first is given)"
        elif usable and answers.answered:
            status, reason = RunStatus.UNSOLVED, "no candidate agrees with your answers"
        else:
            status, reason = RunStatus.UNSOLVED, "no candidate compiles and runs"
        if state.failures and len(state.failures) == state.calls:  # no call answered
            status, reason = RunStatus.ERROR, str(state.failures[-1])
        result = RunResult(state.run_id, status, best, tuple(candidates), state.calls, state.tokens, 1, reason,
                           self.activity.timings())
        self.emit(ev.RunFinished(state.run_id, result))
        return SpecOnlyResult(result, tuple(tuple(g) for g in groups), len(usable), tuple(asked), open_question,
                              len(answers.answered))

    async def _sample(self, problem: SpecOnlyProblem, state: _State, i: int) -> str | None:
        request = CompletionRequest(first_request(problem.spec, top=problem.top, ports=problem.interface),
                                    temperature=self.strategy.temperature, max_tokens=self.strategy.max_tokens,
                                    seed=self.strategy.seed + i)
        started = time.perf_counter()
        try:
            with self.activity.span("model"):
                completion = await self.provider.complete(request)
        except ProviderError as exc:
            state.calls += 1
            state.failures.append(exc)
            self.emit(ev.CallFinished(state.run_id, CallRecord(i + 1, Origin.SAMPLE, 0, 0, 0,
                                                               round(time.perf_counter() - started, 3),
                                                               self.provider.model, str(exc))))
            if not exc.retryable:
                raise
            return None
        state.calls += 1
        state.tokens += completion.prompt_tokens + completion.completion_tokens
        self.emit(ev.CallFinished(state.run_id, CallRecord(i + 1, Origin.SAMPLE, 0, completion.prompt_tokens,
                                                           completion.completion_tokens,
                                                           round(completion.latency_s, 3), completion.model)))
        return completion.text

    async def _screen(self, problem: SpecOnlyProblem, peers: Peers, state: _State,
                      texts: Sequence[str | None]) -> list[Candidate]:
        """Each answer's code judged against the stub (twins share a verdict)."""
        seen: dict[str, asyncio.Task[Verdict]] = {}
        out = []
        for i, text in enumerate(texts):
            code = extract_verilog(text, problem.top) if text else None
            made = Provenance(Origin.SAMPLE, call=i + 1, calls=i + 1)
            if code is None:
                verdict = Verdict(Status.COMPILE_ERROR, simulator=self.oracle.tools.version,
                                  reason="no Verilog in the answer" if text else "the call failed")
                out.append(Candidate(i + 1, 0, made, None, verdict))
                continue
            key = normalise(code)
            twin = key in seen
            if not twin:
                seen[key] = asyncio.ensure_future(peers.screen(code))
            with self.activity.span("sim"):
                verdict = await seen[key]
            if verdict.status in (Status.PASS, Status.FUNCTIONAL_FAIL):  # against a stub: it runs, no more
                verdict = Verdict(Status.FUNCTIONAL_FAIL, samples=verdict.samples, simulator=verdict.simulator,
                                  elapsed_s=verdict.elapsed_s, reason=RUNS)
            out.append(Candidate(i + 1, 0, made, code, verdict))
            self.emit(ev.CandidateJudged(state.run_id, out[-1], None))
        return out

    async def _agreeing(self, codes: dict[int, str], answers: Answers, name: str) -> list[int]:
        """The candidates that give every answered value (all of them when nothing is answered)."""
        if not answers.answered:
            return list(codes)
        folder = mkdtemp("answers-")
        tb = folder / "answers_tb.sv"
        tb.write_text(answers.text(name))
        bench = Bench(tb, top=answers.top, reference=None)
        with self.activity.span("sim"):
            verdicts = await asyncio.gather(*(
                self.oracle.simulate(SourceText(f"{answers.top}.sv", code), bench, interface=answers.ports,
                                     exact=False) for code in codes.values()))
        return [cid for cid, v in zip(codes, verdicts) if v.passed]


__all__ = ["MAX_QUESTIONS", "Ask", "Keep", "SpecOnly", "SpecOnlyProblem", "SpecOnlyResult", "SpecOnlySetup",
           "answers_file", "prepare"]
