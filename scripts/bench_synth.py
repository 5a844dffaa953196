#!/usr/bin/env python3
"""What synthesis and lint cost, and what they find in designs that pass.

    .venv/bin/python scripts/bench_synth.py [RECORDING.jsonl] [DATASET_DIR] [--every N] [--samples 8]

1. Time: each shared problem's reference (as ``TopModule``) synthesised and linted
   (:meth:`oracle.Oracle.synthesise`, Yosys and Verilator in the sandbox): median and max.
2. Findings: the recorded samples of the local model (best-of-N, the recording of
   ``anvil bench --strategies sample``) that pass their golden testbench, synthesised: how many
   have a latch, a combinational loop, something synthesis drops, lint warnings (by code).

Figures, not assertions; the tools decide, so a second run gives the same findings (times vary).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oracle import Oracle, SourceText  # noqa: E402
from oracle.bench import rename_module  # noqa: E402
from scripts.support.replayed import recorded_samples  # noqa: E402
from sweeps.benchmark import read_dataset  # noqa: E402

DATASET = ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl"
RECORDING = ROOT / "docs" / "bench" / "full78" / "samples-recording.jsonl"


async def passing_samples(item, recording: Path, samples: int, oracle: Oracle) -> list[str]:
    problem = item.problem(oracle)
    out: list[str] = []
    for code in await recorded_samples(problem, recording, samples):
        if code and code not in out and (await oracle.simulate(SourceText("TopModule.sv", code), problem.bench)).passed:
            out.append(code)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("recording", type=Path, nargs="?", default=RECORDING)
    parser.add_argument("dataset", type=Path, nargs="?", default=DATASET)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args()
    oracle = Oracle()
    items = read_dataset(args.dataset, every=args.every)
    times = []
    dirty = []
    for item in items:
        reference = rename_module(item.reference.read_text(), "RefModule", "TopModule")
        started = time.perf_counter()
        found = await oracle.synthesise(SourceText("ref.sv", reference), "TopModule")
        times.append(time.perf_counter() - started)
        if not found.clean:
            dirty.append(f"{item.name}: {found.summary()}")
    slowest = max(range(len(items)), key=lambda i: times[i])
    print(f"references: {len(items)} synthesised and linted; time per design median {statistics.median(times):.3f} s, "
          f"max {max(times):.3f} s ({items[slowest].name}), total {sum(times):.1f} s")
    print(f"  references that are not clean (a latch, a loop, or yosys failed): {len(dirty)}")
    for line in dirty:
        print(f"    {line}")

    usable = [i for i in items if (await oracle.check_bench(i.bench())).usable]
    passing: list[tuple[str, str]] = []
    for item in usable:
        passing += [(item.name, code) for code in await passing_samples(item, args.recording, args.samples, oracle)]
    gate = asyncio.Semaphore(oracle.workers)

    async def figures_of(code: str):
        async with gate:
            return await oracle.synthesise(SourceText("TopModule.sv", code), "TopModule")

    figures = await asyncio.gather(*(figures_of(code) for _, code in passing))
    n = len(passing)
    latch = [name for (name, _), f in zip(passing, figures) if f.latches]
    loop = [name for (name, _), f in zip(passing, figures) if f.loops]
    dropped = [name for (name, _), f in zip(passing, figures) if any(w.kind == "dropped" for w in f.warnings)]
    linted = [name for (name, _), f in zip(passing, figures) if f.lint]
    codes = Counter(w.code for f in figures for w in f.lint)
    share = (lambda k: f"{k}/{n} ({100 * k / n:.0f}%)") if n else (lambda k: "-")
    print(f"\npassing samples of the local model: {n} distinct designs on {len({p for p, _ in passing})} problems "
          f"({len(usable)} usable, {args.samples} recorded samples each)")
    print(f"  with a latch: {share(len(latch))} {sorted(set(latch))}")
    print(f"  with a combinational loop: {share(len(loop))} {sorted(set(loop))}")
    print(f"  with a construct synthesis drops: {share(len(dropped))}")
    print(f"  with lint warnings: {share(len(linted))}; by code: {dict(codes.most_common())}")
    cells = [f.cells for f in figures if f.cells is not None]
    if cells:
        print(f"  cells: median {statistics.median(cells):g}, max {max(cells)}")


if __name__ == "__main__":
    asyncio.run(main())
