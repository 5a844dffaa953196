"""A problem for the engine: the spec text, the bench that judges it, the interface to implement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from oracle import DEFAULT_TOP, Bench, Oracle
from oracle import Port

from .designs import Design

_PORT_LINE = re.compile(
    r"^[ \t]*(?:[-*][ \t]*)?(input|output|inout)[ \t]+(?:(?:wire|reg|logic|signed)[ \t]+)*"
    r"(?:\[[ \t]*(\d+)[ \t]*:[ \t]*(\d+)[ \t]*\][ \t]*)?([A-Za-z_]\w*)[ \t]*(?:\((\d+)[ \t]*bits?\))?",
    re.IGNORECASE | re.MULTILINE)


def ports_from_spec(spec: str) -> tuple[Port, ...]:
    """Ports listed in a spec ("- input clk", "- output q (4 bits)", "input [7:0] d")."""
    ports: dict[str, Port] = {}
    for m in _PORT_LINE.finditer(spec):
        direction, msb, lsb, name, bits = m.groups()
        width = int(bits) if bits else (abs(int(msb) - int(lsb)) + 1 if msb is not None else 1)
        ports.setdefault(name, Port(name, direction.lower(), width))
    return tuple(ports.values())


@dataclass(frozen=True)
class Problem:
    name: str
    spec: str
    bench: Bench
    top: str = DEFAULT_TOP
    #: the interface the design must have: from the reference model, else from the spec
    interface: tuple[Port, ...] = ()

    @classmethod
    def from_design(cls, design: Design, *, oracle: Oracle | None = None, spec_text: str | None = None,
                    bench: Bench | None = None) -> Problem:
        """The problem of a complete design; the interface comes from the reference model when
        ``oracle`` can find one, else from the port list in the spec. ``spec_text`` (an editor's
        unsaved text) and ``bench`` (a snapshot of unsaved testbench edits) replace the files."""
        design.require_complete()
        assert design.spec is not None and design.testbench is not None
        spec = read_spec(design.spec) if spec_text is None else check_spec(spec_text, design.spec)
        bench = bench or Bench.for_testbench(design.testbench, design.extra, top=design.top)
        interface = oracle.interface(bench) if oracle is not None else None
        return cls(design.name, spec, bench, design.top, interface or ports_from_spec(spec))


class SpecError(Exception):
    pass


def read_spec(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec {path}: {exc}") from None
    return check_spec(text, path)


def check_spec(text: str, path: Path) -> str:
    """The spec's text if it can be one: not empty, not huge, no NUL (a binary file)."""
    if "\0" in text:
        raise SpecError(f"the spec {path} is not text (it has NUL bytes)")
    if not text.strip():
        raise SpecError(f"the spec {path} is empty: describe the module to build")
    if len(text) > 200_000:
        raise SpecError(f"the spec {path} is {len(text)} characters long; keep it under 200,000")
    return text
