"""One run in the runner, all under one deadline and one run directory.

1. Icarus's preprocessor expands the design's files alone; its bytes go, as they come, to the
   compilers (:mod:`oracle.compiling`): the design with the bench, and the design alone under a
   neutral top (candidates only);
2. the screen (pyslang, in a forked worker) reads the same bytes, for early, friendly messages,
   the interface and the lines that drive each output; it runs beside everything else;
3. the design alone must compile, and its image must do nothing a design may not
   (:mod:`oracle.alone`): this, not the screen, is what lets a design reach the bench;
4. the design with the bench is simulated, in the bench's data directory;
5. the judgement: the bench's output (:mod:`oracle.judge`), or cocotb's results; a screen that
   found a problem overrides it.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from . import cocotb as cocotb_bench
from . import forking
from .alone import ELABORATION, neutral_top
from .backend import Simulator
from .compiling import ALONE, ALONE_IMAGE, BENCH, Compilers, Plan
from .judge import DUMP, judge
from .process import Child, Limits, ProcessResult, run_bounded
from .screen import ScreenReport
from .screens import ScreenPool
from .toolchain import Toolchain
from .vcd import agreement
from .verdict import CompileError, Status, Verdict
from .wire import BenchMessage, RunRequest


class Host(Protocol):
    """What a run needs of the runner it runs in (:class:`oracle.runner.Runner`)."""

    sim: Simulator
    tools: Toolchain
    memory_bytes: int
    screens: ScreenPool
    defines: str  # the design's predefined macros, for the preprocessor
    token: str  # in the neutral top's names
    alone_conf: str  # the compiler's configuration for the design alone
    cocotb: cocotb_bench.Cocotb | None
    fork_module: str | None  # the folder of the fork module (:mod:`oracle.forking`), if built
    forked: int  # choices of schemata run by it so far

    def bench_files(self, bench: BenchMessage) -> tuple[str, bytes]: ...

    def unname(self, message: str) -> str: ...

#: the preprocessed design may be at most this large (a macro bomb stops here)
MAX_PREPROCESSED = 16 << 20
#: after the deadline, the waveform is read for at most this long (a verdict comes within
#: the timeout plus 2 s, whatever the dump's size)
READ_S = 0.8
#: how often a schema's forked choices are looked for while the image runs them
FORK_POLL_S = 0.002


class OneRun:
    def __init__(self, runner: Host, request: RunRequest, bench: BenchMessage, workdir: Path) -> None:
        self.runner = runner
        self.sim = runner.sim
        self.tools = runner.tools
        self.version = runner.tools.version
        self.request = request
        self.bench = bench
        self.workdir = workdir
        self.timeout = request.timeout
        self.deadline = time.monotonic() + self.timeout
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "TMPDIR": str(workdir), "LANG": "C.UTF-8"}
        self.files: dict[str, str] = {}  # name the tools see -> name to report
        for design in request.design:
            (workdir / design.file).write_text(design.text, encoding="utf-8", errors="surrogatepass")
            self.files[design.file] = design.shown
        (workdir / "design.files").write_text("".join(f"{f}\n" for f in self.files))
        self.names = {**self.files, **bench.names}
        self.screening = request.screen
        self.cocotb_tests = bench.cocotb
        self.screen_task: asyncio.Task[ScreenReport | Verdict] | None = None
        #: a schema's runs, one verdict per choice (:mod:`oracle.variants`)
        self.variant_verdicts: list[Verdict] | None = None

    def limits(self) -> Limits:
        return Limits(timeout_s=max(0.2, self.deadline - time.monotonic()), memory_bytes=self.runner.memory_bytes)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    # -- the run ------------------------------------------------------------------------------

    async def execute(self) -> Verdict:
        try:
            return await self._execute()
        finally:
            if self.screen_task is not None and not self.screen_task.done():
                self.screen_task.cancel()
                await asyncio.gather(self.screen_task, return_exceptions=True)

    async def _execute(self) -> Verdict:
        compilers = self._compilers()
        try:
            pp = await self._preprocess(compilers)
            if isinstance(pp, Verdict):
                return pp
            compilers.finish(pp)
            if self.screening:
                self.screen_task = asyncio.ensure_future(self._screen(pp))
                alone = await compilers.wait(ALONE, self.left())
                rejected = await self._judge_alone(alone)
                if rejected is not None:
                    return rejected
                early = self._screen_rejection()  # the screen was quick: no simulation for nothing
                if early is not None:
                    return early
            compiled = await compilers.wait(BENCH, self.left())
        finally:
            await compilers.close()
        image = self.workdir / self.sim.image
        if compiled.timed_out:
            return await self._with_screen(Verdict(Status.TIMEOUT, simulator=self.version,
                                                   reason=f"compilation did not finish within {self.timeout:g} s"))
        if compiled.returncode != 0 or not image.exists():
            return await self._with_screen(_compile_error(self.sim, compiled, self.names, self.version,
                                                          "compilation failed"))
        if self.request.compile_only:
            return Verdict(Status.PASS, simulator=self.version, reason="compiled")
        if self.request.variants:
            return await self._variants(image)
        return await self._with_screen(await self._simulate(image))

    def _compilers(self) -> Compilers:
        conf, bench_unit = self.runner.bench_files(self.bench)
        prelude = cocotb_bench.PRELUDE.encode() if self.cocotb_tests is not None else b""
        plans = {BENCH: Plan(conf, self.bench.tb_top, self.sim.image, prelude, bench_unit)}
        if self.screening:
            neutral, text = neutral_top(self.request.top or "", self.request.params, self.runner.token)
            plans[ALONE] = Plan(self.runner.alone_conf, neutral, ALONE_IMAGE, prelude, text.encode())
        return Compilers(self.sim, self.tools, plans, cwd=self.workdir, env=self.env, limits=self.limits)

    async def _preprocess(self, compilers: Compilers) -> bytes | Verdict:
        """The design's files through Icarus's preprocessor, streamed to the compilers."""
        if not self.files:  # the bench alone (is it broken whatever the design?)
            return b""
        pp = bytearray()

        def take(chunk: bytes) -> None:
            pp.extend(chunk)
            compilers.take(chunk)

        pre = Child(self.sim.preprocess(self.tools, defines=self.runner.defines, file_list="design.files"),
                    cwd=self.workdir, limits=self.limits(), env=self.env, on_data=take, data_cap=MAX_PREPROCESSED)
        done = await pre.wait()
        if pre.overflow:
            return Verdict(Status.COMPILE_ERROR, simulator=self.version, compile_errors=(CompileError(
                None, None, f"the preprocessed design is over {MAX_PREPROCESSED >> 20} MB (a macro expanding "
                            "without bound?)"),), reason="the preprocessed design is too large")
        if done.timed_out:
            return Verdict(Status.TIMEOUT, simulator=self.version,
                           reason=f"preprocessing the design did not finish within {self.timeout:g} s")
        if done.returncode != 0:
            return _compile_error(self.sim, done, self.names, self.version, "the preprocessor rejected the design")
        return bytes(pp)

    # -- the screen, beside everything else -----------------------------------------------------

    async def _screen(self, pp: bytes) -> ScreenReport | Verdict:
        bench, request = self.bench, self.request
        outcome = await self.runner.screens.screen(
            {"text": pp.decode("utf-8", errors="replace"), "files": self.files, "top": request.top,
             "interface": [p.to_list() for p in request.interface] if request.interface else None,
             "exact": request.exact, "reference_ports": bench.reference_ports, "bench_names": list(bench.bench_names),
             "reference_module": bench.reference_module, "selector": self._selector(pp)},
            max(0.2, self.left()))
        return replace(outcome, simulator=self.version) if isinstance(outcome, Verdict) else outcome

    def _selector(self, pp: bytes) -> str | None:
        """A schema's selector: the variable declared with the request's marker as its value."""
        if not self.request.variants:
            return None
        marker = str(self.request.marker).encode()
        m = re.search(rb"\breg \[31:0\] ([A-Za-z_][A-Za-z0-9_]*) = 32'd" + marker + rb";", pp)
        return m.group(1).decode() if m else None

    async def _report(self) -> ScreenReport | Verdict:
        if self.screen_task is None:
            return ScreenReport()
        return await self.screen_task

    def _screen_rejection(self) -> Verdict | None:
        task = self.screen_task
        if task is None or not task.done() or task.cancelled():
            return None
        return _rejection(task.result(), self.version)

    async def _with_screen(self, verdict: Verdict) -> Verdict:
        """The screen's rejection if it found a problem, else ``verdict`` with its hints and the
        lines that drive each output."""
        report = await self._report()
        rejected = _rejection(report, self.version)
        if rejected is not None:
            return rejected
        assert isinstance(report, ScreenReport)
        return replace(verdict, hints=tuple(report.hints) or verdict.hints,
                       drivers={k: tuple(v) for k, v in report.drivers.items()})

    # -- the design alone -------------------------------------------------------------------------

    async def _judge_alone(self, alone: ProcessResult) -> Verdict | None:
        """A compile error if the design cannot be compiled alone, a rejection if its image does
        what a design may not; None when it may go on to the bench."""
        if alone.timed_out:
            return Verdict(Status.TIMEOUT, simulator=self.version,
                           reason=f"compilation did not finish within {self.timeout:g} s")
        image = self.workdir / ALONE_IMAGE
        if alone.returncode != 0 or not image.exists():
            report = await self._report()
            friendlier = _rejection(report, self.version)  # the screen said it too, in its own words
            if friendlier is not None and friendlier.status is Status.COMPILE_ERROR:
                return friendlier
            hints = () if isinstance(report, Verdict) else (
                tuple(e.describe() for e in report.problems) + tuple(report.hints))
            verdict = _compile_error(self.sim, alone, {**self.names, ELABORATION: ELABORATION}, self.version,
                                     "the design does not compile on its own", hints[:8])
            errors = tuple(replace(e, message=self.runner.unname(e.message)) for e in verdict.compile_errors)
            return replace(verdict, compile_errors=errors, reason="the design does not elaborate on its own: "
                           + (errors[0].describe() if errors else "compilation failed"))
        problems = self.sim.alone_problems(alone.output, image, self.files,
                                           frozenset(self.bench.bench_names))
        if not problems:
            return None
        report = await self._report()
        friendlier = _rejection(report, self.version)
        if friendlier is not None and friendlier.status is Status.COMPILE_ERROR:
            return friendlier
        hints = () if isinstance(report, Verdict) else tuple(report.hints)
        return Verdict(Status.COMPILE_ERROR, compile_errors=tuple(problems), simulator=self.version, hints=hints,
                       reason="design code rejected before simulation: " + problems[0].describe())

    # -- the simulation ---------------------------------------------------------------------------

    async def _variants(self, image: Path) -> Verdict:
        """A schema: the image run once per choice, each run judged as the design alone would be
        and given the time the design alone would have had left after compiling."""
        rejected = _rejection(await self._report(), self.version)
        if rejected is not None:
            return rejected
        if self.cocotb_tests is not None:
            return Verdict(Status.ERROR, simulator=self.version, reason="variants are not run with cocotb benches")
        data = image.read_bytes()
        each = max(0.2, self.left())
        choices = range(1, self.request.variants + 1)
        verdicts = await self._forked(data, choices, each) if self.runner.fork_module else {}
        for choice in choices:
            if choice in verdicts:
                continue
            chosen = self.sim.select(data, self.request.marker, choice)
            if chosen is None:
                return Verdict(Status.ERROR, simulator=self.version,
                               reason="the schema's selector is not in its compiled image")
            path = self.workdir / f"choice{choice}.image"
            path.write_bytes(chosen)
            self.deadline = time.monotonic() + each
            try:
                verdicts[choice] = await self._simulate(path, f"sim{choice}")
            finally:
                path.unlink(missing_ok=True)
                shutil.rmtree(self.workdir / f"sim{choice}", ignore_errors=True)
        self.variant_verdicts = [verdicts[c] for c in choices]
        return Verdict(Status.PASS, simulator=self.version, reason=f"{len(choices)} variants run")

    async def _forked(self, data: bytes, choices: range, each: float) -> dict[int, Verdict]:
        """The choices run from one loaded image (:mod:`oracle.forking`), each under its own
        deadline of ``each`` seconds; a choice missing from the answer (its output or waveform
        too large, the fork failed) is left to be run on its own.

        A choice is judged as soon as the module reports it, while the next ones still run. Its
        output is what the loaded image printed before forking, then its own: judged early only
        while the image has printed nothing, and judged again at the end if it printed after all,
        so every verdict is the one the finished run gives."""
        module = self.runner.fork_module
        folder = self.workdir / "forks"
        folder.mkdir()
        path = folder / "schema.image"
        function = f"$anvil_choice_{self.runner.token}"
        plan = self.sim.fork_plan(self.tools, data, self.request.marker, function, module or "", str(path))
        if plan is None:
            return {}
        image, argv = plan
        path.write_bytes(image)
        for choice in choices:
            self._sim_dir(f"forks/sim{choice}")
        env = dict(self.env, ANVIL_FORK=forking.spec(function, len(choices), each, str(folder)))
        limits = Limits(timeout_s=each * len(choices) + 1.0, memory_bytes=self.runner.memory_bytes)
        results = folder / "forks"
        parent = Child(argv, cwd=folder, limits=limits, env=env)
        waiting = asyncio.ensure_future(parent.wait())
        verdicts: dict[int, Verdict] = {}
        size = 0  # of the report when last read: read again only when the module has written to it
        try:
            while not waiting.done():
                await asyncio.wait({waiting}, timeout=FORK_POLL_S)
                if parent.capture.total:  # the image printed: its choices are judged once it ends
                    continue
                try:
                    grown = results.stat().st_size
                except OSError:
                    continue
                if grown == size:
                    continue
                size = grown
                for choice, outcome in forking.reported(results, choices, complete=True).items():
                    if choice not in verdicts:
                        verdicts[choice] = await self._judge_choice(folder, choice, outcome, "")
        finally:
            if not waiting.done():
                waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
        ran = waiting.result()
        if ran.output:
            verdicts.clear()
        for choice, outcome in forking.reported(results, choices, complete=False).items():
            if choice not in verdicts:
                verdicts[choice] = await self._judge_choice(folder, choice, outcome, ran.output)
        shutil.rmtree(folder, ignore_errors=True)
        self.runner.forked += len(verdicts)
        return verdicts

    async def _judge_choice(self, folder: Path, choice: int, outcome: forking.Outcome, prefix: str) -> Verdict:
        capture = forking.capture(prefix, folder / f"out{choice}", Limits())
        ran = ProcessResult(None if outcome.how == "timeout" else outcome.returncode, capture.text(),
                            capture.total, outcome.how == "timeout", 0.0)
        self.deadline = time.monotonic()
        return await self._judged(ran, folder / f"sim{choice}")

    def _sim_dir(self, name: str = "sim") -> Path:
        """The simulation's working directory: the bench's data files at their places."""
        sim = self.workdir / name
        sim.mkdir()
        for place, content in self.bench.data:
            target = sim / place
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return sim

    async def _simulate(self, image: Path, where: str = "sim") -> Verdict:
        request, bench, cocotb = self.request, self.bench, self.runner.cocotb
        simdir = self._sim_dir(where)
        argv, env = self.sim.run(self.tools, str(image)), self.env
        if self.cocotb_tests is not None:
            if cocotb is None:
                return Verdict(Status.ERROR, simulator=self.version, reason=(
                    "cocotb is not installed: pip install 'anvil-rtl[cocotb]' (scripts/setup.sh does)"))
            argv, env = cocotb_bench.plan(cocotb, vvp=self.tools.program("vvp"), image=str(image),
                                          module=bench.test_module or "", top=request.top or "", cwd=str(simdir))
        ran = await run_bounded(argv, cwd=simdir, limits=self.limits(), env=env)
        return await self._judged(ran, simdir)

    async def _judged(self, ran: ProcessResult, simdir: Path) -> Verdict:
        """The verdict on a simulation that ran in ``simdir``."""
        request, bench, cocotb = self.request, self.bench, self.runner.cocotb
        if ran.timed_out:
            return Verdict(Status.TIMEOUT, simulator=self.version, log_tail=ran.output[-2000:],
                           reason=f"simulation did not finish within {self.timeout:g} s and was killed")
        ports = bench.ports
        if self.cocotb_tests is not None:
            assert cocotb is not None
            return cocotb_bench.read_results(simdir / cocotb_bench.RESULTS, self.cocotb_tests, ran.output,
                                             request.limit, f"{self.version}, {cocotb.version}", ports)
        until = max(self.deadline, time.monotonic()) + READ_S
        verdict = judge(ran.output, ran.returncode, simdir / DUMP, request.expected_samples, request.limit,
                        self.version, rule=bench.rule, ports=ports, until=until, agreement=request.agreement)
        if request.agreement and verdict.agreement is None and verdict.status in (Status.FUNCTIONAL_FAIL,
                                                                                  Status.PASS):
            verdict = replace(verdict, agreement=agreement(simdir / DUMP, until))
        return verdict


def _rejection(report: ScreenReport | Verdict, version: str) -> Verdict | None:
    """The screen's own verdict (a timeout, a crash), or its rejection; None when it found nothing
    that Icarus does not decide (syntax errors alone: Icarus compiled the design, so it decides)."""
    if isinstance(report, Verdict):
        return report
    if report.problems and not report.syntax_only:
        return Verdict(Status.COMPILE_ERROR, compile_errors=tuple(report.problems), simulator=version,
                       hints=tuple(report.hints),
                       reason="design code rejected before simulation: " + report.problems[0].describe())
    return None


def _compile_error(sim: Simulator, result: ProcessResult, names: dict[str, str], version: str, fallback: str,
                   hints: tuple[str, ...] = ()) -> Verdict:
    errors = tuple(CompileError(names.get(e.file) if e.file else None, e.line, e.message)
                   for e in sim.compile_errors(result.output))
    return Verdict(Status.COMPILE_ERROR, compile_errors=errors, simulator=version,
                   reason=errors[0].describe() if errors else fallback, hints=hints)
