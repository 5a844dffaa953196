#!/usr/bin/env python3
"""The Ray executor against the local one, on the same simulator-bound sweep: what Ray costs to
start, and what 1 and 2 workers do.

    .venv/bin/python scripts/bench_ray.py [DATASET] [--limit 24] [--budget 8] [--repeat 1] [--latency S]

Two workloads. Without ``--latency`` the model is taken out: every problem is answered with its
own reference (renamed TopModule), recorded once, then replayed, so each (problem, sample arm)
task is ``budget`` simulations plus the longer difference test: simulator-bound. With
``--latency S`` the model is an OpenAI-compatible endpoint on 127.0.0.1 that answers every call
after S seconds (a hosted API or a vLLM server elsewhere): latency-bound. Each configuration runs
as ``anvil bench`` would be run by a user (a fresh sweep, its own ledger), and is timed from the
outside; Ray's start-up (a local Ray started for the sweep; connecting to a running cluster) is
read from the sweep's own "workers ready" line. Figures, not assertions: they depend on the
machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.providers import RecordingProvider  # noqa: E402
from engine.providers.base import Completion  # noqa: E402
from engine.run import Runtime  # noqa: E402
from engine.settings import RunSettings  # noqa: E402
from oracle import Oracle  # noqa: E402
from sweeps.benchmark import arms, read_dataset, sweep  # noqa: E402
from sweeps.outcomes import JsonlOutcomes  # noqa: E402

#: the endpoint's answer: compiles, and fails every problem's testbench (so all samples are drawn)
ANSWER = "```verilog\nmodule TopModule(output zero);\n  assign zero = 1'b0;\nendmodule\n```\n"
ENV = dict(os.environ, RAY_AUTH_MODE=os.environ.get("RAY_AUTH_MODE", "token"), RAY_USAGE_STATS_ENABLED="0",
           RAY_AUTH_TOKEN=os.environ.get("RAY_AUTH_TOKEN") or secrets.token_hex(32))  # its own cluster's token


class ReferenceAnswers:
    """A "model" that answers each problem's prompt with that problem's reference."""

    name, model = "reference", "reference"

    def __init__(self, dataset) -> None:
        self.answers = [(item.prompt.read_text(encoding="utf-8").strip(),
                         re.sub(r"\bRefModule\b", "TopModule", item.reference.read_text(encoding="utf-8")))
                        for item in dataset]

    async def complete(self, request) -> Completion:
        text = "\n".join(str(m.content) for m in request.messages)
        code = next(code for spec, code in self.answers if spec and spec in text)
        return Completion(f"```verilog\n{code}\n```\n", 10, 10, 0.0, self.model)


def run(cmd: list[str]) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=ENV)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return wall, done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl")
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--budget", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration (the median is shown)")
    parser.add_argument("--latency", type=float, help="a scripted endpoint answering after S seconds per call")
    args = parser.parse_args()
    dataset = read_dataset(args.dataset, limit=args.limit)
    ray_bin = str(Path(sys.executable).with_name("ray"))
    with tempfile.TemporaryDirectory(prefix="anvil-bench-ray-") as tmp:
        work = Path(tmp)
        endpoint = None
        if args.latency is None:
            recording = work / "rec.jsonl"
            asyncio.run(sweep(dataset, arms(RunSettings(budget=args.budget, patch="off"), ["sample"]),
                              Runtime(provider=RecordingProvider(ReferenceAnswers(dataset), recording),
                                      oracle=Oracle()),
                              store=JsonlOutcomes(work / "scratch.jsonl")))
            model = ["--provider", "replay", "--model", str(recording)]
        else:
            from scripts.support.faults import ThreadedFaultServer

            endpoint = ThreadedFaultServer([ANSWER], delay_s=args.latency)
            model = ["--provider", "openai", "--model", "scripted", "--base-url", endpoint.url]
        base = [sys.executable, "-m", "anvil", "bench", str(args.dataset), "--limit", str(args.limit),
                "--budget", str(args.budget), "--patch", "off", "--strategies", "sample", *model]
        port = 6500 + os.getpid() % 400
        configs = [("local executor, 1 at a time", ["--concurrency", "1"]),
                   ("local executor, --concurrency 2", ["--concurrency", "2"]),
                   ("ray, local Ray, 1 worker", ["--executor", "ray", "--workers", "1"]),
                   ("ray, local Ray, 2 workers", ["--executor", "ray", "--workers", "2"]),
                   ("ray, running cluster, 2 workers", ["--executor", "ray", "--address", f"127.0.0.1:{port}"])]
        started = subprocess.run([ray_bin, "start", "--head", "--port", str(port), "--num-cpus", "2",
                                  "--include-dashboard", "false", "--disable-usage-stats"],
                                 capture_output=True, text=True, env=ENV)
        if started.returncode != 0:
            raise SystemExit(started.stdout + started.stderr)
        rows = []
        try:
            for label, extra in configs:
                walls, startups = [], []
                for i in range(args.repeat):
                    folder = work / f"{len(rows)}-{i}"
                    wall, err = run(base + extra + ["--ledger", str(folder / "ledger.sqlite"), "--out", str(folder),
                                                    "--name", "bench-ray"])
                    walls.append(wall)
                    ready = re.search(r"workers ready in ([\d.]+) s", err)
                    if ready:
                        startups.append(float(ready.group(1)))
                walls.sort()
                startups.sort()
                rows.append((label, walls[len(walls) // 2], startups[len(startups) // 2] if startups else None,
                             max(walls) / min(walls)))
        finally:
            subprocess.run([ray_bin, "stop", "--force"], capture_output=True, env=ENV)
            if endpoint is not None:
                endpoint.close()
    tasks = len(dataset)
    first = rows[0][1]
    work_done = (f"{args.budget} simulations each + the difference test" if args.latency is None else
                 f"{args.budget} model calls of {args.latency:g} s and {args.budget} simulations each")
    print(f"{tasks} tasks (VerilogEval problems x the sample arm), {work_done}; {os.cpu_count()} cores; "
          f"median of {args.repeat}")
    print(f"{'configuration':<34} {'wall s':>7} {'tasks/s':>8} {'vs local':>9} {'ray start s':>12} {'max/min':>8}")
    for label, wall, startup, spread in rows:
        print(f"{label:<34} {wall:>7.1f} {tasks / wall:>8.2f} {first / wall:>8.2f}x "
              f"{'-' if startup is None else f'{startup:.1f}':>12} {spread:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
