"""A sweep's results: one :class:`Outcome` per (problem, arm), and where they are kept.

A store lets an interrupted sweep resume: the ledger's sweep table (:class:`LedgerOutcomes`,
what ``anvil bench`` uses) or a JSONL file (:class:`JsonlOutcomes`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from engine.ledger import Ledger


@dataclass(frozen=True)
class Outcome:
    problem: str
    arm: str
    status: str  # a RunStatus value: solved | unsolved | error | broken (the bench itself fails) | cancelled
    calls: int
    tokens: int
    wall_s: float
    model_s: float
    sim_s: float
    overhead_s: float
    best_status: str | None
    best_score: float | None
    first_pass_call: int | None  # calls issued up to and including the first passing one
    samples_passed: int  # sampled candidates that passed (for pass@k)
    samples: int
    reason: str = ""
    run_id: str = ""
    #: every planned first-round sample was drawn (no stop at the first pass), so pass@k over the
    #: samples is unbiased; arms that stop early report no pass@k
    unbiased: bool = False
    #: a solved design on the longer, different test against the reference (engine.difftest):
    #: True holds, False fails it, None not judged
    holds: bool | None = None
    holds_reason: str = ""
    #: the patch search: simulations run, and whether the solving candidate is a patch
    patch_simulations: int = 0
    patched: bool = False
    recombined: bool = False  # the solving candidate is a recombination
    #: near misses (a patched candidate matched >= 90% of the samples) and how many became passes
    near_misses: int = 0
    near_misses_passed: int = 0
    #: what judged the run (the hidden golden testbench only scores it unless this is "testbench"):
    #: testbench | reference | spec-only
    judge: str = "testbench"
    #: the mode gave an answer (reference mode: a pass of its bench; spec-only: an unverified
    #: answer); ``status`` is solved when that answer passes the golden testbench
    given: bool = False
    #: spec-only mode: questions answered (by the reference, playing the user)
    questions: int = 0


class OutcomeStore(Protocol):
    """Where a sweep keeps its results, so that an interrupted sweep can resume."""

    def done(self) -> set[tuple[str, str]]: ...

    def add(self, outcome: Outcome) -> None: ...

    def outcomes(self) -> list[Outcome]: ...


class JsonlOutcomes:
    """Outcomes appended to a JSONL file, one per line."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def outcomes(self) -> list[Outcome]:
        return load_outcomes(self.path)

    def done(self) -> set[tuple[str, str]]:
        return {(o.problem, o.arm) for o in self.outcomes()}

    def add(self, outcome: Outcome) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(outcome)) + "\n")


class LedgerOutcomes:
    """A sweep's outcomes in the run ledger."""

    def __init__(self, ledger: Ledger, sweep: str) -> None:
        self.ledger = ledger
        self.sweep = sweep

    def outcomes(self) -> list[Outcome]:
        return [Outcome(**row) for row in self.ledger.sweep_rows(self.sweep)]

    def done(self) -> set[tuple[str, str]]:
        return {(o.problem, o.arm) for o in self.outcomes()}

    def add(self, outcome: Outcome) -> None:
        self.ledger.add_sweep_row(self.sweep, outcome.problem, outcome.arm, asdict(outcome))


def load_outcomes(jsonl: Path) -> list[Outcome]:
    if not jsonl.is_file():
        return []
    out = []
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(Outcome(**json.loads(line)))
    return out


__all__ = ["JsonlOutcomes", "LedgerOutcomes", "Outcome", "OutcomeStore", "load_outcomes"]
