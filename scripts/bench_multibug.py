#!/usr/bin/env python3
"""The patch search on designs wrong in several places: how many it fixes with no model call.

    .venv/bin/python scripts/bench_multibug.py [--places 1 2 3] [--per 12] [--depth 2 4] \\
        [--simulations 300] [--seconds 20] [--seed 7] [--eval ../shared/verilog-eval] [--only Prob077_wire_decl]

For each K in ``--places``, ``--per`` designs wrong in exactly K places are made from the shared
VerilogEval references by an independent lexical mutator (scripts/support/bugs.py: operators,
numbers, conditions, inversions; not the search's templates), each kept only if it fails and
still fails with any one of its K bugs undone (so every place matters). Each is patched from
scratch at every ``--depth`` (edits stacked on one another); a fix counts when it passes the
bench, and is checked on the longer differential test. Printed: fixed / made per K and depth,
how many hold, simulations judged and their rate. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.patch import PatchBudget, PatchSearch  # noqa: E402
from engine.problem import Problem  # noqa: E402
from oracle import DEFAULT_REFERENCE, DEFAULT_TOP, Bench, Oracle, SourceText, Status  # noqa: E402
from oracle.bench import rename_module  # noqa: E402
from scripts.support.bugs import apply, pick  # noqa: E402
from sweeps.difftest import holds  # noqa: E402


async def make_bugs(oracle: Oracle, tests: list[Path], k: int, per: int, rng: random.Random):
    """``per`` (problem, bench, reference, mutant text, description) wrong in exactly ``k`` places."""
    made = []
    order = tests[:]
    rng.shuffle(order)
    for tb in order:
        if len(made) == per:
            break
        ref = tb.with_name(tb.name.replace("_test.sv", "_ref.sv"))
        good = rename_module(ref.read_text(), DEFAULT_REFERENCE, DEFAULT_TOP)
        bench = Bench.for_testbench(tb)
        for _attempt in range(4):
            chosen = pick(good, k, rng)
            if chosen is None:
                break
            text = apply(good, chosen)
            verdict = await oracle.simulate(SourceText("bug.sv", text), bench)
            if verdict.status is not Status.FUNCTIONAL_FAIL:
                continue
            undone = [apply(good, [c for c in chosen if c is not one]) for one in chosen] if k > 1 else []
            verdicts = await asyncio.gather(*(oracle.simulate(SourceText("bug.sv", t), bench) for t in undone))
            if any(v.passed for v in verdicts):
                continue  # one of the places does not matter
            made.append((tb.name.replace("_test.sv", ""), bench, ref, text,
                         "; ".join(c.describe(good) for c in chosen)))
            break
    return made


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--per", type=int, default=12)
    parser.add_argument("--depth", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--simulations", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "verilog-eval")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--schemata", nargs="+", choices=("on", "off"), default=["on"],
                        help="judge many edits per compilation (on), one each (off), or both in turn")
    parser.add_argument("--only", nargs="+", default=[], metavar="PROBLEM",
                        help="search only the designs made from these problems (the same designs as in a whole run)")
    args = parser.parse_args()
    tests = sorted((args.eval / "dataset_spec-to-rtl").glob("*_test.sv"))
    if not tests:
        raise SystemExit(f"no VerilogEval problems under {args.eval}")
    oracle = Oracle(workers=args.workers)
    summary = []
    for k in args.places:
        bugs = await make_bugs(oracle, tests, k, args.per, random.Random(args.seed * 100 + k))
        print(f"\n{len(bugs)} designs wrong in {k} place(s)", flush=True)
        for depth, schemata in ((d, s) for d in args.depth for s in args.schemata):
            fixed = held = judged = by_schema = 0
            seconds = 0.0
            began = time.perf_counter()
            for name, bench, ref, text, what in bugs:
                if args.only and name not in args.only:
                    continue
                problem = Problem(name, "", bench, interface=oracle.interface(bench) or ())
                budget = PatchBudget(simulations=args.simulations, seconds=args.seconds, depth=depth,
                                     schemata=schemata == "on")
                report = await PatchSearch(oracle, problem, budget).run(text)
                judged += report.judged
                by_schema += report.by_schema
                seconds += report.elapsed_s
                ok = None
                if report.passed and report.best is not None:
                    fixed += 1
                    samples = (await oracle.check_bench(bench)).samples
                    ok = (await holds(oracle, report.best.code, ref, problem.interface,
                                      original_samples=samples)).holds
                    held += ok is True
                print(f"  K={k} depth={depth} {name:<32} {'FIXED' if report.passed else '-':<6} holds {ok!s:<5} "
                      f"{report.judged:>3} sims {report.elapsed_s:5.1f} s  bugs: {what[:100]}", flush=True)
            rate = judged / seconds if seconds else 0.0
            share = 100 * fixed / max(1, len(bugs))
            summary.append(f"K={k} depth={depth} schemata {schemata}: fixed {fixed}/{len(bugs)} ({share:.0f}%), "
                           f"{held} hold; {judged} simulations ({by_schema} in schemata) in {seconds:.0f} s of "
                           f"search ({rate:.0f}/s), "
                           f"{time.perf_counter() - began:.0f} s wall")
            print(summary[-1], flush=True)
    print("\n" + "\n".join(summary))


if __name__ == "__main__":
    asyncio.run(main())
