#!/usr/bin/env python3
"""Edits judged one compilation each against the same edits judged in schemata: rate and agreement.

    .venv/bin/python scripts/bench_schema.py [--problems 12] [--edits 48] [--seed 7] [--workers 2] \\
        [--eval ../shared/verilog-eval]

For ``--problems`` shared VerilogEval problems (every n-th, sequential and combinational alike),
a failing candidate is made from the reference by the independent mutator (scripts/support/bugs.py,
one place), the patch search's first ``--edits`` edits of it are generated, and every edit is
judged twice: by ``Oracle.simulate`` on the edited text (the oracle's one-compilation-per-edit
path, ``workers`` at a time) and by the search's schema judging (engine.patch.judging). Printed
per problem and in total: simulations per second each way, how many edits had an anchor, and how
many verdicts differ (status, samples, mismatches, score and agreement figures compared), and the
bench's own floor: one ``vvp`` run of the reference's compiled harness (fastest of 3) and the
part of it spent loading the image, and the rates they bound on the workers (a forked choice
does not load: the simulation alone is its floor). Figures,
not assertions: the rates depend on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.patch.edits import apply, candidate_edits  # noqa: E402
from engine.patch.fitness import weights  # noqa: E402
from engine.patch.judging import EditJudge  # noqa: E402
from engine.patch.search import edit_timeout  # noqa: E402
from engine.patch.source import parse  # noqa: E402
from engine.problem import Problem  # noqa: E402
from oracle import DEFAULT_REFERENCE, DEFAULT_TOP, Bench, Oracle, SourceText, Status, Verdict, find_tools  # noqa: E402
from oracle.bench import rename_module  # noqa: E402
from oracle.icarus import harness_commands  # noqa: E402
from scripts.support.bugs import apply as apply_bugs  # noqa: E402
from scripts.support.bugs import pick  # noqa: E402


def figures(v: Verdict) -> tuple[object, ...]:
    """What the search reads of a verdict (the screen's hints and drivers aside)."""
    a = v.agreement
    return (v.status, v.samples, v.mismatched_samples, v.score,
            tuple((m.time, m.signal, m.expected, m.actual, tuple(sorted(m.inputs.items()))) for m in v.mismatches),
            a.to_wire() if a else None)


def floor_s(tb: Path, ref: Path) -> tuple[float, float]:
    """Seconds of one ``vvp`` run of the reference against its bench, compiled once (fastest of 3),
    and of the part of it that is loading the image (the same harness ended at time 0 by another
    root module): a forked choice does not load, so the rest is what it cannot avoid."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        design = work / "design.sv"
        design.write_text(rename_module(ref.read_text(), DEFAULT_REFERENCE, DEFAULT_TOP))
        stop = work / "stop.sv"
        stop.write_text("module anvil_stop_at_zero; initial $finish; endmodule\n")
        plan = harness_commands(find_tools(), design=[design], testbench=tb, extra=[ref], tb_top="tb", workdir=work)
        image = plan.compile[plan.compile.index("-o") + 1]
        loading = [*plan.compile, "-s", "anvil_stop_at_zero", str(stop)]
        loading[loading.index("-o") + 1] = image + ".load"
        times = []
        for compile_argv, run_argv in ((plan.compile, plan.run), (loading, [*plan.run[:-1], image + ".load"])):
            subprocess.run(compile_argv, cwd=work, capture_output=True, stdin=subprocess.DEVNULL, check=True)
            best = float("inf")
            for _ in range(3):
                began = time.perf_counter()
                subprocess.run(run_argv, cwd=work, capture_output=True, stdin=subprocess.DEVNULL)
                best = min(best, time.perf_counter() - began)
            times.append(best)
        return times[0], min(times[1], times[0])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--problems", type=int, default=12)
    parser.add_argument("--edits", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "verilog-eval")
    args = parser.parse_args()
    tests = sorted((args.eval / "dataset_spec-to-rtl").glob("*_test.sv"))
    if not tests:
        raise SystemExit(f"no VerilogEval problems under {args.eval}")
    step = max(1, len(tests) // args.problems)
    oracle = Oracle(workers=args.workers)
    workers = oracle.workers
    rng = random.Random(args.seed)
    totals = {"edits": 0, "anchored": 0, "differ": 0, "single_s": 0.0, "schema_s": 0.0, "schema_runs": 0,
              "floor_s": 0.0, "sim_s": 0.0}
    for tb in tests[::step][: args.problems]:
        name = tb.name.replace("_test.sv", "")
        good = rename_module(tb.with_name(f"{name}_ref.sv").read_text(), DEFAULT_REFERENCE, DEFAULT_TOP)
        bench = Bench.for_testbench(tb)
        problem = Problem(name, "", bench, interface=oracle.interface(bench) or ())
        text, verdict = None, None
        for _ in range(6):
            chosen = pick(good, 1, rng)
            if chosen is None:
                break
            text = apply_bugs(good, chosen)
            verdict = await oracle.simulate(SourceText("bug.sv", text), bench, agreement=True)
            if verdict.status is Status.FUNCTIONAL_FAIL:
                break
        if text is None or verdict is None or verdict.status is not Status.FUNCTIONAL_FAIL:
            print(f"{name:<34} no failing mutant")
            continue
        source = parse(text)
        if source is None:
            print(f"{name:<34} not patchable")
            continue
        edits = candidate_edits(source, weights(verdict), verdict=verdict)[: args.edits]
        pairs = [(e, apply(text, [e])) for e in edits]
        timeout = edit_timeout(oracle, verdict)

        async def single(t: str) -> Verdict:
            return await oracle.simulate(SourceText("patch.sv", t), bench, timeout_s=timeout,  # noqa: B023
                                         interface=problem.interface or None, exact=problem.exact,  # noqa: B023
                                         agreement=True)

        began = time.perf_counter()
        alone = await asyncio.gather(*(single(t) for _, t in pairs))
        single_s = time.perf_counter() - began
        judge = EditJudge(oracle, problem, single, lambda: timeout, "patch.sv")  # noqa: B023
        began = time.perf_counter()
        many = await judge.many(source, pairs)
        schema_s = time.perf_counter() - began
        differ = [(e, a, m) for (e, _), a, m in zip(pairs, alone, many) if figures(a) != figures(m.verdict)]
        anchored = sum(1 for m in many if not m.exact)
        totals["edits"] += len(pairs)
        totals["anchored"] += anchored
        totals["differ"] += len(differ)
        totals["single_s"] += single_s
        totals["schema_s"] += schema_s
        totals["schema_runs"] += judge.runs
        floor, loading = floor_s(tb, tb.with_name(f"{name}_ref.sv"))
        totals["floor_s"] += floor * len(pairs) / workers
        totals["sim_s"] += max(floor - loading, 1e-4) * len(pairs) / workers
        print(f"{name:<34} {len(pairs):>3} edits, {anchored:>3} in {judge.schemata} schemata "
              f"({judge.failed} failed): one by one {len(pairs) / single_s:6.1f}/s, with schemata "
              f"{len(pairs) / schema_s:6.1f}/s ({single_s / schema_s:4.2f}x); verdicts differing: {len(differ)}; "
              f"bench alone {floor * 1000:.1f} ms (at most {workers / floor:.0f}/s), "
              f"{(floor - loading) * 1000:.1f} ms without loading", flush=True)
        for e, a, m in differ[:3]:
            print(f"    {e.describe()}: alone {a.status.value} {a.score}, schema {m.verdict.status.value} "
                  f"{m.verdict.score}")
    n = totals["edits"]
    print(f"\n{n} edits, {totals['anchored']} judged in schemata; one by one {n / totals['single_s']:.1f}/s, "
          f"with schemata {n / totals['schema_s']:.1f}/s ({totals['single_s'] / totals['schema_s']:.2f}x); "
          f"verdicts differing: {totals['differ']}; the benches alone bound the rate at "
          f"{n / totals['floor_s']:.1f}/s on {workers} workers, their simulations without loading the image "
          f"(a forked choice's floor) at {n / totals['sim_s']:.1f}/s")


if __name__ == "__main__":
    asyncio.run(main())
