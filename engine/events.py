"""What the engine tells its adapters while it runs: plain frozen dataclasses.

The CLI renders them as a progress line, the language server as work-done progress and
diagnostics, the ledger records them. The engine never imports an adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .values import CallRecord, Candidate, Origin, RunResult


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    problem: str
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RoundStarted:
    run_id: str
    round: int
    kind: Origin  # SAMPLE or REPAIR
    requests: int


@dataclass(frozen=True)
class CallFinished:
    run_id: str
    call: CallRecord


@dataclass(frozen=True)
class CandidateJudged:
    run_id: str
    candidate: Candidate
    best: Candidate | None


@dataclass(frozen=True)
class Synthesised:
    """A passing candidate's synthesis figures (``--prefer area``), in its verdict."""

    run_id: str
    candidate: Candidate


@dataclass(frozen=True)
class Solved:
    run_id: str
    candidate: Candidate


@dataclass(frozen=True)
class BudgetSpent:
    run_id: str
    reason: str


@dataclass(frozen=True)
class PatchStarted:
    run_id: str
    candidate: int  # the candidate being patched


@dataclass(frozen=True)
class PatchFinished:
    run_id: str
    candidate: int
    judged: int  # simulations run
    tried: int  # distinct edited texts
    elapsed_s: float
    edits: str  # the best patch's edits, one line each joined by "; " ("" when nothing improved)
    passed: bool

    @property
    def rate(self) -> float:
        return self.judged / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    result: RunResult


Event = (RunStarted | RoundStarted | CallFinished | CandidateJudged | Synthesised | Solved | BudgetSpent
         | PatchStarted | PatchFinished | RunFinished)
Listener = Callable[[Event], None]


def fan_out(*listeners: Listener | None) -> Listener:
    """One listener that calls each given listener in turn."""
    active = [listener for listener in listeners if listener is not None]

    def emit(event: Event) -> None:
        for listener in active:
            listener(event)

    return emit
