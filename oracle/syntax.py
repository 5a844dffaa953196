"""pyslang helpers for trusted text (testbenches, reference models): interfaces and names.

Design code from a model is hostile and is parsed only inside the sandbox
(:mod:`oracle.screen`, run by :mod:`oracle.runner`), never with these helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SourceText:
    """A design file's text and the name to report it under."""

    name: str
    text: str


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # "input" | "output" | "inout"
    width: int

    def to_list(self) -> list[str | int]:
        return [self.name, self.direction, self.width]


def pyslang() -> Any:
    import pyslang as ps  # heavy: imported on first use

    return ps


#: Macros Icarus Verilog defines for every compile (``iverilog -E`` shows them).
ICARUS_PREDEFINES = ("__ICARUS__=1",)


def parse(sources: Sequence[SourceText]) -> tuple[Any, list[Any]]:
    """Parse sources with Icarus's predefined macros; returns (source manager, trees)."""
    ps = pyslang()
    options = ps.parsing.PreprocessorOptions()
    options.predefines = list(ICARUS_PREDEFINES)
    bag = ps.Bag([options])
    sm = ps.SourceManager()
    trees = [ps.syntax.SyntaxTree.fromText(s.text, sm, s.name, "", bag) for s in sources]
    return sm, trees


def direction_name(direction: Any) -> str:
    name = str(direction).rsplit(".", 1)[-1].lower()
    return {"in": "input", "out": "output", "inout": "inout", "ref": "ref"}.get(name, name)


def module_interface(sources: Sequence[SourceText], module: str) -> tuple[Port, ...] | None:
    """The ports of ``module`` in declaration order, or None if it is not defined."""
    ps = pyslang()
    _, trees = parse(sources)
    compilation = ps.ast.Compilation()
    for tree in trees:
        compilation.addSyntaxTree(tree)
    compilation.getAllDiagnostics()
    for inst in compilation.getRoot().topInstances:
        if inst.name == module:
            return tuple(Port(p.name, direction_name(p.direction), p.type.bitWidth)
                         for p in inst.body.portList if hasattr(p, "direction"))
    return None


def module_ports(sources: Sequence[SourceText], module: str) -> dict[str, str] | None:
    """Port name -> direction ("input", "output", "inout") of ``module``, or None if absent."""
    ports = module_interface(sources, module)
    return None if ports is None else {p.name: p.direction for p in ports}


def module_names(text: str, name: str = "source") -> tuple[list[str], set[str]]:
    """Modules declared in ``text`` and module types it instantiates (syntax only)."""
    ps = pyslang()
    _, (tree,) = parse([SourceText(name, text)])
    declared: list[str] = []
    instantiated: set[str] = set()
    kinds = ps.syntax.SyntaxKind

    def visit(node: Any) -> Any:
        if isinstance(node, ps.parsing.Token):
            return ps.ast.VisitAction.Skip
        if node.kind == kinds.ModuleDeclaration:
            declared.append(node.header.name.valueText)
        elif node.kind == kinds.HierarchyInstantiation:
            instantiated.add(node.type.valueText)
        return ps.ast.VisitAction.Advance

    tree.root.visit(visit)
    return declared, instantiated


def syntax_errors(text: str, name: str = "source", limit: int = 3) -> list[str]:
    """The first syntax errors pyslang finds in ``text``, as ``line N: message``."""
    ps = pyslang()
    sm, (tree,) = parse([SourceText(name, text)])
    engine = ps.DiagnosticEngine(sm)
    return [f"line {sm.getLineNumber(d.location)}: {engine.formatMessage(d)}" for d in tree.diagnostics
            if d.isError()][:limit]


def module_text(text: str, module: str) -> str | None:
    """The text of ``module``'s declaration in ``text`` (``module`` ... ``endmodule``), if it
    declares it once, written in the text itself (not by a macro)."""
    ps = pyslang()
    _, (tree,) = parse([SourceText("source", text)])
    spans: list[tuple[int, int]] = []
    kinds = ps.syntax.SyntaxKind

    def visit(node: Any) -> Any:
        if isinstance(node, ps.parsing.Token):
            return ps.ast.VisitAction.Skip
        if node.kind == kinds.ModuleDeclaration:
            if node.header.name.valueText == module:
                spans.append((node.sourceRange.start.offset, node.sourceRange.end.offset))
            return ps.ast.VisitAction.Skip
        return ps.ast.VisitAction.Advance

    tree.root.visit(visit)
    if len(spans) != 1:
        return None
    piece = text[spans[0][0]:spans[0][1]]
    return piece if piece.lstrip().startswith(("module", "macromodule")) and piece.rstrip().endswith("endmodule") \
        else None


def names_in(node: Any, *, skip_selects: bool = False) -> set[str]:
    """The identifier tokens under a syntax node (``skip_selects``: not inside ``[...]`` selects,
    i.e. the base names an assignment target writes)."""
    ps = pyslang()
    found: set[str] = set()
    select = ps.syntax.SyntaxKind.ElementSelect

    def visit(n: Any) -> Any:
        if isinstance(n, ps.parsing.Token):
            if n.kind == ps.parsing.TokenKind.Identifier:
                found.add(n.valueText)
            return ps.ast.VisitAction.Advance
        if skip_selects and n.kind == select:
            return ps.ast.VisitAction.Skip
        return ps.ast.VisitAction.Advance

    if node is not None:
        node.visit(visit)
    return found


def identifiers(texts: Sequence[SourceText]) -> frozenset[str]:
    """Every identifier written in ``texts`` (module, instance, signal, block names...)."""
    _, trees = parse(texts)
    found: set[str] = set()
    for tree in trees:
        found |= names_in(tree.root)
    return frozenset(found)
