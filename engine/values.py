"""The engine's values: what a run is given (strategy, budget) and what it produces (calls,
candidates, the result). Plain frozen dataclasses, passed between rounds and to the adapters."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from oracle import Verdict

from .patch.search import PatchBudget
from .prompts import Feedback


class Policy(str, enum.Enum):
    """How a repair round spends its calls."""

    #: repair the best distinct candidates (a fresh sample only when there is nothing to repair)
    FIXED = "fixed"
    #: from what the candidates show: far from passing (nothing functional, or under half the
    #: output bits right), sample more, continuing the first round's seeds; near, repair
    ADAPTIVE = "adaptive"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True)
class Strategy:
    samples: int = 4
    rounds: int = 3
    repair_width: int = 2
    temperature: float = 0.8
    repair_temperature: float | None = None  # default: temperature
    seed: int = 0
    feedback: Feedback = Feedback.VECTORS
    max_tokens: int = 1024
    #: stop at the first pass (False draws every sample of round 0, e.g. for unbiased pass@k)
    stop_at_pass: bool = True
    #: after each round, the patch search on the best distinct failing candidates (None: off)
    patch: PatchBudget | None = None
    patch_width: int = 2
    policy: Policy = Policy.FIXED
    #: "area": after a pass, keep sampling within the budget and answer the passing candidate
    #: with the fewest cells, latch- and loop-free ones first (engine.area); "pass": the first pass
    prefer: str = "pass"

    @property
    def prefer_area(self) -> bool:
        return self.prefer == "area"

    def to_dict(self) -> dict[str, Any]:
        return {"samples": self.samples, "rounds": self.rounds, "repair_width": self.repair_width,
                "temperature": self.temperature, "repair_temperature": self.repair_temperature,
                "seed": self.seed, "feedback": self.feedback.value, "max_tokens": self.max_tokens,
                "stop_at_pass": self.stop_at_pass, "policy": self.policy.value,
                "patch": None if self.patch is None else {**self.patch.__dict__, "width": self.patch_width},
                **({"prefer": self.prefer} if self.prefer != "pass" else {})}


@dataclass(frozen=True)
class Budget:
    calls: int | None = None  # default: samples + rounds * repair_width
    tokens: int | None = None
    wall_s: float | None = None


class Origin(str, enum.Enum):
    """How a candidate was made."""

    SAMPLE = "sample"  # the model, from the spec
    REPAIR = "repair"  # the model, from a failing candidate and its failures
    PATCH = "patch"  # the patch search, from a failing candidate, without the model
    RECOMBINE = "recombine"  # failing candidates side by side, each output from the one right on it
    TABLE = "table"  # written from a table in the spec (a Karnaugh map, a truth table, a state machine)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value

    @property
    def model_free(self) -> bool:
        """Made without the model: its edits and diff are shown (against a model's candidate, or
        for a table, the whole design against nothing)."""
        return self in (Origin.PATCH, Origin.RECOMBINE, Origin.TABLE)


@dataclass(frozen=True)
class Provenance:
    """Where a candidate came from.

    ``call``: the model call that answered it (None for a patch). ``of``: the candidate it was made
    from (the one repaired, or the one edited; for a recombination, the one giving most outputs).
    ``base``: for a patch, the model's candidate its edits and diff are shown against (``of``
    itself, or, for a patch of a patch, that one's base; for a recombination, ``of``).
    ``calls``: model calls issued up to and including its making (for a patch: those made before it).
    """

    origin: Origin
    call: int | None = None
    of: int | None = None
    base: int | None = None
    edits: tuple[str, ...] = ()
    calls: int = 0


@dataclass(frozen=True)
class CallRecord:
    """One model call: ``id`` numbers calls in the order they were issued."""

    id: int
    purpose: Origin  # SAMPLE or REPAIR
    round: int
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    model: str
    error: str | None = None


@dataclass(frozen=True)
class Candidate:
    #: candidates are numbered in the order they were asked for (a model call's candidate when the
    #: call is issued, not when it answers): ranking ties, repair prompts and the file names in them
    #: are then the same live and in a replay. Calls are numbered apart (:class:`CallRecord`).
    id: int
    round: int
    provenance: Provenance
    code: str | None  # None: no Verilog in the answer
    verdict: Verdict
    duplicate_of: int | None = None
    hints: tuple[str, ...] = ()
    #: a patch: the unified diff against its base's code
    diff: str = ""

    @property
    def origin(self) -> Origin:
        return self.provenance.origin

    @property
    def parent(self) -> int | None:
        """The candidate this one was made from (repaired or edited), if any."""
        return self.provenance.of

    @property
    def edits(self) -> tuple[str, ...]:
        return self.provenance.edits

    @property
    def passed(self) -> bool:
        return self.verdict.passed


@dataclass(frozen=True)
class Timings:
    wall_s: float = 0.0
    model_s: float = 0.0  # wall time with at least one model call in flight
    sim_s: float = 0.0  # wall time with a simulation (and no model call) in flight
    overhead_s: float = 0.0  # wall time with neither


class RunStatus(str, enum.Enum):
    """How a run ended."""

    SOLVED = "solved"
    UNSOLVED = "unsolved"  # the budget was spent
    CANCELLED = "cancelled"
    ERROR = "error"  # the provider failed (or another fault outside the candidates)
    BROKEN = "broken"  # the bench cannot judge anything: its reference fails it
    UNVERIFIED = "unverified"  # spec-only: an answer most candidates agree on, judged by nothing

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value

    @property
    def fault(self) -> bool:
        """The run could not judge the model: a provider failure or a broken bench."""
        return self in (RunStatus.ERROR, RunStatus.BROKEN)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: RunStatus
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    calls: int
    tokens: int
    rounds: int
    reason: str
    timings: Timings

    @property
    def solved(self) -> bool:
        return self.status is RunStatus.SOLVED

    @property
    def solution(self) -> Candidate | None:
        """The passing candidate, with its code (None when the run did not solve)."""
        if self.solved and self.best is not None and self.best.code is not None:
            return self.best
        return None


def call_budget(strategy: Strategy, budget: Budget) -> int:
    """The most model calls a run makes: the budget's, else samples + rounds x repair width."""
    return budget.calls if budget.calls is not None else strategy.samples + strategy.rounds * strategy.repair_width
