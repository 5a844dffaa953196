"""The oracle: compile and simulate a candidate with Icarus Verilog and judge the run.

Only the testbench's own final result counts, and it is cross-checked:

1. design code is screened first (:mod:`oracle.screen`): it may not print, stop the
   simulation, touch files or reach into the testbench;
2. each run gets a fresh directory, ``vvp -n`` with stdin from /dev/null, its own process
   group killed at the deadline (a timeout, whatever was printed), bounded output;
3. the golden reference, when the bench has one, is run once as the design under test (cached
   by content): a bench whose reference fails is reported as ``error``, and a candidate run must
   produce exactly the reference's sample count to pass;
4. the concrete failing samples are read from ``wave.vcd``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .bench import Bench, PreparedBench, bench_key, prepare, read_text
from .plan import Tools, plan_simulation
from .process import Limits, run_bounded
from .screen import SourceText, screen_design
from .simlog import parse_compile_errors, parse_sim_log
from .tools import find_tools
from .vcd import scan
from .verdict import CompileError, Mismatch, Status, Verdict, score_of

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_MISMATCHES = 8
TRACE_WINDOW = 8  # samples shown up to the first mismatch

Design = str | Path | SourceText | Sequence[Path | SourceText]


@dataclass(frozen=True)
class BenchReport:
    """How the reference fares on its own testbench (``verdict`` is None without a reference)."""

    key: str
    verdict: Verdict | None

    @property
    def usable(self) -> bool:
        return self.verdict is None or self.verdict.passed

    @property
    def samples(self) -> int | None:
        return self.verdict.samples if self.verdict is not None and self.verdict.samples else None


def _stamp(bench: Bench) -> tuple:
    """Size and modification time of the bench's files (None for a missing file)."""
    out = []
    for path in (bench.testbench, *bench.extra):
        try:
            st = path.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def _as_sources(design: Design) -> list[Path | SourceText]:
    if isinstance(design, str):
        return [SourceText("candidate.sv", design)]
    if isinstance(design, (Path, SourceText)):
        return [design]
    return list(design)


class Oracle:
    """Judges candidates; shares reference runs and a concurrency bound between them."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_mismatches: int = DEFAULT_MAX_MISMATCHES,
        tools: Tools | None = None,
        tmp_root: Path | None = None,
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout_s = timeout_s
        self.max_mismatches = max_mismatches
        self._tools = tools
        self.tmp_root = tmp_root
        self._semaphores: dict[int, asyncio.Semaphore] = {}
        self._prepared: dict[str, PreparedBench] = {}
        self._by_stamp: dict[tuple, PreparedBench] = {}
        self._reports: dict[str, BenchReport] = {}
        self._inflight: dict[tuple[int, str], asyncio.Future[BenchReport]] = {}

    @property
    def tools(self) -> Tools:
        if self._tools is None:
            self._tools = find_tools()
        return self._tools

    def _slot(self) -> asyncio.Semaphore:
        loop = id(asyncio.get_running_loop())
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.workers)
        return sem

    # -- benches ---------------------------------------------------------------------------

    def _prepare(self, bench: Bench) -> PreparedBench:
        # files are re-read (and the bench re-derived) only when their size or mtime changes
        stamp = (bench, _stamp(bench))
        hit = self._by_stamp.get(stamp)
        if hit is not None:
            return hit
        key, tb_text, extra_texts = bench_key(bench)
        hit = self._prepared.get(key)
        if hit is None:
            hit = self._prepared[key] = prepare(bench, key, tb_text, extra_texts)
        self._by_stamp[stamp] = hit
        return hit

    def interface(self, bench: Bench):
        """The reference model's ports (name, direction, width), or None without a reference."""
        return self._prepare(bench).reference_interface

    async def check_bench(self, bench: Bench, *, timeout_s: float | None = None) -> BenchReport:
        """Run the bench's reference as the design under test (once per bench content)."""
        prepared = self._prepare(bench)
        return await self._report(prepared, timeout_s or self.timeout_s)

    async def _report(self, prepared: PreparedBench, timeout_s: float) -> BenchReport:
        done = self._reports.get(prepared.key)
        if done is not None:
            return done
        flight_key = (id(asyncio.get_running_loop()), prepared.key)
        future = self._inflight.get(flight_key)
        if future is not None:
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._inflight[flight_key] = future
        try:
            if prepared.reference_text is None:
                report = BenchReport(prepared.key, None)
            else:
                source = SourceText(f"{prepared.bench.top}_from_reference.sv", prepared.reference_text)
                verdict = await self._run([source], prepared, None, timeout_s, self.max_mismatches)
                report = BenchReport(prepared.key, verdict)
            self._reports[prepared.key] = report
            future.set_result(report)
            return report
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved
            raise
        finally:
            del self._inflight[flight_key]

    # -- candidates ------------------------------------------------------------------------

    async def simulate(
        self,
        design: Design,
        bench: Bench,
        *,
        timeout_s: float | None = None,
        max_mismatches: int | None = None,
    ) -> Verdict:
        """Judge ``design`` (RTL text, a path, or several) against ``bench``."""
        start = time.perf_counter()
        timeout_s = timeout_s or self.timeout_s
        limit = self.max_mismatches if max_mismatches is None else max_mismatches
        prepared = self._prepare(bench)
        texts = [s if isinstance(s, SourceText) else SourceText(str(s), read_text(s, "design file"))
                 for s in _as_sources(design)]
        report = await self._report(prepared, timeout_s)
        if not report.usable:
            ref = report.verdict
            assert ref is not None
            return Verdict(Status.ERROR, compile_errors=ref.compile_errors, simulator=self.tools.version,
                           elapsed_s=round(time.perf_counter() - start, 3),
                           reason=f"the bench is broken: its reference model does not pass its own "
                                  f"testbench ({ref.status.value}: {ref.reason})")
        verdict = await self._run(texts, prepared, report.samples, timeout_s, limit, screen=True)
        return replace(verdict, elapsed_s=round(time.perf_counter() - start, 3))

    async def _run(self, sources: Sequence[SourceText], prepared: PreparedBench,
                   expected_samples: int | None, timeout_s: float, limit: int, *, screen: bool = False) -> Verdict:
        """Compile and simulate ``sources`` (always from the given texts, copied into a fresh run
        directory). With ``screen``, the design is screened while the compiler runs."""
        tools = self.tools
        bench = prepared.bench
        async with self._slot():
            start = time.perf_counter()
            workdir = Path(tempfile.mkdtemp(prefix="anvil-sim-", dir=self.tmp_root))
            try:
                design_paths: list[Path] = []
                names: dict[str, str] = {}
                for i, source in enumerate(sources):
                    path = workdir / f"design{i}_{Path(source.name).name}"
                    path.write_text(source.text, encoding="utf-8")
                    names[str(path)] = source.name
                    design_paths.append(path)
                names[str(bench.testbench.absolute())] = str(bench.testbench)
                for p in bench.extra:
                    names[str(p.absolute())] = str(p)
                plan = plan_simulation(tools, design=design_paths, testbench=bench.testbench.absolute(),
                                       extra=[p.absolute() for p in bench.extra], tb_top=prepared.tb_top,
                                       workdir=workdir)
                deadline = start + timeout_s
                compiling = asyncio.ensure_future(
                    run_bounded(plan.compile, cwd=workdir, limits=Limits(timeout_s=timeout_s)))
                try:
                    if screen:
                        await asyncio.sleep(0)  # let the compiler start, then screen in parallel
                        problems = screen_design(sources, top=bench.top,
                                                 reference_ports=prepared.reference_ports)
                        if problems:
                            return Verdict(Status.COMPILE_ERROR, compile_errors=problems,
                                           simulator=tools.version,
                                           reason="design code rejected before simulation: "
                                                  + problems[0].describe())
                    compiled = await compiling
                finally:
                    if not compiling.done():  # rejected, or we were cancelled
                        compiling.cancel()
                        await asyncio.gather(compiling, return_exceptions=True)
                if compiled.timed_out:
                    return Verdict(Status.TIMEOUT, simulator=tools.version,
                                   reason=f"compilation did not finish within {timeout_s:g} s")
                image = Path(plan.run[-1])
                if compiled.returncode != 0 or not image.exists():
                    errors = tuple(CompileError(names.get(e.file, e.file) if e.file else None, e.line, e.message)
                                   for e in parse_compile_errors(compiled.output))
                    return Verdict(Status.COMPILE_ERROR, compile_errors=errors, simulator=tools.version,
                                   reason=errors[0].describe() if errors else "compilation failed")
                remaining = max(0.5, deadline - time.perf_counter())
                ran = await run_bounded(plan.run, cwd=workdir, limits=Limits(timeout_s=remaining))
                if ran.timed_out:
                    return Verdict(Status.TIMEOUT, simulator=tools.version, log_tail=ran.output[-2000:],
                                   reason=f"simulation did not finish within {timeout_s:g} s and was killed")
                return self._judge(ran.output, ran.returncode, plan.dump, expected_samples, limit, tools)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)

    @staticmethod
    def _judge(output: str, returncode: int | None, dump: Path, expected_samples: int | None,
               limit: int, tools: Tools) -> Verdict:
        result = parse_sim_log(output)
        tail = output[-2000:]
        common = dict(simulator=tools.version, log_tail=tail)
        samples = result.samples or 0
        mismatched = result.mismatches or 0

        if result.testbench_timeout:
            return Verdict(Status.TIMEOUT, samples=samples, mismatched_samples=mismatched,
                           reason="the testbench's own time limit fired (TIMEOUT) before its stimulus ended",
                           **common)

        if result.samples is not None:
            if expected_samples is not None and result.samples != expected_samples:
                return Verdict(Status.FUNCTIONAL_FAIL, samples=samples, mismatched_samples=mismatched,
                               score=score_of(expected_samples, max(mismatched, expected_samples - samples)),
                               reason=f"the simulation ended after {samples} samples; "
                                      f"the reference produces {expected_samples}", **common)
            if mismatched == 0 and result.failure_count == 0:
                return Verdict(Status.PASS, samples=samples, score=1.0,
                               reason=f"0 mismatches in {samples} samples", **common)
            found, trace = scan(dump, limit, TRACE_WINDOW) if dump.exists() else ([], ())
            if not found:
                found = _from_log(result, limit)
            return Verdict(Status.FUNCTIONAL_FAIL, samples=samples, mismatched_samples=mismatched,
                           score=score_of(samples, mismatched), mismatches=tuple(found), trace=trace,
                           reason=f"{mismatched} mismatches in {samples} samples", **common)

        if result.failure_count:
            return Verdict(Status.FUNCTIONAL_FAIL, mismatched_samples=result.failure_count,
                           mismatches=tuple(_from_log(result, limit)),
                           reason=f"the testbench reported {result.failure_count} failure(s)", **common)
        if expected_samples is not None:
            return Verdict(Status.FUNCTIONAL_FAIL,
                           reason="the testbench printed no result line (the simulation ended early?)",
                           **common)
        if result.passed_line and returncode == 0:
            return Verdict(Status.PASS, score=1.0, reason="the testbench reported PASS", **common)
        last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
        return Verdict(Status.ERROR,
                       reason="the testbench printed no result: it must print 'Mismatches: N in M samples' "
                              "or PASS/ERROR lines" + (f" (last output: {last[:200]})" if last else ""),
                       **common)


def _from_log(result, limit: int) -> list[Mismatch]:
    """Failures the testbench printed itself (hints, ERROR lines) when there is no dump."""
    out: list[Mismatch] = []
    for hint in result.hints:
        # Hint: Output 'q' has 12 mismatches. First mismatch occurred at time 160.
        if "has no mismatches" in hint or "mismatches" not in hint or "Output '" not in hint:
            continue
        signal = hint.split("Output '", 1)[1].split("'", 1)[0]
        at = hint.rsplit("time", 1)[-1].strip(" .")
        out.append(Mismatch(time=int(at) if at.isdigit() else None, cycle=None, edge=None, signal=signal,
                            expected=None, actual=None, text=hint))
    for at, line in result.failures:
        m = _EXPECTED_GOT.search(line)
        signal, expected, actual = m.groups() if m else (None, None, None)
        rest = line[m.end():] if m else ""
        inputs = {k: v for k, v in _ASSIGNMENT.findall(rest) if k.lower() not in ("exp", "act", "time", "t")}
        out.append(Mismatch(time=at, cycle=None, edge=None, signal=signal, expected=expected, actual=actual,
                            inputs=inputs, text=line))
    return out[:limit]


#: "q expected 4'h3 got 4'h5", "out: expected 1, but got 0", "sum exp=3 act=5"
_EXPECTED_GOT = re.compile(
    r"\b([A-Za-z_][\w.\[\]]*)\s*[:=]?\s*(?:expected|exp)\s*[:=]?\s*([\w']+?),?\s+"
    r"(?:but\s+)?(?:got|actual|act|is|was)\s*[:=]?\s*([\w']+)", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*([\w']+)")


async def simulate(design: Design, bench: Bench, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                   max_mismatches: int = DEFAULT_MAX_MISMATCHES) -> Verdict:
    """Judge one candidate with a fresh :class:`Oracle` (use one Oracle for many candidates)."""
    return await Oracle(timeout_s=timeout_s, max_mismatches=max_mismatches).simulate(design, bench)
