"""The oracle's runner: the one process that touches candidate code, inside the sandbox.

    python -m oracle.runner --config JSON

Started once per oracle configuration by :mod:`oracle.client` (inside bubblewrap when it can
be, see :mod:`oracle.sandbox`), it reads requests as JSON lines on stdin and answers on stdout:

- ``{"op": "bench", "key", "unit", "tb_top", "names", "bench_names", "reference_ports",
  "reference_module"}``: a bench's preprocessed text and facts, kept for the runs that follow;
- ``{"op": "run", "id", "key", "design": [[file, shown, text]...], "top", "screen",
  "interface", "expected_samples", "timeout", "limit"}``: answered with ``{"id", "verdict"}``;
- ``{"op": "cancel", "id"}``: the run's processes are killed; answered ``{"id", "cancelled"}``;
- ``{"op": "status"}``: ``{"status": {"jobs", "files", "pid"}}`` (what is still running or on disk).

A run, all under one deadline and one run directory (removed afterwards): the design's files
through Icarus's preprocessor; the screen of that output in a forked child with memory and CPU
limits, while the compiler reads the same text (plus the bench's); the compiled image's checks;
the simulation; the judgement. At end of input every job is killed and the root removed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from . import cocotb as cocotb_bench
from .backend import Simulator, simulator
from .icarus import Tools
from .judge import DUMP, judge
from .results import Rule
from .vcd import agreement
from .process import Child, Limits, ProcessResult, run_bounded
from .screen import ScreenReport, screen
from .screens import ScreenPool
from .verdict import CompileError, Status, Verdict

#: the preprocessed design may be at most this large (a macro bomb stops here)
MAX_PREPROCESSED = 16 << 20
#: the preprocessed design and bench, for a compiler that reads a file
UNIT = "unit.pp"


class Runner:
    def __init__(self, tools: Tools, root: Path, memory_bytes: int, cocotb: cocotb_bench.Cocotb | None = None) -> None:
        self.tools = tools
        self.cocotb = cocotb
        self.sim: Simulator = simulator(tools.simulator)
        self.root = root
        self.memory_bytes = memory_bytes
        self.benches: dict[str, dict] = {}
        self.jobs: dict[int, asyncio.Task] = {}
        self.out = sys.stdout.buffer
        self.count = 0
        self.screens = ScreenPool(_screen_request, memory_bytes)
        self.defines = str(root / "design.defs")
        Path(self.defines).write_text(self.sim.design_defines())

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message).encode() + b"\n")
        self.out.flush()

    # -- requests --------------------------------------------------------------------------

    def handle(self, message: dict) -> None:
        op = message.get("op")
        if op == "bench":
            message["data"] = [(_safe_place(place), base64.b64decode(content))
                               for place, content in message.get("data") or ()]
            self.benches[message["key"]] = message
        elif op == "run":
            task = asyncio.get_running_loop().create_task(self._answer(message))
            self.jobs[message["id"]] = task
        elif op == "cancel":
            task = self.jobs.get(message["id"])
            if task is None:
                self.send({"id": message["id"], "cancelled": False})
            else:
                task.cancel()
        elif op == "status":  # run directories still on disk, runs still going
            files = sum(1 for p in self.root.iterdir() if p.name.startswith("run")) if self.root.is_dir() else 0
            self.send({"id": message.get("id"), "status": {"jobs": len(self.jobs), "files": files,
                                                           "pid": os.getpid(), "root": str(self.root)}})

    async def _answer(self, request: dict) -> None:
        rid = request["id"]
        try:
            verdict = await self.execute(request)
            self.send({"id": rid, "verdict": verdict.to_wire()})
        except asyncio.CancelledError:
            self.send({"id": rid, "cancelled": True})
        except Exception as exc:  # a bug here must not end other runs: the run is an error verdict
            traceback.print_exc(file=sys.stderr)
            self.send({"id": rid, "verdict": Verdict(Status.ERROR, simulator=self.tools.version,
                                                     reason=f"the oracle's runner failed: {exc!r}").to_wire()})
        finally:
            self.jobs.pop(rid, None)

    async def shutdown(self) -> None:
        for task in list(self.jobs.values()):
            task.cancel()
        await asyncio.gather(*self.jobs.values(), return_exceptions=True)
        self.screens.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- one run ---------------------------------------------------------------------------

    async def execute(self, request: dict) -> Verdict:
        bench = self.benches[request["key"]]
        timeout = float(request["timeout"])
        deadline = time.monotonic() + timeout
        self.count += 1
        workdir = Path(tempfile.mkdtemp(prefix=f"run{request['id']}-", dir=self.root))
        try:
            return await self._execute(request, bench, workdir, timeout, deadline)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _limits(self, deadline: float) -> Limits:
        return Limits(timeout_s=max(0.2, deadline - time.monotonic()), memory_bytes=self.memory_bytes)

    def _bench_files(self, key: str, bench: dict) -> tuple[str, bytes]:
        """The bench's compiler configuration (written once per bench) and its text."""
        cached = bench.get("_files")
        if cached is None:
            conf = self.root / f"conf-{key[:24]}"
            conf.write_text(self.sim.compiler_config(self.tools, root=bench["tb_top"]))
            cached = bench["_files"] = (str(conf), ("\n`resetall\n" + bench["unit"]).encode("utf-8"))
        return cached

    def _sim_dir(self, workdir: Path, bench: dict) -> Path:
        """The simulation's working directory: the bench's data files at their places."""
        sim = workdir / "sim"
        sim.mkdir()
        for place, content in bench["data"]:
            target = sim / place
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return sim

    async def _execute(self, request: dict, bench: dict, workdir: Path, timeout: float, deadline: float) -> Verdict:
        tools = self.tools
        version = tools.version
        env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "TMPDIR": str(workdir), "LANG": "C.UTF-8"}
        files: dict[str, str] = {}  # name the tools see -> name to report
        for file, shown, text in request["design"]:
            (workdir / file).write_text(text, encoding="utf-8", errors="surrogatepass")
            files[file] = shown
        (workdir / "design.files").write_text("".join(f"{f}\n" for f in files))
        names = dict(files)
        names.update(bench["names"])
        conf, bench_unit = self._bench_files(request["key"], bench)
        screening = request.get("screen", True)

        # ivlpp's output goes, as it is produced, to the compiler (when ivl runs directly) and to
        # the screen: the two read the same bytes
        pp = bytearray()
        compiler = None
        sim = self.sim
        cocotb_tests = bench.get("cocotb")
        prelude = cocotb_bench.PRELUDE.encode() if cocotb_tests is not None else b""
        if sim.streams(tools):
            compiler = Child(sim.compile(tools, config=conf, unit="-", root=bench["tb_top"]),
                             cwd=workdir, limits=self._limits(deadline), env=env, feed=True)
            compiler.write(prelude)

        def take(chunk: bytes) -> None:
            pp.extend(chunk)
            if compiler is not None:
                compiler.write(chunk)

        report = ScreenReport()
        try:
            if files:
                pre = Child(sim.preprocess(tools, defines=self.defines, file_list="design.files"), cwd=workdir,
                            limits=self._limits(deadline), env=env, on_data=take, data_cap=MAX_PREPROCESSED)
                preprocessed = await pre.wait()
            else:  # the bench alone (is it broken whatever the design?)
                pre, preprocessed = None, ProcessResult(0, "", 0, False, 0.0)
            if pre is not None and pre.overflow:
                return Verdict(Status.COMPILE_ERROR, simulator=version, compile_errors=(CompileError(
                    None, None, f"the preprocessed design is over {MAX_PREPROCESSED >> 20} MB (a macro expanding "
                                "without bound?)"),), reason="the preprocessed design is too large")
            if preprocessed.timed_out:
                return Verdict(Status.TIMEOUT, simulator=version,
                               reason=f"preprocessing the design did not finish within {timeout:g} s")
            if preprocessed.returncode != 0:
                return _compile_error(sim, preprocessed, names, version, "the preprocessor rejected the design")
            if compiler is None:
                (workdir / UNIT).write_bytes(prelude + bytes(pp) + bench_unit)
                compiler = Child(sim.compile(tools, config=conf, unit=UNIT, root=bench["tb_top"]),
                                 cwd=workdir, limits=self._limits(deadline), env=env)
            else:
                compiler.write(bench_unit)
                compiler.close_input()
            pp_text = pp.decode("utf-8", errors="replace")
            if screening:
                outcome = await self.screens.screen(
                    {"text": pp_text, "files": files, "top": request["top"], "interface": request.get("interface"),
                     "exact": request.get("exact", True),
                     "reference_ports": bench.get("reference_ports"), "bench_names": bench.get("bench_names", []),
                     "reference_module": bench.get("reference_module")},
                    max(0.2, deadline - time.monotonic()))
                if isinstance(outcome, Verdict):
                    return replace(outcome, simulator=version)
                report = outcome
                if report.problems and not report.syntax_only:
                    return _rejected(report.problems, report, version)
            compiled = await compiler.wait(max(0.0, deadline - time.monotonic()))
            if report.syntax_only:  # both parsers refuse it: the compiler's messages (when they are about
                # the design's own lines), the screen's as hints
                hints = tuple(e.describe() for e in report.problems) + tuple(report.hints)
                if compiled.returncode != 0 and not compiled.timed_out:
                    verdict = _compile_error(sim, compiled, names, version, "compilation failed", {"hints": hints[:8]})
                    if any(e.file in files.values() for e in verdict.compile_errors):
                        return verdict
                return _rejected(report.problems, report, version)
        finally:
            if compiler is not None and compiler.proc.returncode is None:
                compiler.kill()
                await compiler.wait(0)
        extras = dict(hints=tuple(report.hints), drivers={k: tuple(v) for k, v in report.drivers.items()})
        image = workdir / sim.image
        if compiled.timed_out:
            return Verdict(Status.TIMEOUT, simulator=version,
                           reason=f"compilation did not finish within {timeout:g} s", **extras)
        if compiled.returncode != 0 or not image.exists():
            return _compile_error(sim, compiled, names, version, "compilation failed", extras)
        if request.get("compile_only"):
            return Verdict(Status.PASS, simulator=version, reason="compiled")
        if screening:
            problems = sim.compiled_problems(compiled.output, image, files)
            if problems:
                return _rejected(problems, report, version)
        simdir = self._sim_dir(workdir, bench)
        argv, run_env = sim.run(tools, str(image)), env
        if cocotb_tests is not None:
            if self.cocotb is None:
                return Verdict(Status.ERROR, simulator=version, reason="cocotb is not installed: pip install "
                                                                         "'anvil[cocotb]' (scripts/setup.sh does)")
            argv, run_env = cocotb_bench.plan(self.cocotb, vvp=tools.vvp, image=str(image),
                                              module=bench["test_module"], top=request["top"], cwd=str(simdir))
        ran = await run_bounded(argv, cwd=simdir, limits=self._limits(deadline), env=run_env)
        if ran.timed_out:
            return Verdict(Status.TIMEOUT, simulator=version, log_tail=ran.output[-2000:],
                           reason=f"simulation did not finish within {timeout:g} s and was killed", **extras)
        ports = bench.get("ports") or {}
        if cocotb_tests is not None:
            verdict = cocotb_bench.read_results(simdir / cocotb_bench.RESULTS, cocotb_tests, ran.output,
                                                int(request["limit"]), f"{version}, {self.cocotb.version}", ports)
            return replace(verdict, **extras)
        verdict = judge(ran.output, ran.returncode, simdir / DUMP, request.get("expected_samples"),
                        int(request["limit"]), version, rule=Rule.from_wire(bench.get("rule")), ports=ports)
        if request.get("agreement") and verdict.status in (Status.FUNCTIONAL_FAIL, Status.PASS):
            extras["agreement"] = agreement(simdir / DUMP)
        return replace(verdict, **extras)


def _safe_place(place: str) -> str:
    """A data file's place, kept inside the simulation's directory."""
    parts = [p for p in Path(place).parts if p not in ("", ".", "..", "/")]
    return str(Path(*parts)) if parts else "data"


def _screen_request(request: dict) -> dict:
    """What a screen worker does with one request (see :mod:`oracle.screens`)."""
    return screen(request["text"], files=request["files"], top=request["top"], interface=request.get("interface"),
                  exact=request.get("exact", True),
                  reference_ports=request.get("reference_ports"), bench_names=frozenset(request.get("bench_names", ())),
                  reference_module=request.get("reference_module")).to_dict()


def _rejected(problems, report: ScreenReport, version: str) -> Verdict:
    return Verdict(Status.COMPILE_ERROR, compile_errors=tuple(problems), simulator=version, hints=tuple(report.hints),
                   reason="design code rejected before simulation: " + problems[0].describe())


def _compile_error(sim: Simulator, result: ProcessResult, names: dict[str, str], version: str, fallback: str,
                   extras: dict | None = None) -> Verdict:
    errors = tuple(CompileError(names.get(e.file) if e.file else None, e.line, e.message)
                   for e in sim.compile_errors(result.output))
    return Verdict(Status.COMPILE_ERROR, compile_errors=errors, simulator=version,
                   reason=errors[0].describe() if errors else fallback, **(extras or {}))


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
    loop.add_signal_handler(signal.SIGTERM, lambda: closed.done() or closed.set_result(None))
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


def probe(paths) -> dict:
    """What this process can see: network interfaces, and which of the caller's paths exist."""
    try:
        lines = Path("/proc/net/dev").read_text().splitlines()[2:]
        interfaces = sorted(line.split(":", 1)[0].strip() for line in lines if ":" in line)
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
    tools = Tools(**config["tools"])
    root = Path(config["root"])
    root.mkdir(parents=True, exist_ok=True)
    warm_up()
    runner = Runner(tools, root, int(config.get("memory_bytes", Limits().memory_bytes)),
                    cocotb_bench.Cocotb.from_wire(config.get("cocotb")))
    runner.probe_paths = list(config.get("probe_paths", ()))
    runner.screens.prestart(2)
    try:
        asyncio.run(serve(runner))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
