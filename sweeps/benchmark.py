"""Strategies at an equal budget of model calls, on a VerilogEval-layout dataset.

A strategy is a named :class:`Strategy` plus its call budget. With budget N:

- ``single``: one greedy call (temperature 0), the 1-call baseline;
- ``sample``: best-of-N sampling, no feedback;
- ``repair``: N/2 samples, then repair rounds of width 2 with failing vectors;
- ``repair-summary`` / ``repair-none``: the same with summary or no feedback (ablation);
- ``X+patch`` (any of the above): the same, with the patch search after each round (no model
  calls; its simulations and time are reported);
- ``X@reference`` (any of the above): reference mode, judged by the problem's reference alone;
  ``spec-only``, ``spec-only+1q``, ``spec-only+3q``: spec-only mode, 0, 1 or 3 questions answered
  by the reference. The golden testbench, hidden from them, only scores their answers
  (:mod:`sweeps.judges`).

Each run stops at its first pass, so a solved problem may use fewer than N calls.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine import DesignError
from engine import events as ev
from engine.problem import Problem, ports_from_spec, read_spec
from engine.prompts import Feedback
from engine.run import Runtime
from engine.settings import RunSettings
from engine.values import Budget, Origin, Policy, RunResult, RunStatus, Strategy, call_budget
from oracle import DEFAULT_TOP, Bench, Oracle

from .difftest import Held, holds
from .judges import REFERENCE, SPEC_ONLY, nothing, passes_golden, run_spec_only
from .outcomes import Outcome, OutcomeStore


@dataclass(frozen=True)
class Arm:
    name: str
    strategy: Strategy
    calls: int
    #: what judges the runs: the golden testbench, the reference (reference mode) or nothing
    #: (spec-only mode); see sweeps.judges
    judge: str = "testbench"


def arms(settings: RunSettings, names: Sequence[str]) -> list[Arm]:
    """The named strategies, each given exactly ``settings``' budget of model calls (``single``
    gets one), built from ``settings`` (temperatures, seed, answer length, feedback, patch limits).
    An arm named ``X+patch`` has the patch search on; ``X`` follows the ``patch`` setting."""
    base = settings.strategy()
    budget = settings.budget if settings.budget is not None else call_budget(base, Budget())
    half = max(1, budget // 2)
    width = 2 if budget - half >= 2 else 1
    rounds = math.ceil((budget - half) / width)
    schedules = {
        "single": (replace(base, samples=1, rounds=0, temperature=0.0), 1),
        # every sample is drawn (no early stop), so pass@k over them is unbiased
        "sample": (replace(base, samples=budget, rounds=0, stop_at_pass=False), budget),
    }
    for mode in Feedback:
        name = "repair" if mode is Feedback.VECTORS else f"repair-{mode.value}"
        schedules[name] = (replace(base, samples=half, rounds=rounds, repair_width=width, feedback=mode), budget)
    # the repair schedule, sampling more instead while the best candidate is far from passing
    schedules["adaptive"] = (replace(base, samples=half, rounds=rounds, repair_width=width, policy=Policy.ADAPTIVE),
                             budget)
    patch = replace(settings, patch="on").patch_budget()
    out = []
    for name in names:
        if name in SPEC_ONLY:  # sampling only: no failing vectors to repair from
            out.append(Arm(name, replace(base, samples=budget, rounds=0, patch=None), budget, judge="spec-only"))
            continue
        schedule, judge = (name[:-len(REFERENCE)], "reference") if name.endswith(REFERENCE) else (name, "testbench")
        plain, patched = (schedule[:-len("+patch")], True) if schedule.endswith("+patch") else \
            (schedule, settings.patch == "on")
        if plain not in schedules:
            choices = ", ".join([*schedules, *(f"{n}+patch" for n in schedules)])
            raise ValueError(f"unknown strategy {name}; choose from {choices}, each also with @reference "
                             f"(judged by the reference alone), or {', '.join(SPEC_ONLY)}")
        strategy, calls = schedules[plain]
        out.append(Arm(name, replace(strategy, patch=patch if patched else None), calls, judge=judge))
    return out


#: a candidate matching at least this share of the samples is a near miss
NEAR_MISS = 0.9


@dataclass(frozen=True)
class DatasetProblem:
    name: str
    prompt: Path
    testbench: Path
    reference: Path

    def bench(self) -> Bench:
        """The problem's golden testbench with its reference model."""
        return Bench.for_testbench(self.testbench, [self.reference])

    def problem(self, oracle: Oracle) -> Problem:
        bench = self.bench()
        spec = read_spec(self.prompt)
        return Problem(self.name, spec, bench, DEFAULT_TOP, oracle.interface(bench) or ports_from_spec(spec))


def read_dataset(folder: Path, *, only: Sequence[str] = (), every: int = 1,
                 limit: int | None = None) -> list[DatasetProblem]:
    """``*_prompt.txt`` + ``*_test.sv`` + ``*_ref.sv`` triples, sorted; filters by substring."""
    found = []
    for prompt in sorted(Path(folder).glob("*_prompt.txt")):
        name = prompt.name[: -len("_prompt.txt")]
        tb, ref = prompt.with_name(f"{name}_test.sv"), prompt.with_name(f"{name}_ref.sv")
        if not tb.is_file() or not ref.is_file():
            continue
        if only and not any(o in name for o in only):
            continue
        found.append(DatasetProblem(name, prompt, tb, ref))
    found = found[::every]
    return found[:limit] if limit else found


def outcome_of(problem: str, arm: Arm, result: RunResult, *, held: Held | None = None,
               patch_simulations: int = 0, near: tuple[int, int] = (0, 0)) -> Outcome:
    best = result.best
    status = result.status.value
    sampled = [c for c in result.candidates if c.origin is Origin.SAMPLE and c.round == 0]
    # the calls issued up to the first pass (for a patch: the model calls made before it)
    passes = [c.provenance.calls for c in result.candidates if c.passed]
    t = result.timings
    return Outcome(problem, arm.name, status, result.calls, result.tokens, t.wall_s, t.model_s, t.sim_s,
                   t.overhead_s, best.verdict.status.value if best else None, best.verdict.score if best else None,
                   min(passes) if passes else None, sum(c.passed for c in sampled), len(sampled),
                   result.reason, result.run_id,
                   unbiased=not arm.strategy.stop_at_pass or arm.strategy.samples == 1,
                   holds=held.holds if held else None, holds_reason=held.reason if held else "",
                   patch_simulations=patch_simulations,
                   patched=bool(best and best.passed and best.origin is Origin.PATCH),
                   recombined=bool(best and best.passed and best.origin is Origin.RECOMBINE),
                   near_misses=near[0], near_misses_passed=near[1])


async def run_arm(problem: Problem, arm: Arm, runtime: Runtime, *, listeners: Sequence[ev.Listener | None] = (),
                  tag: str | None = None, reference: Path | None = None, golden: Bench | None = None) -> Outcome:
    """One arm on one problem; a solved design is also judged on the longer test when the
    problem's ``reference`` file is given. With ``golden`` (a problem judged by something else,
    reference mode), the run counts as solved only when its answer also passes that testbench."""
    simulations: list[int] = []
    scores: dict[int, float] = {}
    near = [0, 0]

    def count(event: ev.Event) -> None:
        if isinstance(event, ev.CandidateJudged):
            scores[event.candidate.id] = event.candidate.verdict.score
        elif isinstance(event, ev.PatchFinished):
            simulations.append(event.judged)
            if scores.get(event.candidate, 0.0) >= NEAR_MISS:
                near[0] += 1
                near[1] += event.passed

    result = await runtime.run(problem, strategy=arm.strategy, budget=Budget(calls=arm.calls),
                               listeners=[*listeners, count], tag=tag)
    held = None
    if result.solved and result.best is not None and result.best.code and reference is not None:
        report = await runtime.oracle.check_bench(problem.bench)
        held = await holds(runtime.oracle, result.best.code, reference, problem.interface,
                           original_samples=report.samples)
    outcome = outcome_of(problem.name, arm, result, held=held, patch_simulations=sum(simulations),
                         near=(near[0], near[1]))
    if golden is None:
        return replace(outcome, given=result.solved)
    right = result.solved and await passes_golden(runtime.oracle, result.best.code if result.best else None, golden)
    reason = outcome.reason if not result.solved else \
        f"passes the {arm.judge}'s bench; {'passes' if right else 'fails'} the hidden testbench"
    return replace(outcome, status=RunStatus.SOLVED.value if right else RunStatus.UNSOLVED.value, reason=reason,
                   judge=arm.judge, given=result.solved)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct (Chen et al. 2021)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def by_arm(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    """Each strategy's outcomes, in first-seen order, without problems whose bench is broken."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        mine = groups.setdefault(o.arm, [])
        if o.status != RunStatus.BROKEN.value:
            mine.append(o)
    return groups


def summarise(outcomes: Sequence[Outcome], ks: Sequence[int] = (1,)) -> list[dict[str, Any]]:
    """Per strategy: solved, rate, calls and tokens per solve, pass@k of its samples."""
    rows = []
    for arm, mine in by_arm(outcomes).items():
        solved = [o for o in mine if o.status == RunStatus.SOLVED.value]
        row: dict[str, Any] = {"strategy": arm, "problems": len(mine), "solved": len(solved),
               "holds": sum(o.holds is True for o in solved),
               "rate": round(len(solved) / len(mine), 3) if mine else 0.0,
               "calls": sum(o.calls for o in mine), "tokens": sum(o.tokens for o in mine),
               "calls_to_solve": (round(sum(o.first_pass_call or 0 for o in solved) / len(solved), 2)
                                  if solved else None),
               "tokens_per_solve": round(sum(o.tokens for o in mine) / len(solved)) if solved else None,
               "patched": sum(o.patched for o in solved), "recombined": sum(o.recombined for o in solved),
               "patch_sims": sum(o.patch_simulations for o in mine),
               "near_misses": f"{sum(o.near_misses_passed for o in mine)}/{sum(o.near_misses for o in mine)}",
               "right/given": f"{len(solved)}/{sum(o.given for o in mine)}",
               "questions": sum(o.questions for o in mine),
               "wall_s": round(sum(o.wall_s for o in mine), 1),
               "overhead_s": round(sum(o.overhead_s for o in mine), 3)}
        for k in ks:
            usable = [o for o in mine if o.unbiased and o.samples >= k]
            row[f"pass@{k}"] = (round(sum(pass_at_k(o.samples, o.samples_passed, k) for o in usable) / len(usable), 3)
                                if usable else None)
        rows.append(row)
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "(no results)"
    keys = list(rows[0])
    cells = [keys] + [["-" if r[k] is None else str(r[k]) for k in keys] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(keys))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


async def judged_by(item: DatasetProblem, arm: Arm, runtime: Runtime, *, tag: str,
                    listeners: Sequence[ev.Listener | None] = ()) -> Outcome:
    """One arm on one dataset problem, judged as the arm says; the golden testbench hidden from
    reference and spec-only arms (it only scores their answers)."""
    if arm.judge == "testbench":
        return await run_arm(item.problem(runtime.oracle), arm, runtime, tag=tag, reference=item.reference,
                             listeners=listeners)
    golden = item.bench()
    report = await runtime.oracle.check_bench(golden)
    if not report.usable:
        return replace(nothing(item.name, arm.name, arm.judge, f"the bench is broken: {report.problem}"),
                       status=RunStatus.BROKEN.value)
    spec = read_spec(item.prompt)
    if arm.judge == "spec-only":
        return await run_spec_only(item.name, spec, item.reference, golden, runtime, arm.name, arm.calls, tag,
                                   listeners)
    try:
        problem = Problem.by_reference(item.name, spec, item.reference)
    except DesignError as exc:
        return nothing(item.name, arm.name, arm.judge, f"reference mode cannot run: {exc}")
    return await run_arm(problem, arm, runtime, tag=tag, golden=golden, listeners=listeners)


async def sweep(dataset: Sequence[DatasetProblem], arm_list: Sequence[Arm], runtime: Runtime, *,
                store: OutcomeStore, concurrency: int = 1, name: str = "",
                on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run every (problem, arm) the store does not have yet; each result is stored as it finishes.
    Runs are in the runtime's ledger, tagged ``NAME:PROBLEM:ARM``."""
    outcomes: list[Outcome] = []
    gate = asyncio.Semaphore(concurrency)
    done = store.done()

    async def one(item: DatasetProblem, arm: Arm) -> None:
        async with gate:
            outcome = await judged_by(item, arm, runtime, tag=f"{name}:{item.name}:{arm.name}")
            outcomes.append(outcome)
            store.add(outcome)
            if on_outcome:
                on_outcome(outcome)

    await asyncio.gather(*(one(item, arm) for item in dataset for arm in arm_list
                           if (item.name, arm.name) not in done))
    return outcomes


__all__ = ["Arm", "DatasetProblem", "arms", "by_arm", "judged_by", "pass_at_k", "read_dataset", "run_arm", "summarise",
           "sweep", "table"]
