"""What synthesis and lint say of a design (values; :mod:`oracle.synth` runs the tools)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One thing a tool says of the design, on a line of one of its files when known."""

    kind: str  # latch | loop | dropped | synthesis | lint
    message: str
    file: str | None = None
    line: int | None = None
    signal: str | None = None
    #: Verilator's warning code (WIDTH, MULTIDRIVEN, BLKSEQ...), or "error"
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "file": self.file, "line": self.line,
                "signal": self.signal, "code": self.code}

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")


@dataclass(frozen=True)
class Synthesis:
    #: ok | error (the tool rejects the design) | timeout | skipped (no tool, or no sandbox)
    status: str
    cells: int | None = None
    flops: int | None = None
    latches: tuple[Finding, ...] = ()
    loops: tuple[Finding, ...] = ()
    #: constructs synthesis drops or rejects, and its other warnings
    warnings: tuple[Finding, ...] = ()
    #: Verilator --lint-only (never part of the verdict)
    lint: tuple[Finding, ...] = ()
    cell_types: tuple[tuple[str, int], ...] = ()
    tools: str = ""
    elapsed_s: float = 0.0
    reason: str = ""

    @property
    def clean(self) -> bool:
        """Synthesised, with no latch and no loop."""
        return self.status == "ok" and not self.latches and not self.loops

    def area_key(self) -> tuple[int, int]:
        """What ``--prefer area`` minimises: latch- and loop-free first, then fewer cells."""
        return (0 if self.clean else 1, self.cells if self.cells is not None else 1 << 30)

    def summary(self) -> str:
        """One line: "23 cells, 4 flip-flops, no latch, no loop, 2 lint warnings"."""
        if self.status != "ok":
            return f"synthesis {self.status}: {self.reason}"
        latch = "no latch" if not self.latches else \
            f"{len(self.latches)} latch{'es' if len(self.latches) > 1 else ''} ({', '.join(_named(self.latches))})"
        loop = "no loop" if not self.loops else f"{len(self.loops)} combinational loop(s)"
        parts = [f"{self.cells} cells", f"{self.flops} flip-flop{'s' if self.flops != 1 else ''}", latch, loop]
        if self.warnings:
            parts.append(f"{len(self.warnings)} synthesis warning(s)")
        parts.append(f"{len(self.lint)} lint warning{'s' if len(self.lint) != 1 else ''}" if "Verilator" in self.tools
                     else "no lint (Verilator is not installed)")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "cells": self.cells, "flops": self.flops,
                "latches": [f.to_dict() for f in self.latches], "loops": [f.to_dict() for f in self.loops],
                "warnings": [f.to_dict() for f in self.warnings], "lint": [f.to_dict() for f in self.lint],
                "cell_types": dict(self.cell_types), "tools": self.tools, "elapsed_s": self.elapsed_s,
                "message": self.reason}


def _named(found: Sequence[Finding]) -> list[str]:
    return [f"{f.signal or '?'}" + (f" line {f.line}" if f.line else "") for f in found]


__all__ = ["Finding", "Synthesis"]
