"""What the language server does: generate, check, cancel, doctor, code actions, re-checks.

`Anvil` holds the server's state (settings, jobs, passing results, published diagnostics) and
talks to the client only through the pygls server object it is given. Engine values become
LSP types in :mod:`lsp_server.convert` and here, nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Coroutine
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from engine import DesignError, Problem, SpecError
from engine import events as ev
from engine.consensus import SpecOnlyError
from engine.designs import Design, design_for
from engine.reference import reference_bench
from engine.run import Runtime, oracle_for
from engine.settings import RunSettings
from engine.speconly import answers_file, prepare
from engine.values import Origin, call_budget
from oracle import DEFAULT_TOP, Bench, Oracle, OracleError, SourceText, Synthesis, Verdict
from oracle.scratch import mkdtemp

from .convert import SOURCE, mismatch_message, synthesis_diagnostics, verdict_diagnostics
from .jobs import Busy, Job, Jobs
from .locate import spec_line
from .progress import Progress
from .questions import Questions
from .state import Passing, design_key, text_hash

log = logging.getLogger("anvil.lsp")
DEBOUNCE_S = 0.4
MAX_URI = 4096
#: how a model-free answer was made, in the pass notification
_MADE = {Origin.PATCH: "patched", Origin.RECOMBINE: "recombined", Origin.TABLE: "written from the spec's table"}


class Anvil:
    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.settings = RunSettings()
        self.jobs = Jobs()
        self.passing: dict[str, Passing] = {}
        self._oracle: Oracle | None = None
        self._published: dict[str, set[str]] = {}  # design key + role -> uris with diagnostics
        self._pending: dict[str, asyncio.Task[None]] = {}
        self.workspace_root: Path | None = None
        #: what was wrong with the settings the client sent at initialize (shown once it is initialized)
        self.setting_problems: list[str] = []
        #: spec-only runs and the questions they wait on
        self.questions = Questions(self)

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def oracle(self) -> Oracle:
        wanted = oracle_for(self.settings)
        if self._oracle is None or (self._oracle.timeout_s, self._oracle.workers) != (wanted.timeout_s, wanted.workers):
            self._oracle = wanted
        return self._oracle

    def _caps(self) -> lsp.ClientCapabilities:
        caps: lsp.ClientCapabilities = self.server.client_capabilities
        return caps

    def notify(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        self.server.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def logline(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        self.server.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def text_of(self, path: Path) -> str | None:
        """The editor's text for ``path`` when it is open, else the file on disk, else None."""
        doc = self.server.workspace.text_documents.get(from_fs_path(str(path)))
        if doc is not None:
            source: str = doc.source
            return source
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def design_of(self, args: tuple[Any, ...], *, spec_only: bool = False) -> Design:
        """The design of the uri in ``args`` (a spec-only design too when ``spec_only``), or
        DesignError saying what is missing."""
        uri = None
        if args and isinstance(args[0], dict):
            uri = args[0].get("uri")
        elif args and isinstance(args[0], str):
            uri = args[0]
        if not uri or not isinstance(uri, str):
            raise DesignError("give the uri of a spec or testbench as a string: [{\"uri\": \"file:///...\"}]")
        if len(uri) > MAX_URI or "\0" in uri:
            raise DesignError(f"the uri is not a file's (over {MAX_URI} characters, or a NUL in it)")
        try:
            path = Path(to_fs_path(uri) or uri)
            design = design_for(path, workspace=self.workspace_root)
        except (OSError, ValueError) as exc:
            raise DesignError(f"cannot use {uri[:200]!r}: {exc}") from None
        if design is None:
            raise DesignError(f"{path.name} is not part of a design: name it X.md / X_prompt.txt (spec) or "
                              "X_tb.sv / X_test.sv (testbench), or list it in anvil.toml")
        return design if spec_only and design.spec_only else design.require_complete()

    def publish(self, key: str, per_file: dict[Path, list[lsp.Diagnostic]]) -> None:
        """Publish for one design and role, clearing files published before but not now."""
        uris = {from_fs_path(str(p)): diags for p, diags in per_file.items()}
        for stale in self._published.get(key, set()) - set(uris):
            self.server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=stale, diagnostics=[]))
        for uri, diags in uris.items():
            self.server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diags))
        self._published[key] = {u for u, d in uris.items() if d}

    # -- generate -----------------------------------------------------------------------------

    async def generate(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """Generate from the design as the editor shows it: an unsaved spec or testbench is what
        the prompt and the bench use, and what the insert action later compares with."""
        snapshot = mkdtemp("snapshot-")
        token = progress_token(args[0]) if args and isinstance(args[0], dict) else None
        factory: Callable[[Job], Coroutine[Any, Any, dict[str, Any]]]
        try:
            design = self.design_of(args, spec_only=True)
            spec_text = self.text_of(design.spec_file)
            if spec_text is None:
                raise SpecError(f"spec not found: {design.spec}")
            # reading the bench (parsing, preprocessing) happens off the event loop
            if design.spec_only:  # neither a testbench nor a reference: the candidates judge each other
                try:
                    setup = await asyncio.to_thread(prepare, design.name, spec_text,
                                                    answers_file(design.spec_file, design.name), top=design.top)
                except SpecOnlyError as exc:  # the user may have meant a testbench: name both ways
                    raise DesignError(f"no testbench ({design.name}_tb.sv) or reference ({design.name}_ref.sv) "
                                      f"beside {design.spec_file.name}, and spec-only mode cannot run: {exc}") from None
                factory = lambda job: self.questions.generate(job, design, setup, token)  # noqa: E731
            else:
                if design.by_reference:
                    assert design.reference is not None  # by_reference says so
                    problem = await asyncio.to_thread(Problem.by_reference, design.name, spec_text,
                                                      self._current(design.reference, snapshot), top=design.top)
                else:
                    problem = await asyncio.to_thread(Problem.from_design, design, oracle=self.oracle,
                                                      spec_text=spec_text, bench=self._bench_snapshot(design, snapshot))
                for note in problem.notes:  # where the spec and the testbench disagree: the bench wins
                    self.notify(f"Anvil: {design.name}: {note}", lsp.MessageType.Warning)
                factory = lambda job: self._generate(job, design, problem, snapshot, token)  # noqa: E731
        except (DesignError, SpecError, OracleError) as exc:
            shutil.rmtree(snapshot, ignore_errors=True)
            self.notify(f"Anvil: {exc}", lsp.MessageType.Error)
            return {"status": "error", "message": str(exc)}
        if design.spec_only:
            shutil.rmtree(snapshot, ignore_errors=True)
        try:
            job = self.jobs.start("generate", design_key(design), design.name, factory)
        except Busy as exc:
            shutil.rmtree(snapshot, ignore_errors=True)
            self.notify(f"Anvil: {exc}", lsp.MessageType.Warning)
            return {"status": "busy", "job": exc.job.id, "message": str(exc)}
        try:
            return await asyncio.shield(job.running)
        except asyncio.CancelledError:
            if job.running.cancelled():
                return {"status": "cancelled", "job": job.id, "output_uri": from_fs_path(str(design.output)),
                        "llm_calls": job.info.get("calls", 0)}
            raise

    async def _generate(self, job: Job, design: Design, problem: Problem, snapshot: Path,
                        token: str | int | None) -> dict[str, Any]:
        try:
            return await self._generate_in(job, design, problem, token)
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)

    async def _generate_in(self, job: Job, design: Design, problem: Problem,
                           token: str | int | None) -> dict[str, Any]:
        from engine.providers import ProviderError

        spec_text = problem.spec  # what the prompt was made from (the editor's text)
        tb_text = self.text_of(design.judge_file) or ""
        progress = Progress(self, job, f"Anvil: generating {design.name}", token)
        key = design_key(design)
        settings = self.settings
        async with Runtime(settings, oracle=self.oracle) as runtime:
            try:
                model = runtime.provider.model
            except ProviderError as exc:
                self.notify(f"Anvil: {exc}", lsp.MessageType.Error)
                return {"status": "error", "job": job.id, "message": str(exc)}
            await progress.begin(call_budget(settings.strategy(), settings.budget_limits()))
            result = None
            try:
                result = await runtime.run(problem, listeners=[progress.on_event,
                                                               lambda e: self._on_engine_event(design, e)])
            finally:
                progress.end(result)
        output_uri = from_fs_path(str(design.output))
        base = {"job": job.id, "output_uri": output_uri, "llm_calls": result.calls, "run_id": result.run_id,
                "candidates": len(result.candidates), "reason": result.reason}
        best = result.solution
        if best is not None and best.code is not None:
            v = best.verdict
            evidence = (f"{v.samples}/{v.samples} samples" if v.samples else "testbench PASS") + \
                       f", round {best.round}, {model}" + (f", {_figures(v.synthesis)}" if v.synthesis else "")
            if best.origin.model_free and best.edits:
                more = f" +{len(best.edits) - 1} more" if len(best.edits) > 1 else ""
                evidence += f", {_MADE.get(best.origin, 'patched')}: {best.edits[0]}{more}"
            self.passing[key] = Passing(design, best.code, text_hash(spec_text), text_hash(tb_text), evidence,
                                        result.run_id)
            self.publish(key + "|spec", {design.spec_file: []})
            self.notify(f"Anvil: {design.name} passes ({evidence}). Use the code action \"Anvil: Insert passing "
                        f"RTL\" on the spec or testbench to write {design.output.name}.")
            return {"status": "pass", **base, "verdict": v.to_dict(), "edits": list(best.edits), "diff": best.diff}
        if result.status.fault:
            self.notify(f"Anvil: {result.reason}", lsp.MessageType.Error)
            return {"status": "error", **base, "message": result.reason}
        self.notify(f"Anvil: {design.name} not solved: {result.reason} ({result.calls} calls). The best "
                    "candidate's failures are shown on the spec.", lsp.MessageType.Warning)
        return {"status": "fail", **base, "verdict": result.best.verdict.to_dict() if result.best else None}

    def _on_engine_event(self, design: Design, event: ev.Event) -> None:
        if isinstance(event, ev.CandidateJudged) and event.best is not None and event.best is event.candidate:
            best = event.best
            if best.passed:
                return
            self.publish(design_key(design) + "|spec", {design.spec_file: self._spec_diagnostics(
                design, best.verdict, best.id)})

    def _spec_diagnostics(self, design: Design, verdict: Verdict, candidate: int) -> list[lsp.Diagnostic]:
        """The best candidate's failures, on the spec line about the failing signal (locate.spec_line)."""
        text = self.text_of(design.spec_file) or ""
        lines = text.splitlines() or [""]
        out = []
        items = [(m.signal, mismatch_message(m), "mismatch") for m in verdict.mismatches[:3]]
        if not items:
            code = {"compile_error": "compile-error", "timeout": "timeout"}.get(verdict.status.value, "mismatch")
            first = verdict.compile_errors[0].message if verdict.compile_errors else verdict.reason
            items = [(None, first, code)]
        for signal, message, code in items:
            line = 0
            if signal:
                line = spec_line(lines, signal)
            out.append(lsp.Diagnostic(
                range=lsp.Range(start=lsp.Position(line=line, character=0),
                                end=lsp.Position(line=line, character=len(lines[line]) if line < len(lines) else 0)),
                message=f"best candidate so far (#{candidate}): {message}", severity=lsp.DiagnosticSeverity.Warning,
                code=code, source=SOURCE))
        return out

    # -- check --------------------------------------------------------------------------------

    async def check(self, args: tuple[Any, ...]) -> dict[str, Any]:
        try:
            design = self._design_for_check(args)
        except DesignError as exc:
            self.notify(f"Anvil: {exc}", lsp.MessageType.Error)
            return {"status": "error", "message": str(exc)}
        return await self.recheck(design)

    def _design_for_check(self, args: tuple[Any, ...]) -> Design:
        design = self.design_of(args)
        if self.text_of(design.output) is None:
            raise DesignError(f"nothing to check: {design.output.name} does not exist yet (generate it first)")
        return design

    async def recheck(self, design: Design) -> dict[str, Any]:
        """Judge the design's output RTL (editor text if open) against the testbench as it is now,
        including unsaved edits; publish the diagnostics; never calls the model."""
        rtl = self.text_of(design.output)
        if rtl is None:
            return {"status": "error", "message": f"{design.output} does not exist"}
        snapshot = mkdtemp("snapshot-")
        try:
            bench = await asyncio.to_thread(self._bench_snapshot, design, snapshot)
            verdict = await self.oracle.simulate(SourceText(str(design.output), rtl), bench)
            top = design.top or self.oracle.top_of(bench) or DEFAULT_TOP
        except (OracleError, DesignError) as exc:
            self.notify(f"Anvil: {exc}", lsp.MessageType.Error)
            return {"status": "error", "message": str(exc)}
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)
        verdict = _unsnapshot(verdict, snapshot, design)
        if verdict.status.value == "error":
            self.notify(f"Anvil: {design.name}: {verdict.reason}", lsp.MessageType.Error)
        diagnostics = verdict_diagnostics(verdict, rtl_path=design.output, rtl_text=rtl, top=top)
        if self.settings.synth == "on" and verdict.status.value != "error":  # latches, loops, lint: warnings
            verdict = dc_replace(verdict, synthesis=await self.oracle.synthesise(SourceText(str(design.output), rtl),
                                                                                 top))
            assert verdict.synthesis is not None  # just made
            diagnostics[design.output] += synthesis_diagnostics(verdict.synthesis, rtl_text=rtl)
        self.publish(design_key(design) + "|rtl", diagnostics)
        return {"status": verdict.status.value, "uri": from_fs_path(str(design.output)), "verdict": verdict.to_dict()}

    def _current(self, path: Path, folder: Path) -> Path:
        """``path``, or a copy in ``folder`` of its unsaved editor text."""
        doc = self.server.workspace.text_documents.get(from_fs_path(str(path)))
        if doc is None:
            return path
        try:
            if path.read_text(encoding="utf-8", errors="replace") == doc.source:
                return path
        except OSError:
            pass
        copy = folder / path.name
        copy.write_text(doc.source, encoding="utf-8", errors="surrogatepass")
        return copy

    def _bench_snapshot(self, design: Design, folder: Path) -> Bench:
        """The bench with unsaved editor text written to ``folder`` under the same names (for a
        design judged by a reference, the bench generated from the reference as it is now)."""
        if design.by_reference:
            assert design.reference is not None  # by_reference says so
            return reference_bench(self._current(design.reference, folder), top=design.top).bench
        testbench = design.testbench_file
        return Bench(self._current(testbench, folder), tuple(self._current(p, folder) for p in design.extra),
                     top=design.top, data=design.data, rule=design.rule, folder=testbench.parent)

    # -- cancel, doctor -------------------------------------------------------------------------

    def cancel(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """``[]`` cancels every job; ``[{"job": id}]`` one; ``[{"workDoneToken": t}]`` the job
        reporting progress on the client's token ``t``."""
        if args and isinstance(args[0], dict) and "workDoneToken" in args[0]:
            token = progress_token(args[0])
            if token is None:
                return {"status": "error", "message": "the workDoneToken must be a string or an integer"}
            cancelled = self.jobs.cancel(token=token)
            return {"status": "cancelled", "cancelled": cancelled} if cancelled else \
                {"status": "not_found", "workDoneToken": token, "cancelled": []}
        job_id = args[0].get("job") if args and isinstance(args[0], dict) else (args[0] if args else None)
        if job_id is not None and not isinstance(job_id, str):
            return {"status": "error", "message": "the job must be a string (see the generate result's job)"}
        cancelled = self.jobs.cancel(job_id or None)
        if job_id and not cancelled:
            return {"status": "not_found", "job": job_id, "cancelled": []}
        return {"status": "cancelled", "cancelled": cancelled}

    async def doctor(self) -> dict[str, Any]:
        """The installation's checks (they start programs: off the event loop)."""
        from engine.doctor import checks as doctor_checks

        checks = [c.__dict__ for c in await asyncio.to_thread(doctor_checks)]
        ok = all(c["ok"] for c in checks if c.get("required", True))
        settings = {k: (str(v) if v is not None and not isinstance(v, (int, float, str)) else v)
                    for k, v in self.settings.__dict__.items()}
        return {"status": "ok" if ok else "missing", "checks": checks, "settings": settings}

    # -- watching -------------------------------------------------------------------------------

    def file_changed(self, path: Path) -> None:
        """A spec, testbench, reference or output changed (edit, save or on disk): re-check the
        existing output RTL, debounced, without the model."""
        try:
            design = design_for(path, workspace=self.workspace_root)
        except DesignError as exc:
            self.logline(f"anvil: {exc}", lsp.MessageType.Warning)
            return
        if design is None or not design.complete or self.text_of(design.output) is None:
            return
        key = design_key(design)
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.cancel()

        async def later() -> None:
            await asyncio.sleep(DEBOUNCE_S)
            self._pending.pop(key, None)
            await self.recheck(design)

        task = asyncio.get_running_loop().create_task(later())
        task.add_done_callback(_log_failure)
        self._pending[key] = task

    async def shutdown(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        await self.jobs.drain()
        from engine.providers import stop_local_models

        await asyncio.to_thread(stop_local_models)


def progress_token(arg: dict[str, Any]) -> str | int | None:
    """The client's work-done token in a command's argument (``workDoneToken``), if a sane one."""
    token = arg.get("workDoneToken")
    if isinstance(token, bool) or not isinstance(token, (str, int)):
        return None
    return token if not isinstance(token, str) or 0 < len(token) <= 200 else None


def _figures(synthesis: Synthesis) -> str:
    """"23 cells, no latch" for the insert action's title."""
    if synthesis.status != "ok":
        return f"synthesis {synthesis.status}"
    latch = "no latch" if not synthesis.latches else f"{len(synthesis.latches)} LATCH"
    return f"{synthesis.cells} cells, {latch}" + (", a LOOP" if synthesis.loops else "")


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task failed", exc_info=task.exception())


def _unsnapshot(verdict: Verdict, folder: Path, design: Design) -> Verdict:
    """Point compile errors in snapshot copies back at the user's files."""
    real = {str(folder / p.name): str(p) for p in (design.testbench, *design.extra) if p is not None}
    if not any(e.file in real for e in verdict.compile_errors):
        return verdict
    errors = tuple(dc_replace(e, file=real.get(e.file, e.file) if e.file else e.file) for e in verdict.compile_errors)
    return dc_replace(verdict, compile_errors=errors)
