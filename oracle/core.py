"""The oracle: compile and simulate a candidate with Icarus Verilog and judge the run.

Only the testbench's own final result counts, and it is cross-checked:

1. the design's raw text may not name files (:mod:`oracle.lexical`); Icarus's preprocessor
   then expands it alone, and the screen judges exactly that output while the compiler reads
   it (:mod:`oracle.screen`); what the compiler made of it is checked too (:mod:`oracle.image`);
2. all of it runs in the runner (:mod:`oracle.runner`), inside a sandbox (:mod:`oracle.sandbox`):
   one directory per run, ``vvp -n`` with stdin from /dev/null, every process in its own group,
   killed at the deadline (a timeout, whatever was printed), bounded output, memory and CPU;
3. the golden reference, when the bench has one, is run once as the design under test (cached
   by content): a bench whose reference fails is reported as ``error``, and a candidate run must
   produce exactly the reference's sample count to pass;
4. the concrete failing samples are read from ``wave.vcd``.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .backend import simulator
from .bench import Bench, PreparedBench, bench_key, prepare, read_text
from .benchscan import stub
from .client import RunnerClient, RunnerDied, runner_for
from .errors import BenchError
from .lexical import check_sources, without_bom
from .mutants import invert_outputs
from .syntax import Port, SourceText
from .synth import synthesise
from .synthesis import Synthesis
from .toolchain import Toolchain
from .variants import MAX_VARIANTS, Selector
from .verdict import CompileError, Status, Verdict
from .wire import DesignFile, RunRequest

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_MISMATCHES = 8
DEFAULT_MEMORY_BYTES = 4 << 30
#: a verdict comes within the timeout plus this, whatever happens in the runner
ANSWER_GRACE_S = 1.8
#: a bench must compare known reference outputs at this fraction of its samples at least (the
#: shared VerilogEval benches: one at 1%, all others at 56% or more)
MIN_CHECKED = 0.05

Design = str | Path | SourceText | Sequence[Path | SourceText]


@dataclass(frozen=True)
class BenchFacts:
    """What a bench expects: the module to implement and its ports; ``exact``: the ports are the
    reference model's (names, directions and widths are required), else the bench's view of them
    (a width of 0 is unknown); ``problem``: why the bench cannot judge, if it cannot."""

    top: str
    ports: tuple[Port, ...]
    exact: bool
    problem: str = ""


@dataclass(frozen=True)
class BenchReport:
    """How the reference fares on its own testbench (``verdict`` is None without a reference)."""

    key: str
    verdict: Verdict | None
    #: the bench has no reference: it was compiled alone to see whether it compiles at all
    alone: bool = False
    #: the reference with every output inverted, on the same bench (it must fail there)
    inverted: Verdict | None = None

    @property
    def checked(self) -> float | None:
        """The fraction of samples at which the bench compares an output whose reference value is
        known: where the inverted reference fails."""
        v = self.inverted
        if v is None or not v.samples or v.status not in (Status.PASS, Status.FUNCTIONAL_FAIL):
            return None
        return v.mismatched_samples / v.samples

    @property
    def blind(self) -> bool:
        """The bench compares known outputs at too few samples to tell a right design from a wrong one."""
        return self.checked is not None and self.checked < MIN_CHECKED

    @property
    def usable(self) -> bool:
        return (self.verdict is None or self.verdict.passed) and not self.blind

    @property
    def samples(self) -> int | None:
        return self.verdict.samples if self.verdict is not None and self.verdict.samples else None

    @property
    def problem(self) -> str:
        """Why the bench cannot judge anything ("" when it can)."""
        if self.usable:
            return ""
        v = self.verdict
        assert v is not None  # a bench without a verdict is usable
        if self.blind:
            inv = self.inverted
            assert inv is not None
            return (f"it compares an output whose reference value is known at {inv.mismatched_samples} of its "
                    f"{inv.samples} samples (its reference with every output inverted fails only there): elsewhere "
                    "the reference's outputs are x (an input still x at a clock edge, a register never reset) or "
                    "nothing is compared, so passing it says almost nothing of a design")
        if self.alone:
            return v.reason
        return f"its reference model does not pass its own testbench ({v.status.value}: {v.reason})"


def _stamp(bench: Bench) -> tuple[tuple[int, int] | None, ...]:
    """Size and modification time of the bench's files (None for a missing file)."""
    out: list[tuple[int, int] | None] = []
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


def _texts(design: Design) -> list[SourceText]:
    """The design's files as text (read from disk where given as paths), without a byte order mark."""
    return [SourceText(s.name, without_bom(s.text)) if isinstance(s, SourceText)
            else SourceText(str(s), without_bom(read_text(s, "design file"))) for s in _as_sources(design)]


def _file_name(index: int, shown: str) -> str:
    """The name a design file gets in the run directory (what the tools report)."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(shown).name)[:60] or "design.sv"
    return f"design{index}_{base}"


class Oracle:
    """Judges candidates; shares reference runs, the runner and a concurrency bound between them."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_mismatches: int = DEFAULT_MAX_MISMATCHES,
        tools: Toolchain | None = None,
        tmp_root: Path | None = None,
        sandbox: str | None = None,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        simulator: str = "icarus",
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout_s = timeout_s
        self.max_mismatches = max_mismatches
        self._tools = tools
        self.tmp_root = tmp_root
        self.sandbox_mode = sandbox
        self.memory_bytes = memory_bytes
        self.simulator = simulator
        self._semaphores: dict[int, asyncio.Semaphore] = {}
        self._prepared: dict[str, PreparedBench] = {}
        self._by_stamp: dict[tuple[Bench, tuple[tuple[int, int] | None, ...]], PreparedBench] = {}
        self._reports: dict[str, BenchReport] = {}
        self._inflight: dict[tuple[int, str], asyncio.Future[BenchReport]] = {}

    @property
    def tools(self) -> Toolchain:
        if self._tools is None:
            self._tools = simulator(self.simulator).find()
        return self._tools

    @property
    def runner(self) -> RunnerClient:
        return runner_for(self.tools, mode=self.sandbox_mode, host_tmp=self.tmp_root, memory_bytes=self.memory_bytes)

    async def sandbox(self) -> dict[str, Any]:
        """Whether runs are sandboxed, and why not when they are not."""
        runner = self.runner
        await runner.start()
        return {"active": runner.sandboxed, "problem": runner.problem, "root": runner.root, "probe": runner.probe}

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
            hit = self._prepared[key] = prepare(bench, key, tb_text, extra_texts, self.tools)
        self._by_stamp[stamp] = hit
        return hit

    async def prepare(self, bench: Bench) -> PreparedBench:
        """The prepared bench, derived off the event loop when it is not cached: parsing a bench
        and preprocessing it take from milliseconds to seconds, which a language server cannot
        spend on the thread that answers the editor."""
        hit = self._by_stamp.get((bench, _stamp(bench)))
        if hit is not None:
            return hit
        return await asyncio.to_thread(self._prepare, bench)

    def interface(self, bench: Bench) -> tuple[Port, ...] | None:
        """The reference model's ports (name, direction, width), or None without a reference."""
        return self._prepare(bench).reference_interface

    def top_of(self, bench: Bench) -> str | None:
        """The module the bench expects, or None when it cannot say (never raises for that)."""
        return self._prepare(bench).top

    def describe(self, bench: Bench) -> BenchFacts:
        """What the bench expects of a design: the top module and its ports (raises
        :class:`BenchError` when the bench cannot say which module the design is)."""
        prepared = self._prepare(bench)
        if prepared.top is None:
            raise BenchError(prepared.problem)
        return BenchFacts(prepared.top, prepared.interface, prepared.reference_interface is not None,
                          prepared.problem)

    async def check_bench(self, bench: Bench, *, timeout_s: float | None = None) -> BenchReport:
        """Run the bench's reference as the design under test (once per bench content)."""
        prepared = await self.prepare(bench)
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
            if prepared.problem:
                report = BenchReport(prepared.key, Verdict(Status.ERROR, simulator=self.tools.version,
                                                           reason=prepared.problem), alone=True)
            elif prepared.unit_errors:
                report = BenchReport(prepared.key, Verdict(
                    Status.COMPILE_ERROR, compile_errors=prepared.unit_errors, simulator=self.tools.version,
                    reason="the testbench does not preprocess: " + prepared.unit_errors[0].describe()))
            elif prepared.reference_text is None:
                report = BenchReport(prepared.key, await self._compiles_alone(prepared, timeout_s), alone=True)
            else:
                source = SourceText(f"{prepared.top}_from_reference.sv", prepared.reference_text)
                verdict = await self._run([source], prepared, None, timeout_s, self.max_mismatches, screen=False)
                report = BenchReport(prepared.key, verdict, inverted=await self._inverted(prepared, verdict, timeout_s))
            if report.verdict is None or report.verdict.status is not Status.ERROR:
                self._reports[prepared.key] = report  # an infrastructure error is not remembered
            future.set_result(report)
            return report
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved
            raise
        finally:
            del self._inflight[flight_key]

    async def _inverted(self, prepared: PreparedBench, reference: Verdict, timeout_s: float) -> Verdict | None:
        """The bench's verdict on its reference with every output inverted, when the reference passes."""
        if not reference.passed or prepared.reference_text is None or prepared.top is None \
                or not prepared.bench.golden:
            return None
        try:
            text = invert_outputs(prepared.reference_text, reference_module=prepared.top, top=prepared.top)
        except ValueError:
            return None
        return await self._run([SourceText(f"{prepared.top}_inverted.sv", text)], prepared, None, timeout_s, 1,
                               screen=False)

    async def _compiles_alone(self, prepared: PreparedBench, timeout_s: float) -> Verdict | None:
        """Without a reference, a bench is still broken if it does not compile whatever the
        design: it is compiled with a bodiless stand-in of the design (its ports as the bench
        connects them), and errors in its own files that are not about the design are its own.
        None: it compiles."""
        if prepared.cocotb is not None:
            return None
        top = prepared.top or "design"
        design = [SourceText(f"{top}_stand_in.sv", stub(top, prepared.ports, prepared.params))]
        verdict = await self._run(design, prepared, None, timeout_s, self.max_mismatches, screen=False,
                                  compile_only=True)
        if verdict.status is Status.PASS or verdict.status is Status.ERROR:
            return None if verdict.status is Status.PASS else verdict
        own = set(prepared.names.values())
        errors = tuple(e for e in verdict.compile_errors if (e.file in own or e.file is None)
                       and not _about_the_design(e, prepared))
        if not errors:
            return None
        return Verdict(Status.COMPILE_ERROR, compile_errors=errors, simulator=self.tools.version,
                       reason="the testbench does not compile: " + errors[0].describe())

    # -- candidates ------------------------------------------------------------------------

    async def simulate(
        self,
        design: Design,
        bench: Bench,
        *,
        timeout_s: float | None = None,
        max_mismatches: int | None = None,
        interface: Sequence[Port] | None = None,
        exact: bool = True,
        agreement: bool = False,
    ) -> Verdict:
        """Judge ``design`` (RTL text, a path, or several) against ``bench``. ``interface``: the
        ports the top module must have (default: the reference model's, when there is one);
        ``exact`` False: only its names are required (the bench's view of the ports, not a
        reference's); ``agreement``: also measure how close a failing run came over all its samples."""
        start = time.perf_counter()
        verdict, _ = await self._candidate(design, bench, timeout_s, max_mismatches, interface, exact, agreement)
        return replace(verdict, elapsed_s=round(time.perf_counter() - start, 3))

    async def synthesise(self, design: Design, top: str, *, lint: bool = True,
                         timeout_s: float | None = None) -> Synthesis:
        """What Yosys and Verilator say of ``design`` alone (:mod:`oracle.synth`): never a verdict
        of its own, and never raises for what the design does."""
        return await synthesise(_texts(design), top, timeout_s=timeout_s or max(self.timeout_s, 30.0), lint=lint)

    async def simulate_variants(
        self,
        schema: SourceText,
        bench: Bench,
        selector: Selector,
        choices: int,
        *,
        timeout_s: float | None = None,
        interface: Sequence[Port] | None = None,
        exact: bool = True,
        agreement: bool = False,
    ) -> Verdict | list[Verdict]:
        """Judge the ``choices`` variants of a schema (:mod:`oracle.variants`) with one compilation:
        a verdict per choice 1..``choices``, each what :meth:`simulate` gives that variant alone
        (without the screen's hints and drivers, which name the schema's lines), or the schema's
        own verdict when it cannot run (it does not compile, is rejected, its selector is lost)."""
        if not 0 < choices <= MAX_VARIANTS:
            raise ValueError(f"choices must be 1..{MAX_VARIANTS}")
        verdict, variants = await self._candidate(schema, bench, timeout_s, None, interface, exact, agreement,
                                                  marker=selector.marker, variants=choices)
        if variants is None or len(variants) != choices:
            return verdict
        return variants

    async def _candidate(self, design: Design, bench: Bench, timeout_s: float | None, max_mismatches: int | None,
                         interface: Sequence[Port] | None, exact: bool, agreement: bool, *, marker: int = 0,
                         variants: int = 0) -> tuple[Verdict, list[Verdict] | None]:
        start = time.perf_counter()
        timeout_s = timeout_s or self.timeout_s
        limit = self.max_mismatches if max_mismatches is None else max_mismatches
        prepared = await self.prepare(bench)
        texts = _texts(design)
        raw = check_sources([(t.name, t.text) for t in texts])
        if raw:
            return Verdict(Status.COMPILE_ERROR, compile_errors=raw, simulator=self.tools.version,
                           elapsed_s=round(time.perf_counter() - start, 3),
                           reason="design code rejected before simulation: " + raw[0].describe()), None
        report = await self._report(prepared, timeout_s)
        if not report.usable:
            ref = report.verdict
            assert ref is not None
            return Verdict(Status.ERROR, compile_errors=ref.compile_errors, simulator=self.tools.version,
                           elapsed_s=round(time.perf_counter() - start, 3),
                           reason=f"the bench is broken: {report.problem}"), None
        wanted = interface if interface else prepared.reference_interface
        exact = exact or not interface
        verdict, each = await self._run_all(texts, prepared, report.samples, timeout_s, limit, screen=True,
                                            interface=wanted, exact=exact, agreement=agreement, marker=marker,
                                            variants=variants)
        if verdict.status is Status.COMPILE_ERROR:
            verdict = _name_the_missing_top(verdict, prepared)
        return verdict, each

    async def _run(self, sources: Sequence[SourceText], prepared: PreparedBench, expected_samples: int | None,
                   timeout_s: float, limit: int, *, screen: bool, interface: Sequence[Port] | None = None,
                   exact: bool = True, agreement: bool = False, compile_only: bool = False) -> Verdict:
        return (await self._run_all(sources, prepared, expected_samples, timeout_s, limit, screen=screen,
                                    interface=interface, exact=exact, agreement=agreement,
                                    compile_only=compile_only))[0]

    async def _run_all(self, sources: Sequence[SourceText], prepared: PreparedBench, expected_samples: int | None,
                       timeout_s: float, limit: int, *, screen: bool, interface: Sequence[Port] | None = None,
                       exact: bool = True, agreement: bool = False, compile_only: bool = False, marker: int = 0,
                       variants: int = 0) -> tuple[Verdict, list[Verdict] | None]:
        request = RunRequest(prepared.key, tuple(DesignFile(_file_name(i, s.name), s.name, s.text)
                                                 for i, s in enumerate(sources)),
                             prepared.top, timeout_s, limit, screen=screen, params=prepared.param_values,
                             interface=tuple(interface) if interface else None, exact=exact,
                             expected_samples=expected_samples, agreement=agreement, compile_only=compile_only,
                             marker=marker, variants=variants)
        async with self._slot():
            await self.runner.start()  # starting the runner is not part of the run's time
            task = asyncio.ensure_future(self.runner.run_all(request, prepared.message))
            try:
                done, _ = await asyncio.wait({task}, timeout=timeout_s * (1 + variants) + ANSWER_GRACE_S)
            except asyncio.CancelledError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)  # the runner has killed the run
                raise
            if not done:  # the runner's own deadline failed: never wait longer than this
                task.cancel()
                task.add_done_callback(lambda t: t.cancelled() or t.exception())
                return Verdict(Status.TIMEOUT, simulator=self.tools.version, reason=(
                    f"no verdict within {timeout_s:g} s (+{ANSWER_GRACE_S:g} s); the run was killed")), None
            try:
                answer, each = task.result()
            except RunnerDied as exc:
                return Verdict(Status.ERROR, simulator=self.tools.version, reason=str(exc)), None
        return answer or Verdict(Status.ERROR, simulator=self.tools.version, reason="the runner gave no verdict"), each


def _about_the_design(error: CompileError, prepared: PreparedBench) -> bool:
    """An error about the design's module or its instance (the bench compiled with a stand-in)."""
    if error.file is not None and error.file.endswith("_stand_in.sv"):
        return True
    top = re.escape(prepared.top or "")
    return bool(re.search(rf"Unknown module type: {top}\b|\b{top}\b.*(not|never) (declared|defined)|"
                          rf"unknown module '{top}'|\bport\b.*\bof\b|\bports?\b.*\b{top}\b|parameter",
                          error.message))


def _name_the_missing_top(verdict: Verdict, prepared: PreparedBench) -> Verdict:
    """'Unknown module type: X' where X is what the bench expects: say so plainly."""
    top = prepared.top or ""
    said = (f"Unknown module type: {top}", f"the design does not define module {top}")
    if not any(e.message.startswith(said) or said[0] in e.message for e in verdict.compile_errors):
        return verdict
    what = "cocotb test" if prepared.cocotb is not None else "testbench"
    how = "drives" if prepared.cocotb is not None else "instantiates"
    message = (f"the {what} {how} '{top}', which the design does not define (use --top if another module "
               f"is the top)")
    rest = tuple(e for e in verdict.compile_errors if not e.message.startswith(said))
    return replace(verdict, reason=message, compile_errors=(CompileError(None, None, message), *rest))


async def simulate(design: Design, bench: Bench, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                   max_mismatches: int = DEFAULT_MAX_MISMATCHES) -> Verdict:
    """Judge one candidate with a fresh :class:`Oracle` (use one Oracle for many candidates)."""
    return await Oracle(timeout_s=timeout_s, max_mismatches=max_mismatches).simulate(design, bench)


__all__ = ["BenchReport", "CompileError", "DEFAULT_MAX_MISMATCHES", "DEFAULT_TIMEOUT_S", "Oracle", "simulate"]
