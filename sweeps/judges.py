"""Arms judged by something else than the golden testbench, which stays hidden and only scores.

- ``X@reference`` (X any schedule, e.g. ``repair+patch@reference``): reference mode, the loop
  judged by the bench generated against the problem's reference (standing for a user's old
  design);
- ``spec-only``, ``spec-only+1q``, ``spec-only+3q``: spec-only mode, the budget's calls as
  samples grouped by behaviour, with 0, 1 or 3 questions answered by the reference (playing the
  user, :func:`reference_answers`).

A run is solved when the answer the mode gives (reference mode's pass, spec-only mode's
unverified answer) also passes the hidden golden testbench; ``given`` says whether the mode gave
an answer, so the summary can say how often a given answer is right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from engine import events as ev
from engine.consensus import Answers, Question, SpecOnlyError
from engine.providers import ProviderError
from engine.run import Runtime
from engine.speconly import Ask, prepare
from engine.values import RunStatus
from oracle import Bench, Oracle, Port, SourceText
from oracle.bench import rename_module
from oracle.scratch import mkdtemp

from .outcomes import Outcome

#: the questions a spec-only arm answers, by its name
SPEC_ONLY = {"spec-only": 0, "spec-only+1q": 1, "spec-only+3q": 3}
REFERENCE = "@reference"


def reference_answers(oracle: Oracle, reference: str, top: str, ports: Sequence[Port], name: str) -> Ask:
    """Answers a question with the value the ``reference`` design (module ``top``) gives there:
    one of the choices when it gives one, else the value it prints."""
    async def ask(question: Question) -> str | None:
        said = None
        for value, _ in question.choices:
            answers = Answers(top, ports)
            answers.add(question, value)
            folder = mkdtemp("answer-")
            (folder / "q_tb.sv").write_text(answers.text(name))
            verdict = await oracle.simulate(SourceText("ref.sv", reference),
                                            Bench(folder / "q_tb.sv", top=top, reference=None))
            if verdict.passed:
                return value
            said = re.search(rf"ERROR question 1: {re.escape(question.signal)} = (\S+),", verdict.log_tail)
        return f"{question.width}'h{said.group(1)}" if said else None

    return ask


async def passes_golden(oracle: Oracle, code: str | None, golden: Bench) -> bool:
    return code is not None and (await oracle.simulate(SourceText("TopModule.sv", code), golden)).passed


async def run_spec_only(name: str, spec: str, reference: Path, golden: Bench, runtime: Runtime, arm_name: str,
                        calls: int, tag: str, listeners: Sequence[ev.Listener | None] = ()) -> Outcome:
    """Spec-only mode on one problem, the reference answering up to the arm's questions."""
    questions = SPEC_ONLY[arm_name]
    try:
        setup = prepare(name, spec, mkdtemp("answers-") / "none_tb.sv")
    except SpecOnlyError as exc:
        return nothing(name, arm_name, "spec-only", f"spec-only mode cannot run: {exc}")
    top, ports = setup.problem.top, setup.problem.interface
    truth = rename_module(reference.read_text(encoding="utf-8", errors="replace"), "RefModule", top)
    ask = reference_answers(runtime.oracle, truth, top, ports, name) if questions else None
    try:
        done = await runtime.spec_only(setup.problem, setup.answers, ask=ask, max_questions=questions, samples=calls,
                                       listeners=listeners, tag=tag)
    except ProviderError as exc:  # a provider that cannot answer at all (a replay miss): this problem only
        return replace(nothing(name, arm_name, "spec-only", str(exc)), status=RunStatus.ERROR.value)
    result = done.result
    answer = done.answer.code if done.answer else None
    right = await passes_golden(runtime.oracle, answer, golden)
    t = result.timings
    return Outcome(name, arm_name, RunStatus.SOLVED.value if right else (
        RunStatus.ERROR.value if result.status.fault else RunStatus.UNSOLVED.value),
        result.calls, result.tokens, t.wall_s, t.model_s, t.sim_s, t.overhead_s,
        "unverified" if answer else None, None, result.calls if right else None, 0,
        len(result.candidates),
        f"{result.reason}; {'right' if right else 'wrong' if answer else 'no answer'} by the hidden testbench",
        result.run_id, judge="spec-only", given=answer is not None, questions=len(done.asked))


def nothing(name: str, arm: str, judge: str, reason: str) -> Outcome:
    """A run the mode could not start (no ports in the spec, a reference it cannot use): not solved."""
    return Outcome(name, arm, RunStatus.UNSOLVED.value, 0, 0, 0.0, 0.0, 0.0, 0.0, None, None, None, 0, 0, reason,
                   judge=judge)


__all__ = ["REFERENCE", "SPEC_ONLY", "nothing", "passes_golden", "reference_answers", "run_spec_only"]
