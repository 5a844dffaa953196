"""Checks made with pyslang before a candidate is simulated.

Structural problems (no top module, ports that differ from the interface) are reported as
compile errors without running the simulator; pyslang's own error messages are kept as hints
for repair prompts, since Icarus often says only "syntax error".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from oracle import CompileError
from oracle.screen import Port, SourceText, parse


@dataclass(frozen=True)
class Precheck:
    problems: tuple[CompileError, ...]
    hints: tuple[str, ...]


def precheck(code: str, *, top: str, interface: Sequence[Port], file: str = "candidate.sv") -> Precheck:
    import pyslang

    sm, trees = parse([SourceText(file, code)])
    compilation = pyslang.ast.Compilation()
    for tree in trees:
        compilation.addSyntaxTree(tree)
    engine = pyslang.DiagnosticEngine(sm)
    hints = []
    for diag in compilation.getAllDiagnostics():
        if diag.isError() and len(hints) < 8:
            hints.append(f"line {sm.getLineNumber(diag.location)}: {engine.formatMessage(diag)}")
    tops = [inst for inst in compilation.getRoot().topInstances if inst.name == top]
    problems: list[CompileError] = []
    if not tops:
        if not re.search(rf"\bmodule\s+{re.escape(top)}\b", code):
            problems.append(CompileError(file, None, f"the design does not define module {top}"))
        return Precheck(tuple(problems), tuple(hints))
    if interface:
        line = sm.getLineNumber(tops[0].location)
        have = {p.name: (p.direction, p.type.bitWidth) for p in tops[0].body.portList if hasattr(p, "direction")}
        want = {p.name: p for p in interface}
        missing = [n for n in want if n not in have]
        extra = [n for n in have if n not in want]
        if missing:
            problems.append(CompileError(file, line, f"module {top} lacks port(s) {', '.join(missing)} "
                                         "required by the interface"))
        if extra:
            problems.append(CompileError(file, line, f"module {top} has port(s) {', '.join(extra)} that are "
                                         "not in the interface"))
        for name, port in want.items():
            if name not in have:
                continue
            direction, width = have[name]
            direction = str(direction).rsplit(".", 1)[-1].lower()
            direction = {"in": "input", "out": "output"}.get(direction, direction)
            if direction != port.direction:
                problems.append(CompileError(file, line, f"port {name} is an {direction}; the interface "
                                             f"makes it an {port.direction}"))
            elif width != port.width:
                problems.append(CompileError(file, line, f"port {name} is {width} bit(s) wide; the interface "
                                             f"needs {port.width}"))
    return Precheck(tuple(problems), tuple(hints))
