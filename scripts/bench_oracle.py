#!/usr/bin/env python3
"""Oracle speed: Anvil's oracle against raw iverilog + vvp on the same files.

    .venv/bin/python scripts/bench_oracle.py [DATASET_DIR] [--repeat N]

Prints, over the shared VerilogEval problems (each reference renamed to TopModule as the
candidate): median and total wall time per candidate for the oracle and for raw
``iverilog`` + ``vvp`` (same flags, same files), their ratio; the speed-up from 2 workers over 1
on the whole set; and the time to extract mismatches from the largest dump. Figures, not
assertions: run it on an idle machine and repeat to see the noise.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oracle import Bench, Oracle, SourceText, find_tools  # noqa: E402
from oracle.bench import rename_module  # noqa: E402
from oracle.icarus import harness_commands  # noqa: E402
from oracle.mutants import flip_output_bit  # noqa: E402
from oracle.vcd import find_mismatches  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl"


def problems(dataset: Path) -> list[tuple[str, Path, Path]]:
    return [(p.name[: -len("_test.sv")], p, p.with_name(p.name.replace("_test.sv", "_ref.sv")))
            for p in sorted(dataset.glob("*_test.sv"))]


def raw_run(candidate: Path, tb: Path, ref: Path, workdir: Path) -> float:
    """iverilog + vvp exactly as the official harness runs them; returns wall seconds."""
    tools = find_tools()
    plan = harness_commands(tools, design=[candidate], testbench=tb, extra=[ref], tb_top="tb", workdir=workdir)
    start = time.perf_counter()
    subprocess.run(plan.compile, cwd=workdir, capture_output=True, stdin=subprocess.DEVNULL)
    subprocess.run(plan.run, cwd=workdir, capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds per candidate")
    args = parser.parse_args()
    items = problems(args.dataset)
    tmp = Path(tempfile.mkdtemp(prefix="anvil-bench-"))
    starts = {}
    for mode in ("on", "off"):  # a runner's start: the sandbox, Python, pyslang, warm screen workers
        begin = time.perf_counter()
        await Oracle(sandbox=mode).runner.start()
        starts[mode] = time.perf_counter() - begin
    oracle = Oracle(workers=1, sandbox="on")
    bare = Oracle(workers=1, sandbox="off")

    # candidate files on disk for both sides; reference runs warmed up (cached per bench)
    cands = []
    for name, tb, ref in items:
        cand = tmp / f"{name}.sv"
        cand.write_text(rename_module(ref.read_text(), "RefModule", "TopModule"))
        bench = Bench.for_testbench(tb)
        report = await oracle.check_bench(bench)
        await bare.check_bench(bench)
        if report.usable:
            cands.append((name, tb, ref, cand, bench))
    print(f"{len(cands)} usable problems of {len(items)} ({len(items) - len(cands)} broken benches skipped)")

    ours: dict[str, list[float]] = {n: [] for n, *_ in cands}
    unsandboxed: dict[str, list[float]] = {n: [] for n, *_ in cands}
    raw: dict[str, list[float]] = {n: [] for n, *_ in cands}
    for _ in range(args.repeat):
        for name, tb, ref, cand, bench in cands:
            work = Path(tempfile.mkdtemp(dir=tmp))
            raw[name].append(raw_run(cand, tb, ref, work))
            for who, times in ((oracle, ours), (bare, unsandboxed)):
                start = time.perf_counter()
                verdict = await who.simulate([cand], bench)
                times[name].append(time.perf_counter() - start)
                assert verdict.passed, (name, verdict.reason)
    per_ours = [statistics.median(v) for v in ours.values()]
    per_raw = [statistics.median(v) for v in raw.values()]
    med_o, med_r = statistics.median(per_ours), statistics.median(per_raw)
    tot_o, tot_r = sum(per_ours), sum(per_raw)
    print(f"per candidate, median of {args.repeat} rounds (interleaved):")
    print(f"  oracle      median {med_o * 1000:7.1f} ms   total {tot_o:6.2f} s")
    print(f"  raw iverilog+vvp median {med_r * 1000:7.1f} ms   total {tot_r:6.2f} s")
    print(f"  ratio oracle/raw: median {med_o / med_r:.3f}, total {tot_o / tot_r:.3f} (goal <= 1.15)")
    spread = [max(v) / min(v) for v in ours.values()]
    print(f"  noise: max/min across rounds per candidate, median {statistics.median(spread):.2f}")
    per_bare = [statistics.median(v) for v in unsandboxed.values()]
    med_b = statistics.median(per_bare)
    print(f"  the same oracle without the sandbox: median {med_b * 1000:.1f} ms; the sandbox costs "
          f"{(med_o - med_b) * 1000:+.2f} ms per candidate (median of per-candidate differences "
          f"{statistics.median(o - b for o, b in zip(per_ours, per_bare)) * 1000:+.2f} ms)")
    print(f"  runner start (once per process): sandboxed {starts['on'] * 1000:.0f} ms, "
          f"unsandboxed {starts['off'] * 1000:.0f} ms")

    # parallel speed-up on the whole set (passing references plus a failing mutant each)
    jobs = [(SourceText(f"{n}.sv", c.read_text()), b) for n, _, _, c, b in cands]
    jobs += [(SourceText(f"{n}_mut.sv", flip_output_bit(r.read_text())), b) for n, _, r, _, b in cands]
    walls = {}
    for workers in (1, 2):
        o = Oracle(workers=workers)
        for _, b in jobs:
            await o.check_bench(b)
        start = time.perf_counter()
        await asyncio.gather(*(o.simulate(s, b) for s, b in jobs))
        walls[workers] = time.perf_counter() - start
    print(f"{len(jobs)} candidates: 1 worker {walls[1]:.2f} s, 2 workers {walls[2]:.2f} s, "
          f"speed-up {walls[1] / walls[2]:.2f}x")

    # mismatch extraction from the largest dump (a failing mutant of the problem with most output)
    sizes = []
    for name, tb, ref, _cand, _bench in cands:
        work = Path(tempfile.mkdtemp(dir=tmp))
        mut = work / "mut.sv"
        mut.write_text(flip_output_bit(ref.read_text()))
        raw_run(mut, tb, ref, work)
        sizes.append(((work / "wave.vcd").stat().st_size, name, work / "wave.vcd"))
    size, name, dump = max(sizes)
    for limit in (8, 10**9):
        start = time.perf_counter()
        found = find_mismatches(dump, limit)
        took = time.perf_counter() - start
        label = "first 8" if limit == 8 else "all"
        print(f"largest dump {name} ({size / 1e6:.1f} MB): {label} mismatches ({len(found)}) in {took * 1000:.1f} ms")
    subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    asyncio.run(main())
