#!/usr/bin/env python3
"""The same samples judged three ways: by the golden testbench, by the reference alone (reference
mode), and by nothing (spec-only mode, with 0, 1 and 3 questions answered by the reference).

    .venv/bin/python scripts/bench_judges.py RECORDING.jsonl [DATASET_DIR] [--every N] [--samples 8]

The model's answers come from a recording of best-of-N sampling (``anvil bench --strategies sample
--record``): every mode sees the same N candidates of each problem, so the figures differ only by
the judge. A problem counts as solved when the answer the mode gives passes the problem's hidden
golden testbench:

- testbench: some sample passes the golden testbench (plain best-of-N, no patch, no repair);
- reference: the first sample that passes the generated bench against the reference (the
  VerilogEval ``RefModule`` standing for the user's old design) also passes the golden one;
- spec-only +Q: the unverified answer after up to Q questions, each answered with the value the
  reference gives (the user, played by the reference), passes the golden testbench.

Also printed: how often an unverified answer is right, and how many questions were asked. A
replay miss (a spec whose port list differs from the reference's gives another prompt) is counted
apart. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.consensus import Answers  # noqa: E402
from engine.problem import Problem, read_spec  # noqa: E402
from engine.providers.base import ReplayMiss  # noqa: E402
from engine.providers.replay import ReplayProvider  # noqa: E402
from engine.speconly import SpecOnly, SpecOnlyProblem  # noqa: E402
from engine.specports import module_from_spec, ports_from_spec  # noqa: E402
from engine.values import Strategy  # noqa: E402
from oracle import DEFAULT_TOP, Bench, Oracle, SourceText  # noqa: E402
from oracle.bench import rename_module  # noqa: E402
from scripts.support.replayed import recorded_samples  # noqa: E402
from sweeps.benchmark import read_dataset  # noqa: E402
from sweeps.judges import reference_answers  # noqa: E402

DATASET = ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl"
QUESTIONS = (0, 1, 3)


async def one(item, recording: Path, samples: int, oracle: Oracle, strategy: Strategy) -> dict[str, object]:
    golden = item.bench()
    spec = read_spec(item.prompt)
    problem = item.problem(oracle)
    codes = await recorded_samples(problem, recording, samples, strategy)

    async def passes(code: str | None, bench: Bench) -> bool:
        return code is not None and (await oracle.simulate(SourceText("TopModule.sv", code), bench)).passed

    row: dict[str, object] = {"problem": item.name}
    row["testbench"] = any([await passes(c, golden) for c in codes])
    by_ref = Problem.by_reference(item.name, spec, item.reference)
    chosen = None
    for code in codes:
        if await passes(code, by_ref.bench):
            chosen = code
            break
    row["reference"] = chosen is not None and await passes(chosen, golden)
    row["reference_false_pass"] = chosen is not None and not row["reference"]

    ports = ports_from_spec(spec)
    top = module_from_spec(spec) or DEFAULT_TOP
    reference = rename_module(item.reference.read_text(), "RefModule", top)
    if tuple(ports) != tuple(problem.interface):  # another prompt: not in the recording
        row["spec_ports_differ"] = True
    if not any(p.direction == "output" for p in ports):
        row["spec_no_ports"] = True
        return row
    for q in QUESTIONS:
        runner = SpecOnly(ReplayProvider(recording), oracle, strategy=strategy, samples=samples)
        try:
            done = await runner.run(SpecOnlyProblem(item.name, spec, top, ports), Answers(top, ports),
                                    ask=reference_answers(oracle, reference, top, ports, item.name) if q else None,
                                    max_questions=q)
        except ReplayMiss:
            row[f"spec{q}"] = None
            continue
        answer = done.answer.code if done.answer else None
        row[f"spec{q}"] = await passes(answer, golden)
        row[f"spec{q}_agree"] = f"{done.agree}/{done.usable}"
        row[f"spec{q}_asked"] = len(done.asked)
    return row


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("recording", type=Path)
    parser.add_argument("dataset", type=Path, nargs="?", default=DATASET)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--only", action="append", default=[], help="problems whose name has this (repeatable)")
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args()
    oracle = Oracle()
    strategy = Strategy()
    items = [d for d in read_dataset(args.dataset, every=args.every, only=args.only)
             if (await oracle.check_bench(d.bench())).usable]
    rows = []
    start = time.perf_counter()
    for item in items:
        row = await one(item, args.recording, args.samples, oracle, strategy)
        rows.append(row)
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    n = len(rows)
    print(f"\n{n} problems, {args.samples} recorded samples each, {time.perf_counter() - start:.0f} s")
    for key in ("testbench", "reference", *(f"spec{q}" for q in QUESTIONS)):
        counted = [r[key] for r in rows if r.get(key) is not None]
        print(f"  {key:<10} solved {sum(bool(v) for v in counted):3d} of {len(counted)}"
              + (f"  ({n - len(counted)} not run: a replay miss or no ports in the spec)" if len(counted) < n else ""))
    false = sum(bool(r["reference_false_pass"]) for r in rows)
    print(f"  reference mode passed a design the golden testbench fails: {false}")
    for q in QUESTIONS:
        given = [r for r in rows if r.get(f"spec{q}") is not None and r.get(f"spec{q}_agree", "0/0") != "0/0"]
        right = sum(bool(r[f"spec{q}"]) for r in given)
        asked = Counter(r.get(f"spec{q}_asked", 0) for r in given)
        print(f"  spec-only +{q}: {right} of {len(given)} unverified answers right; questions asked {dict(asked)}")


if __name__ == "__main__":
    asyncio.run(main())
