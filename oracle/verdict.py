"""The oracle's answer: plain frozen dataclasses, serialised to the Verdict JSON contract.

A failing candidate is data (a :class:`Verdict`), never an exception.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, TypedDict

from .synthesis import Synthesis


class Status(str, enum.Enum):
    PASS = "pass"
    COMPILE_ERROR = "compile_error"
    FUNCTIONAL_FAIL = "functional_fail"
    TIMEOUT = "timeout"
    #: infrastructure trouble or a broken testbench/reference: never the candidate's fault
    ERROR = "error"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True)
class Mismatch:
    """One failing output at one sample point."""

    time: int | None
    cycle: int | None
    edge: str | None  # "posedge" | "negedge" | None (testbench-reported failures)
    signal: str | None
    expected: str | None
    actual: str | None
    inputs: dict[str, str] = field(default_factory=dict)
    #: the testbench's own line, for failures reported in its log rather than read from a dump
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "cycle": self.cycle,
            "edge": self.edge,
            "signal": self.signal,
            "expected": self.expected,
            "actual": self.actual,
            "inputs": dict(self.inputs),
            "text": self.text,
        }

    def describe(self) -> str:
        """One line for humans: ``cycle 16 (negedge, t=160): q expected 4'ha, got 4'h1``."""
        if self.text is not None and self.cycle is None:
            where = f"t={self.time}: " if self.time is not None and str(self.time) not in self.text else ""
            return f"{where}{self.text}"
        if self.signal is None:
            return f"t={self.time}: testbench reported a failure"
        where = f"cycle {self.cycle}" if self.cycle is not None else f"t={self.time}"
        if self.edge:
            where += f" ({self.edge}, t={self.time})"
        text = f"{where}: {self.signal} expected {self.expected}, got {self.actual}"
        if self.inputs:
            text += " with " + ", ".join(f"{k}={v}" for k, v in self.inputs.items())
        return text


@dataclass(frozen=True)
class TraceRow:
    """One sample: inputs, and each output as (expected, actual)."""

    time: int
    cycle: int
    edge: str
    inputs: dict[str, str]
    outputs: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class OutputAgreement:
    """One output over a whole run: the samples where it was wrong, its wrong bits, its width."""

    samples: int
    bits: int
    width: int


@dataclass(frozen=True)
class Agreement:
    """How close a failing run came over all its samples (read from the waveform): for ranking
    near misses and blaming outputs."""

    samples: int
    first_time: int | None
    first_cycle: int | None
    end_time: int
    outputs: dict[str, OutputAgreement]

    @property
    def bits(self) -> float:
        """The share of output bits that matched over every sample (0 when nothing was sampled)."""
        total = sum(o.width for o in self.outputs.values()) * self.samples
        return 1.0 - sum(o.bits for o in self.outputs.values()) / total if total else 0.0

    def to_wire(self) -> dict[str, Any]:
        outputs = {k: [o.samples, o.bits, o.width] for k, o in self.outputs.items()}
        return {"samples": self.samples, "first_time": self.first_time, "first_cycle": self.first_cycle,
                "end_time": self.end_time, "outputs": outputs}

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> Agreement | None:
        if not data:
            return None
        return cls(int(data["samples"]), data.get("first_time"), data.get("first_cycle"), int(data["end_time"]),
                   {k: OutputAgreement(*v) for k, v in data["outputs"].items()})


@dataclass(frozen=True)
class CompileError:
    file: str | None
    line: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}

    def describe(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}: {self.message}"
        if self.file:
            return f"{self.file}: {self.message}"
        return self.message


@dataclass(frozen=True)
class Verdict:
    status: Status
    samples: int = 0
    mismatched_samples: int = 0
    score: float = 0.0
    mismatches: tuple[Mismatch, ...] = ()
    compile_errors: tuple[CompileError, ...] = ()
    simulator: str = ""
    elapsed_s: float = 0.0
    #: one line saying why, for humans (not part of the JSON contract)
    reason: str = ""
    #: the tail of the simulation log, for humans and repair prompts (not in the JSON contract)
    log_tail: str = ""
    #: samples leading up to and including the first mismatch (not in the JSON)
    trace: tuple[TraceRow, ...] = ()
    #: the screen's parser messages for errors Icarus may describe less well (not in the JSON)
    hints: tuple[str, ...] = ()
    #: output port -> lines of the design that assign it, 1-based (not in the JSON)
    drivers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: when asked for: how close the run came, over all samples (oracle.vcd.agreement; not in the JSON)
    agreement: Agreement | None = None
    #: when asked for (--synth, --prefer area): what synthesis and lint say (oracle.synth)
    synthesis: Synthesis | None = None
    #: the runner's own seconds on this run (compiling, screening, simulating), without waiting for
    #: a worker or for the runner to start, which ``elapsed_s`` counts (not in the JSON)
    run_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def to_dict(self) -> dict[str, Any]:
        """The keys of the Verdict JSON contract (ARCHITECTURE.md), with ``message`` (why, in one
        line, for every status) and each mismatch's ``text`` (the bench's own line, if any)."""
        return {
            "status": self.status.value,
            "message": self.reason,
            "samples": self.samples,
            "mismatched_samples": self.mismatched_samples,
            "score": self.score,
            "mismatches": [m.to_dict() for m in self.mismatches],
            "compile_errors": [e.to_dict() for e in self.compile_errors],
            "simulator": self.simulator,
            "elapsed_s": self.elapsed_s,
            **({"synthesis": self.synthesis.to_dict()} if self.synthesis is not None else {}),
        }


    def to_wire(self) -> dict[str, Any]:
        """Every field, for passing a verdict between processes (:meth:`from_wire`)."""
        data = self.to_dict()
        del data["message"]
        data.update(reason=self.reason, log_tail=self.log_tail, hints=list(self.hints),
                    drivers={k: list(v) for k, v in self.drivers.items()},
                    trace=[[r.time, r.cycle, r.edge, r.inputs, {k: list(v) for k, v in r.outputs.items()}]
                           for r in self.trace], agreement=self.agreement.to_wire() if self.agreement else None,
                    run_s=self.run_s)
        return data

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            Status(data["status"]), data.get("samples", 0), data.get("mismatched_samples", 0),
            data.get("score", 0.0),
            tuple(Mismatch(**m) for m in data.get("mismatches", ())),
            tuple(CompileError(**e) for e in data.get("compile_errors", ())),
            data.get("simulator", ""), data.get("elapsed_s", 0.0), data.get("reason", ""), data.get("log_tail", ""),
            tuple(TraceRow(t, c, e, dict(i), {k: tuple(v) for k, v in o.items()})
                  for t, c, e, i, o in data.get("trace", ())),
            tuple(data.get("hints", ())), {k: tuple(v) for k, v in data.get("drivers", {}).items()},
            Agreement.from_wire(data.get("agreement")), run_s=data.get("run_s", 0.0))


class RunLog(TypedDict):
    """What every verdict of a finished simulation carries: the simulator and the log's tail."""

    simulator: str
    log_tail: str


def score_of(samples: int, mismatched: int) -> float:
    """Fraction of samples that matched, rounded to 3 places (0.0 when nothing was sampled)."""
    if samples <= 0:
        return 0.0
    return round(max(0.0, 1.0 - mismatched / samples), 3)
