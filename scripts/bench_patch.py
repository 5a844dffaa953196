#!/usr/bin/env python3
"""The patch search on the failing candidates a sweep left in its ledger: how many it turns into
passes, how many of those hold on the longer test, and how fast it judges edits.

    .venv/bin/python scripts/bench_patch.py runs/bench-ledger.sqlite [--tag ve-sample-b8] \\
        [--per-run 2] [--simulations 300] [--seconds 20] [--workers 2]

For every unsolved run (tagged TAG:PROBLEM:ARM by ``anvil bench``), the ``--per-run`` best
distinct failing candidates (functional failures by score, then compile errors) are patched as
the loop would patch them. Figures, not assertions: the rate depends on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.patch import PatchBudget, PatchSearch  # noqa: E402
from engine.problem import Problem  # noqa: E402
from oracle import Bench, Oracle, companion_reference  # noqa: E402
from sweeps.difftest import holds  # noqa: E402


def failing(db, run_id: str, per_run: int) -> list[sqlite3.Row]:
    rows = db.execute("SELECT * FROM candidates WHERE run_id = ? AND code IS NOT NULL AND "
                      "status IN ('functional_fail', 'compile_error') AND origin != 'patch' "
                      "ORDER BY status = 'functional_fail' DESC, score DESC, id", (run_id,)).fetchall()
    out, seen = [], set()
    for r in rows:
        if r["code"] in seen:
            continue
        seen.add(r["code"])
        out.append(r)
    return out[:per_run]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--tag", default="", help="only runs whose tag starts with this (a sweep's name)")
    parser.add_argument("--per-run", type=int, default=2)
    parser.add_argument("--simulations", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    db = sqlite3.connect(args.ledger)
    db.row_factory = sqlite3.Row
    runs = db.execute("SELECT * FROM runs WHERE status = 'unsolved' AND COALESCE(tag, '') LIKE ? ORDER BY started",
                      (args.tag + "%",)).fetchall()
    oracle = Oracle(workers=args.workers)
    budget = PatchBudget(simulations=args.simulations, seconds=args.seconds)
    totals = {"candidates": 0, "passed": 0, "held": 0, "near": 0, "near_passed": 0, "judged": 0, "seconds": 0.0,
              "problems": set(), "solved_problems": set()}
    began = time.perf_counter()
    for run in runs:
        manifest = json.loads(run["manifest"] or "{}")
        tb = Path(manifest.get("testbench", ""))
        if not tb.is_file():
            continue
        bench = Bench.for_testbench(tb)
        reference = companion_reference(tb)
        problem = Problem(run["problem"], "", bench, interface=oracle.interface(bench) or ())
        totals["problems"].add(run["problem"])
        for cand in failing(db, run["id"], args.per_run):
            report = await PatchSearch(oracle, problem, budget).run(cand["code"])
            totals["candidates"] += 1
            totals["judged"] += report.judged
            totals["seconds"] += report.elapsed_s
            near = cand["status"] == "functional_fail" and (cand["score"] or 0) >= 0.9
            totals["near"] += near
            held = None
            if report.passed:
                totals["passed"] += 1
                totals["near_passed"] += near
                totals["solved_problems"].add(run["problem"])
                if reference is not None:
                    samples = (await oracle.check_bench(bench)).samples
                    held = (await holds(oracle, report.best.code, reference, problem.interface,
                                        original_samples=samples)).holds
                    totals["held"] += held is True
            outcome = "PASS" if report.passed else ("better" if report.best else "-")
            print(f"{run['problem']:<34} cand {cand['id']:>2} {cand['status']:<15} {cand['score'] or 0:5.3f} -> "
                  f"{outcome:<6} holds {held!s:<5} {report.judged:>3} sims {report.elapsed_s:5.1f} s  "
                  f"{report.best.summary()[:90] if report.best else ''}", flush=True)
    rate = totals["judged"] / totals["seconds"] if totals["seconds"] else 0.0
    print(f"\n{len(totals['problems'])} unsolved problems, {totals['candidates']} candidates patched in "
          f"{time.perf_counter() - began:.0f} s")
    print(f"passes: {totals['passed']} candidates ({len(totals['solved_problems'])} problems), "
          f"{totals['held']} of them hold on the longer test")
    print(f"near misses (score >= 0.9): {totals['near_passed']} of {totals['near']} became passes")
    print(f"edits judged: {totals['judged']} in {totals['seconds']:.1f} s of search, {rate:.0f} per second "
          f"({oracle.workers} workers)")


if __name__ == "__main__":
    asyncio.run(main())
