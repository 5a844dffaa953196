#!/usr/bin/env python3
"""Engine evidence: solved counts at an equal number of model calls, and the engine's overhead.

    .venv/bin/python scripts/bench_engine.py [--model 1.5b] [--budget 8] [--every 7] [--out FILE]

Runs single-shot (1 greedy call), best-of-N sampling and sample+repair (N calls each) on every
``--every``-th shared VerilogEval problem with the local model, appending one JSON line per
(problem, strategy) to ``--out`` (an interrupted run resumes), then prints the table.
Engine overhead is the wall time during which neither a model call nor a simulation ran.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.benchmark import JsonlOutcomes, arms, load_outcomes, read_dataset, summarise, sweep, table  # noqa: E402
from engine.providers.local import LocalProvider  # noqa: E402
from oracle import Oracle  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl")
    parser.add_argument("--model", default="1.5b")
    parser.add_argument("--budget", type=int, default=8)
    parser.add_argument("--every", type=int, default=7)
    parser.add_argument("--strategies", default="single,sample,repair")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-engine.jsonl")
    args = parser.parse_args()
    dataset = read_dataset(args.dataset, every=args.every)
    arm_list = arms(args.budget, args.strategies.split(","))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = load_outcomes(args.out)
    done = {(o.problem, o.arm) for o in previous}
    print(f"{len(dataset)} problems x {len(arm_list)} strategies, budget {args.budget} calls; "
          f"{len(done)} results already in {args.out}", flush=True)
    provider = LocalProvider(model=args.model)
    oracle = Oracle(workers=1)

    def show(o):
        print(f"  {o.problem:<32} {o.arm:<8} {o.status:<9} calls {o.calls} best {o.best_status} "
              f"{'' if o.best_score is None else o.best_score} ({o.wall_s:.0f} s)", flush=True)

    await sweep(dataset, arm_list, provider, oracle, store=JsonlOutcomes(args.out), on_outcome=show)
    await provider.aclose()
    outcomes = [o for o in load_outcomes(args.out) if o.problem in {d.name for d in dataset}]
    print()
    print(table(summarise(outcomes)))
    broken = sorted({o.problem for o in outcomes if o.status == "broken"})
    if broken:
        print(f"broken benches (not counted): {', '.join(broken)}")
    walls = sum(o.wall_s for o in outcomes)
    over = sum(o.overhead_s for o in outcomes)
    print(f"engine overhead: {over:.2f} s of {walls:.0f} s wall ({100 * over / walls:.2f}%), "
          f"model {sum(o.model_s for o in outcomes):.0f} s, simulator {sum(o.sim_s for o in outcomes):.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
