#!/usr/bin/env python3
"""Language-server latencies, measured from a real client over stdio.

    .venv/bin/python scripts/bench_lsp.py [--repeat 5]

Prints medians (and min-max) of: process start to `initialized` sent; `anvil.generate` sent
to the first `$/progress` (replayed model, so no model time); `anvil.check` on a failing design
from request to the diagnostics arriving, the oracle's own time within it, and the server's
conversion of a verdict to diagnostics (measured in-process).

Then the server's responsiveness: a probe sends a cheap request (a code action) every 20 ms
and times its answer while the server is idle, while it checks a design against a bench it
has not seen (the bench is parsed and its reference simulated), and while it generates (the
replayed run: simulations, the patch search, the ledger). A server that blocks its event loop
shows here as a long answer; printed: median, p99 and max per phase.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsprotocol import types as lsp  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import client_capabilities  # noqa: E402

from engine import Problem, RunSettings, Runtime, Strategy  # noqa: E402
from engine.designs import design_for  # noqa: E402
from engine.providers import RecordingProvider  # noqa: E402
from engine.providers.base import Completion  # noqa: E402
from oracle import Bench, Oracle  # noqa: E402

EX = ROOT / "examples" / "counter4"


class Canned:
    name, model = "canned", "canned"

    def __init__(self, answers):
        self.answers = list(answers)

    async def complete(self, request):
        return Completion(self.answers.pop(0), 10, 10)


async def once(folder: Path, recording: Path) -> dict[str, float]:
    start = time.perf_counter()
    client = await started_server(folder, recording)
    initialized = time.perf_counter() - start

    spec = from_fs_path(str(folder / "counter4.md"))
    sent = time.perf_counter()
    task = asyncio.ensure_future(client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="anvil.generate", arguments=[{"uri": spec}])))
    while not any(client.progress_reports.values()):
        await asyncio.sleep(0.001)
    to_progress = time.perf_counter() - sent
    await asyncio.wait_for(task, 120)

    out = folder / "counter4.sv"
    out.write_text((EX / "counter4_bad.sv").read_text())
    uri = from_fs_path(str(out))
    client.diagnostics.pop(uri, None)
    sent = time.perf_counter()
    answer = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="anvil.check", arguments=[{"uri": spec}]))
    while not client.diagnostics.get(uri):
        await asyncio.sleep(0.001)
    to_diagnostics = time.perf_counter() - sent
    oracle_s = answer["verdict"]["elapsed_s"]
    await client.shutdown_session()
    await client.stop()
    return {"start_to_initialized": initialized, "generate_to_first_progress": to_progress,
            "check_to_diagnostics": to_diagnostics, "oracle_within_check": oracle_s}


async def recorded_workspace() -> tuple[Path, Path]:
    """A copy of the counter4 example and a recording of a run on it: a wrong first sample, a
    right repair (the server replays it: no model time)."""
    good = (EX / "counter4_good.sv").read_text()
    wrap = good.replace("count + 4'd1", "(count == 4'd9 ? 4'd0 : count + 4'd1)")
    folder = Path(tempfile.mkdtemp(prefix="anvil-bench-lsp-"))
    for name in ("counter4.md", "counter4_tb.sv", "counter4_ref.sv"):
        shutil.copy(EX / name, folder / name)
    recording = folder / "rec.jsonl"
    problem = Problem.from_design(design_for(folder / "counter4.md"), oracle=Oracle())
    fence = "```verilog\n{}\n```"
    canned = RecordingProvider(Canned([fence.format(wrap), fence.format(good)]), recording)
    async with Runtime(RunSettings(), oracle=Oracle(), provider=canned, record=False) as runtime:
        await runtime.run(problem, strategy=Strategy(samples=1, rounds=1, repair_width=1))
    return folder, recording


async def started_server(folder: Path, recording: Path) -> Any:
    """A real client with `anvil serve` started and initialized on ``folder``, replaying ``recording``."""
    from scripts.support.lspclient import make_client

    client = make_client()
    env = {**os.environ, "ANVIL_LEDGER": str(folder / "ledger.sqlite")}
    await client.start_io(sys.executable, "-m", "anvil", "serve", env=env)
    await client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual_studio_code"),
        workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(folder)), name="ws")],
        initialization_options={"provider": "replay", "model": str(recording), "samples": 1, "rounds": 1,
                                "repairWidth": 1}))
    return client


async def responsiveness(folder: Path, recording: Path) -> dict[str, list[float]]:
    """Code-action latencies while idle, checking (a bench the server has not seen) and generating."""
    client = await started_server(folder, recording)
    spec = from_fs_path(str(folder / "counter4.md"))
    ask = lsp.CodeActionParams(text_document=lsp.TextDocumentIdentifier(uri=spec),
                               range=lsp.Range(start=lsp.Position(line=0, character=0),
                                               end=lsp.Position(line=0, character=0)),
                               context=lsp.CodeActionContext(diagnostics=[]))
    phase = ["idle"]
    seen: dict[str, list[float]] = {}

    async def probe() -> None:
        while True:
            sent = time.perf_counter()
            await client.text_document_code_action_async(ask)
            seen.setdefault(phase[0], []).append(time.perf_counter() - sent)
            await asyncio.sleep(0.02)

    prober = asyncio.ensure_future(probe())
    await asyncio.sleep(1.0)
    (folder / "counter4.sv").write_text((EX / "counter4_bad.sv").read_text())
    phase[0] = "checking (bench not seen before)"
    await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="anvil.check", arguments=[{"uri": spec}]))
    (folder / "counter4.sv").unlink()
    phase[0] = "generating (replayed model)"
    await asyncio.wait_for(client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="anvil.generate", arguments=[{"uri": spec}])), 120)
    phase[0] = "done"
    prober.cancel()
    await asyncio.gather(prober, return_exceptions=True)
    await client.shutdown_session()
    await client.stop()
    seen.pop("done", None)
    return seen


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        folder, recording = await recorded_workspace()
        for key, value in (await once(folder, recording)).items():
            results.setdefault(key, []).append(value)
        shutil.rmtree(folder, ignore_errors=True)

    # the server's own conversion of a verdict to diagnostics, in-process
    from lsp_server.convert import verdict_diagnostics

    bad = EX / "counter4_bad.sv"
    verdict = await Oracle().simulate(bad, Bench.for_testbench(EX / "counter4_tb.sv"))
    text = bad.read_text()
    verdict_diagnostics(verdict, rtl_path=bad, rtl_text=text)  # warm-up (imports)
    times = []
    for _ in range(50):
        t = time.perf_counter()
        verdict_diagnostics(verdict, rtl_path=bad, rtl_text=text)
        times.append(time.perf_counter() - t)
    results["verdict_to_diagnostics_in_server"] = times

    probes: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        folder, recording = await recorded_workspace()
        for key, value in (await responsiveness(folder, recording)).items():
            probes.setdefault(key, []).extend(value)
        shutil.rmtree(folder, ignore_errors=True)

    print(f"{'measure':<36} {'median':>9} {'min':>9} {'max':>9}   (n)")
    for key, values in results.items():
        print(f"{key:<36} {statistics.median(values) * 1000:8.1f}ms {min(values) * 1000:8.1f}ms "
              f"{max(values) * 1000:8.1f}ms   ({len(values)})")
    print(f"\n{'code action answered while':<36} {'median':>9} {'p99':>9} {'max':>9}   (n)")
    for key, values in probes.items():
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(f"{key:<36} {statistics.median(values) * 1000:8.1f}ms {p99 * 1000:8.1f}ms "
              f"{max(values) * 1000:8.1f}ms   ({len(values)})")


if __name__ == "__main__":
    asyncio.run(main())
