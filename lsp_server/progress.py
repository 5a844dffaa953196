"""Work-done progress for a job: on the client's token when the command carried one (the VS Code
extension does, to show a notification with a cancel button), else server-initiated and
cancellable; log messages when the client has no progress UI. Cancelling the token cancels the job."""

from __future__ import annotations

import logging
from typing import Protocol

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from engine import events as ev
from engine.values import RunResult, RunStatus

from .jobs import Job

log = logging.getLogger("anvil.lsp")


class Host(Protocol):
    """What progress needs of the server's state: the client, and its log."""

    @property
    def server(self) -> LanguageServer: ...

    def logline(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None: ...


class Progress:
    """Work-done progress for a job when the client supports it, log messages otherwise."""

    def __init__(self, anvil: Host, job: Job, title: str, token: str | int | None = None) -> None:
        self.anvil = anvil
        self.job = job
        self.title = title
        caps = anvil.server.client_capabilities.window
        self.client_token = token is not None
        self.supported = self.client_token or bool(caps and caps.work_done_progress)
        self.token = token if token is not None else f"anvil/{job.id}"
        job.token = self.token
        self.max_calls = 0
        self.calls = self.candidates = 0
        self.best = "-"
        self.patching = ""

    async def begin(self, max_calls: int) -> None:
        self.max_calls = max_calls
        message = f"0/{max_calls} model calls"
        if self.supported and not self.client_token:
            try:
                await self.anvil.server.work_done_progress.create_async(self.token)
            except Exception as exc:  # noqa: BLE001 - the client refused: fall back to log messages
                log.warning("work done progress refused: %s", exc)
                self.supported = False
        if self.supported:
            future = self.anvil.server.work_done_progress.tokens.get(self.token)
            if future is not None:
                future.add_done_callback(lambda f: self.job.cancel() if f.cancelled() else None)
            self.anvil.server.work_done_progress.begin(self.token, lsp.WorkDoneProgressBegin(
                title=self.title, cancellable=True, message=message, percentage=0))
        else:
            self.anvil.logline(f"{self.title}: started (job {self.job.id})", lsp.MessageType.Info)

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.CallFinished):
            self.calls += 1
            self.job.info["calls"] = self.calls  # what a cancelled generate reports
        elif isinstance(event, ev.CandidateJudged):
            self.candidates += 1
            v = event.best.verdict if event.best else None
            if v is not None:
                self.best = f"{v.status.value} {v.score:.3f}" if v.status.value == "functional_fail" else v.status.value
        elif isinstance(event, ev.RoundStarted):
            pass
        elif isinstance(event, ev.PatchStarted):
            self.patching = f", patching candidate {event.candidate}"
        elif isinstance(event, ev.PatchFinished):
            self.patching = ""
        else:
            return
        best = f", best {self.best}" if self.best != "-" else ""  # spec-only mode has no best
        message = f"{self.calls}/{self.max_calls} model calls, {self.candidates} candidates{best}{self.patching}"
        if self.supported:
            pct = int(100 * self.calls / self.max_calls) if self.max_calls else None
            self.anvil.server.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(
                message=message, percentage=min(pct, 99) if pct is not None else None, cancellable=True))
        else:
            self.anvil.logline(f"{self.title}: {message}")

    def say(self, message: str) -> None:
        """Report ``message`` (what the job waits for, say) in place of the counts."""
        if self.supported:
            self.anvil.server.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(
                message=message, cancellable=True))
        else:
            self.anvil.logline(f"{self.title}: {message}")

    def end(self, result: RunResult | None) -> None:
        text = "cancelled" if result is None else (
            "passes" if result.solved else result.reason if result.status is RunStatus.UNVERIFIED else
            f"not solved ({result.reason})")
        if self.supported:
            self.anvil.server.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=text))
            self.anvil.server.work_done_progress.tokens.pop(self.token, None)
        else:
            self.anvil.logline(f"{self.title}: {text}", lsp.MessageType.Info)
