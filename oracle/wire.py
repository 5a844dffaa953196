"""The messages between the host and the runner (:mod:`oracle.client`, :mod:`oracle.runner`):
frozen values, sent as one JSON object a line.

- :class:`BenchMessage` (``op: bench``): a bench's preprocessed text and facts, sent once per
  bench and runner, kept by the runner for the runs that follow;
- :class:`RunRequest` (``op: run``): one design to judge against a bench the runner has; answered
  with ``{"id", "verdict"}`` (:meth:`oracle.verdict.Verdict.to_wire`);
- ``{"op": "cancel", "id"}`` and ``{"op": "status"}`` (no payload worth a type).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .results import Rule
from .syntax import Port


@dataclass(frozen=True)
class BenchMessage:
    key: str
    unit: str  # the bench's files through the simulator's preprocessor
    tb_top: str | None
    names: dict[str, str]  # file names in ``unit``'s markers -> names to report
    bench_names: tuple[str, ...] = ()  # every identifier of the bench (design code may not take them)
    reference_ports: dict[str, str] | None = None
    reference_module: str | None = None
    ports: dict[str, str] = field(default_factory=dict)  # the design's port directions, as best known
    rule: Rule = Rule()
    data: tuple[tuple[str, bytes], ...] = ()  # (place in the simulation's directory, content)
    cocotb: tuple[str, ...] | None = None  # a cocotb bench: its tests
    test_module: str | None = None  # a cocotb bench: its module's name

    def to_wire(self) -> dict[str, Any]:
        return {"op": "bench", "key": self.key, "unit": self.unit, "tb_top": self.tb_top, "names": self.names,
                "bench_names": list(self.bench_names), "reference_ports": self.reference_ports,
                "reference_module": self.reference_module, "ports": self.ports, "rule": self.rule.to_wire(),
                "data": [[place, base64.b64encode(content).decode()] for place, content in self.data],
                "cocotb": list(self.cocotb) if self.cocotb is not None else None, "test_module": self.test_module}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> BenchMessage:
        cocotb = data.get("cocotb")
        return cls(str(data["key"]), str(data["unit"]), data.get("tb_top"), dict(data.get("names") or {}),
                   tuple(data.get("bench_names") or ()), data.get("reference_ports"), data.get("reference_module"),
                   dict(data.get("ports") or {}), Rule.from_wire(data.get("rule")),
                   tuple((safe_place(str(p)), base64.b64decode(c)) for p, c in data.get("data") or ()),
                   tuple(cocotb) if cocotb is not None else None, data.get("test_module"))


@dataclass(frozen=True)
class DesignFile:
    file: str  # the name the tools see in the run directory
    shown: str  # the name to report
    text: str


@dataclass(frozen=True)
class RunRequest:
    key: str  # the bench's
    design: tuple[DesignFile, ...]
    top: str | None
    timeout: float
    limit: int  # failing samples to report
    screen: bool = True  # a candidate (False: the bench's own reference, or its stand-in)
    params: dict[str, str] = field(default_factory=dict)  # the top's parameters, as the bench sets them
    interface: tuple[Port, ...] | None = None
    exact: bool = True
    expected_samples: int | None = None
    agreement: bool = False
    compile_only: bool = False
    #: a schema of variants (:mod:`oracle.variants`): the selector's marker and how many choices
    #: to run (1..variants), each judged as if it were the design alone; 0: one ordinary run
    marker: int = 0
    variants: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"op": "run", "key": self.key, "design": [[d.file, d.shown, d.text] for d in self.design],
                "top": self.top, "timeout": self.timeout, "limit": self.limit, "screen": self.screen,
                "params": self.params, "interface": [p.to_list() for p in self.interface] if self.interface else None,
                "exact": self.exact, "expected_samples": self.expected_samples, "agreement": self.agreement,
                "compile_only": self.compile_only, "marker": self.marker, "variants": self.variants}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> RunRequest:
        interface = data.get("interface")
        return cls(str(data["key"]), tuple(DesignFile(str(f), str(s), str(t)) for f, s, t in data["design"]),
                   data.get("top"), float(data["timeout"]), int(data["limit"]), bool(data.get("screen", True)),
                   dict(data.get("params") or {}),
                   tuple(Port(str(n), str(d), int(w)) for n, d, w in interface) if interface else None,
                   bool(data.get("exact", True)), data.get("expected_samples"), bool(data.get("agreement")),
                   bool(data.get("compile_only")), int(data.get("marker") or 0), int(data.get("variants") or 0))


def safe_place(place: str) -> str:
    """A data file's place, kept inside the simulation's directory."""
    parts = [p for p in Path(place).parts if p not in ("", ".", "..", "/")]
    return str(Path(*parts)) if parts else "data"


__all__ = ["BenchMessage", "DesignFile", "RunRequest", "safe_place"]
