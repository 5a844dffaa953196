"""Rendering engine events in a terminal: a live status line on a TTY, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from engine import events as ev
from engine.values import Candidate


def _best(candidate: Candidate | None, spec_only: bool = False) -> str:
    if candidate is None:
        return "-"
    v = candidate.verdict
    if spec_only and v.status.value == "functional_fail":
        return "compiles and runs"
    if v.status.value == "functional_fail":
        return f"{v.status.value} {v.score:.3f}"
    return str(v.status.value)


class Progress:
    """An event listener writing to ``stream`` (stderr)."""

    def __init__(self, stream: TextIO = sys.stderr, *, live: bool | None = None) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.max_calls = 0
        self.start = time.monotonic()
        self.calls = self.tokens = self.candidates = 0
        self.round = 0
        self.best: Candidate | None = None
        self.patching: int | None = None
        self.spec_only = False
        self._width = 0

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            m = event.manifest
            self.max_calls = m["budget"]["calls"]
            self.spec_only = m.get("mode") == "spec-only"
            self._line(f"anvil: {event.problem} with {m['provider']}:{m['model']} "
                       f"(budget {self.max_calls} calls), run {event.run_id}")
        elif isinstance(event, ev.RoundStarted):
            self.round = event.round
            if not self.live:
                self._line(f"  round {event.round}: {event.requests} {event.kind} request(s)")
        elif isinstance(event, ev.CallFinished):
            self.calls += 1
            self.tokens += event.call.prompt_tokens + event.call.completion_tokens
            if event.call.error and not self.live:
                self._line(f"  call {event.call.id} failed: {event.call.error}")
        elif isinstance(event, ev.CandidateJudged):
            self.candidates += 1
            self.best = event.best
            c = event.candidate
            if not self.live:
                dup = f" (same as #{c.duplicate_of})" if c.duplicate_of else ""
                self._line(f"  candidate {c.id} [{c.origin}, round {c.round}]: {_best(c, self.spec_only)}{dup}")
        elif isinstance(event, ev.Synthesised) and event.candidate.verdict.synthesis is not None:
            self._line(f"  candidate {event.candidate.id}: {event.candidate.verdict.synthesis.summary()}")
        elif isinstance(event, ev.BudgetSpent):
            self._line(f"  {event.reason}")
        elif isinstance(event, ev.PatchStarted):
            self.patching = event.candidate
        elif isinstance(event, ev.PatchFinished):
            self.patching = None
            outcome = "passes" if event.passed else (f"better: {event.edits}" if event.edits else "no better edit")
            self._line(f"  patch search on candidate {event.candidate}: {event.judged} simulations in "
                       f"{event.elapsed_s:.1f} s ({event.rate:.0f}/s), {outcome}")
        elif isinstance(event, ev.RunFinished):
            self._clear()
            return
        if self.live:
            self._status()

    def _status(self) -> None:
        doing = f"patching {self.patching} | " if self.patching is not None else ""
        text = (f"  round {self.round} | {doing}candidates {self.candidates} | best {_best(self.best)} | "
                f"calls {self.calls}/{self.max_calls} | tokens {self.tokens / 1000:.1f}k | "
                f"{time.monotonic() - self.start:.0f} s")
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _line(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()
