"""Where in the RTL a signal is driven, so a mismatch lands on a line the user can fix."""

from __future__ import annotations

import re


def driver_lines(text: str, signal: str, top: str = "TopModule") -> list[int]:
    """0-based lines that assign ``signal`` (continuous or procedural), in order; falls back to
    the line that declares it, then to the module header. Empty if nothing matches."""
    try:
        import pyslang
    except ImportError:  # pragma: no cover - a dependency
        return _declared(text, signal)
    from oracle.screen import SourceText, parse

    sm, (tree,) = parse([SourceText("rtl.sv", text)])
    kinds = pyslang.syntax.SyntaxKind
    assignments = {kinds.AssignmentExpression, kinds.NonblockingAssignmentExpression}
    lines: list[int] = []

    def names_in(node) -> set[str]:
        found: set[str] = set()

        def walk(n):
            if isinstance(n, pyslang.parsing.Token):
                if n.kind == pyslang.parsing.TokenKind.Identifier:
                    found.add(n.valueText)
                return pyslang.ast.VisitAction.Advance
            if n.kind in (kinds.ElementSelect, kinds.RangeSelect if hasattr(kinds, "RangeSelect") else None):
                return pyslang.ast.VisitAction.Skip  # indices are not the target
            return pyslang.ast.VisitAction.Advance

        node.visit(walk)
        return found

    def visit(node):
        if isinstance(node, pyslang.parsing.Token):
            return pyslang.ast.VisitAction.Skip
        if node.kind in assignments and signal in names_in(node.left):
            lines.append(sm.getLineNumber(node.left.getFirstToken().location) - 1)
        return pyslang.ast.VisitAction.Advance

    tree.root.visit(visit)
    return sorted(set(lines)) or _declared(text, signal)


def _declared(text: str, signal: str) -> list[int]:
    pattern = re.compile(rf"\b(?:output|input|inout|reg|wire|logic)\b[^;\n]*\b{re.escape(signal)}\b")
    for number, line in enumerate(text.splitlines()):
        if pattern.search(line):
            return [number]
    return module_line(text)


def module_line(text: str, top: str = "TopModule") -> list[int]:
    for number, line in enumerate(text.splitlines()):
        if re.search(rf"\bmodule\s+{re.escape(top)}\b", line):
            return [number]
    return []
