"""The oracle's runner: the one process that touches candidate code, inside the sandbox.

    python -m oracle.runner --config JSON

Started once per oracle configuration by :mod:`oracle.client` (inside bubblewrap when it can
be, see :mod:`oracle.sandbox`), it reads requests as JSON lines on stdin and answers on stdout:

- ``{"op": "bench", "key", "unit", "tb_top", "names", "bench_names", "reference_ports",
  "reference_module"}``: a bench's preprocessed text and facts, kept for the runs that follow;
- ``{"op": "run", "id", "key", "design": [[file, shown, text]...], "top", "params", "screen",
  "interface", "exact", "expected_samples", "timeout", "limit", "agreement", "compile_only"}``:
  answered with ``{"id", "verdict"}`` (:mod:`oracle.onerun` says what a run does);
- ``{"op": "cancel", "id"}``: the run's processes are killed; answered ``{"id", "cancelled"}``;
- ``{"op": "status"}``: ``{"status": {"jobs", "files", "pid", "forked"}}`` (what is still running or on
  disk; how many choices of schemata ran from one loaded image, :mod:`oracle.forking`).

Each run has one deadline and one run directory (removed afterwards). At end of input every job
is killed and the root removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import cocotb as cocotb_bench
from . import vcdfast
from .backend import Simulator, simulator
from .compiling import ALONE_IMAGE
from .onerun import OneRun
from .process import Limits
from .screen import screen
from .screens import ScreenPool
from .toolchain import Toolchain
from .verdict import Status, Verdict
from .wire import BenchMessage, RunRequest


class Runner:
    def __init__(self, tools: Toolchain, root: Path, memory_bytes: int,
                 cocotb: cocotb_bench.Cocotb | None = None) -> None:
        self.tools = tools
        self.cocotb = cocotb
        self.sim: Simulator = simulator(tools.simulator)
        self.root = root
        self.memory_bytes = memory_bytes
        self.benches: dict[str, BenchMessage] = {}
        self.bench_cache: dict[str, tuple[str, bytes]] = {}
        self.jobs: dict[int, asyncio.Task[None]] = {}
        self.probe_paths: list[str] = []
        #: the folder of the fork module (:mod:`oracle.forking`), when it was built
        self.fork_module: str | None = None
        self.forked = 0
        self.out = sys.stdout.buffer
        self.count = 0
        self.screens = ScreenPool(_screen_request, memory_bytes)
        self.defines = str(root / "design.defs")
        Path(self.defines).write_text(self.sim.design_defines())
        self.token = secrets.token_hex(6)  # in the neutral top's names: no design can know them
        self.alone_conf = str(root / "conf-alone")
        Path(self.alone_conf).write_text(self.sim.compiler_config(tools, root=f"anvil_alone_{self.token}",
                                                                  image=ALONE_IMAGE))

    def send(self, message: dict[str, Any]) -> None:
        self.out.write(json.dumps(message).encode() + b"\n")
        self.out.flush()

    # -- requests --------------------------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "bench":
            bench = BenchMessage.from_wire(message)
            self.benches[bench.key] = bench
        elif op == "run":
            rid = message["id"]
            task = asyncio.get_running_loop().create_task(self._answer(rid, RunRequest.from_wire(message)))
            task.add_done_callback(lambda done: self._unstarted(rid, done))
            self.jobs[rid] = task
        elif op == "cancel":
            running = self.jobs.get(message["id"])
            if running is None:
                self.send({"id": message["id"], "cancelled": False})
            else:
                running.cancel()
        elif op == "status":  # run directories still on disk, runs still going
            files = sum(1 for p in self.root.iterdir() if p.name.startswith("run")) if self.root.is_dir() else 0
            self.send({"id": message.get("id"), "status": {"jobs": len(self.jobs), "files": files,
                                                           "pid": os.getpid(), "root": str(self.root),
                                                           "forked": self.forked}})

    async def _answer(self, rid: int, request: RunRequest) -> None:
        try:
            verdict, variants = await self.execute_all(request)
            answer: dict[str, Any] = {"id": rid, "verdict": verdict.to_wire()}
            if variants is not None:
                answer["variants"] = [v.to_wire() for v in variants]
            self.send(answer)
        except asyncio.CancelledError:
            self.send({"id": rid, "cancelled": True})
        except Exception as exc:  # noqa: BLE001 - a bug here must not end other runs: an error verdict
            traceback.print_exc(file=sys.stderr)
            self.send({"id": rid, "verdict": Verdict(Status.ERROR, simulator=self.tools.version,
                                                     reason=f"the oracle's runner failed: {exc!r}").to_wire()})
        finally:
            self.jobs.pop(rid, None)

    def _unstarted(self, rid: int, task: asyncio.Task[None]) -> None:
        """A run cancelled before it began (its cancel came in the same read as the run itself)
        never reached :meth:`_answer`'s handler: its answer is sent here, or the host waits for it."""
        if task.cancelled():
            self.jobs.pop(rid, None)
            self.send({"id": rid, "cancelled": True})

    async def shutdown(self) -> None:
        for task in list(self.jobs.values()):
            task.cancel()
        await asyncio.gather(*self.jobs.values(), return_exceptions=True)
        self.screens.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- one run ---------------------------------------------------------------------------

    async def execute(self, request: RunRequest) -> Verdict:
        return (await self.execute_all(request))[0]

    async def execute_all(self, request: RunRequest) -> tuple[Verdict, list[Verdict] | None]:
        """The run's verdict, and for a schema the verdict of each choice."""
        bench = self.benches[request.key]
        self.count += 1
        workdir = Path(tempfile.mkdtemp(prefix=f"run{self.count}-", dir=self.root))
        try:
            began = time.perf_counter()
            run = OneRun(self, request, bench, workdir)
            verdict = await run.execute()
            return replace(verdict, run_s=round(time.perf_counter() - began, 4)), run.variant_verdicts
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def bench_files(self, bench: BenchMessage) -> tuple[str, bytes]:
        """The bench's compiler configuration (written once per bench) and its text."""
        cached = self.bench_cache.get(bench.key)
        if cached is None:
            conf = self.root / f"conf-{bench.key[:24]}"
            conf.write_text(self.sim.compiler_config(self.tools, root=bench.tb_top))
            cached = self.bench_cache[bench.key] = (str(conf), ("\n`resetall\n" + bench.unit).encode("utf-8"))
        return cached

    def unname(self, message: str) -> str:
        """A compiler message without the neutral top's names (the design cannot know them)."""
        return message.replace(f"anvil_alone_{self.token}.anvil_design_{self.token}", "the design") \
            .replace(f"anvil_alone_{self.token}", "the design's elaboration")


def _screen_request(request: dict[str, Any]) -> dict[str, Any]:
    """What a screen worker does with one request (see :mod:`oracle.screens`)."""
    return screen(request["text"], files=request["files"], top=request["top"], interface=request.get("interface"),
                  exact=request.get("exact", True),
                  reference_ports=request.get("reference_ports"), bench_names=frozenset(request.get("bench_names", ())),
                  reference_module=request.get("reference_module"), selector=request.get("selector")).to_dict()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def serve(runner: Runner) -> None:
    loop = asyncio.get_running_loop()
    stdin = sys.stdin.buffer.fileno()
    os.set_blocking(stdin, False)
    buffer = bytearray()
    closed = loop.create_future()

    def on_input() -> None:
        try:
            chunk = os.read(stdin, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            loop.remove_reader(stdin)
            if not closed.done():
                closed.set_result(None)
            return
        buffer.extend(chunk)
        while (cut := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:cut])
            del buffer[:cut + 1]
            if line.strip():
                runner.handle(json.loads(line))

    loop.add_reader(stdin, on_input)
    loop.add_signal_handler(signal.SIGTERM, _settle, closed)
    runner.send({"ready": True, "pid": os.getpid(), "root": str(runner.root), "probe": probe(runner.probe_paths)})
    await closed
    await runner.shutdown()


_WARM_UP = """module TopModule(input clk, input [3:0] a, output logic [3:0] q);
  function automatic [3:0] f(input [3:0] x); f = x + 4'd1; endfunction
  always @(posedge clk) q <= f(a) ^ $clog2(4);
endmodule
"""


def warm_up() -> None:
    """Load pyslang and run one screen here, so each forked screen starts warm (a cold first
    compilation costs ~5 ms, as much as the compile it runs beside)."""
    screen(f'`line 1 "warm.sv" 0\n{_WARM_UP}', files={"warm.sv": "warm.sv"}, top="TopModule",
           interface=[["clk", "input", 1], ["a", "input", 4], ["q", "output", 4]])


def probe(paths: Sequence[str]) -> dict[str, Any]:
    """What this process can see: network interfaces, and which of the caller's paths exist."""
    try:
        interfaces = sorted(name for _, name in socket.if_nameindex())
    except OSError:
        interfaces = []
    return {"interfaces": interfaces, "sees": {p: os.path.exists(p) for p in paths}, "uid": os.getuid()}


def _die_with_parent() -> None:
    """SIGTERM when the parent dies: handled like the end of input (jobs killed, root removed)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def main() -> int:
    parser = argparse.ArgumentParser(prog="oracle.runner")
    parser.add_argument("--config", required=True, help="JSON: tools, root, memory_bytes")
    parser.add_argument("--pdeathsig", action="store_true",
                        help="end (cleanly) when the parent dies; the sandbox does this otherwise")
    args = parser.parse_args()
    config = json.loads(args.config)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the host decides when this ends (end of input)
    if args.pdeathsig:
        _die_with_parent()
    tools = Toolchain.from_wire(config["tools"])
    root = Path(config["root"])
    root.mkdir(parents=True, exist_ok=True)
    warm_up()
    runner = Runner(tools, root, int(config.get("memory_bytes", Limits().memory_bytes)),
                    cocotb_bench.Cocotb.from_wire(config.get("cocotb")))
    runner.probe_paths = list(config.get("probe_paths", ()))
    runner.fork_module = config.get("fork_module")
    vcdfast.use(config.get("vcd_library"))
    runner.screens.prestart(2)
    try:
        asyncio.run(serve(runner))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
