"""What the patch search knows of a candidate's text: its assignments, signals and their cone.

Syntax only (pyslang's parser, no elaboration), on macro-free text the oracle has screened: a
linear, bounded parse in the engine's process. Every place is a pair of character offsets into
the original text, so an edit changes exactly the characters it names and keeps the rest, the
formatting included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from oracle.syntax import names_in

#: the patch search works on texts up to this size with no macros (they would need the
#: preprocessor; the oracle screened the expanded text, not this one)
MAX_TEXT = 64 << 10
_DIRECTIVE = re.compile(r"`(?!timescale\b|default_nettype\b)[A-Za-z_]")


def patchable(text: str) -> bool:
    return len(text) <= MAX_TEXT and not _DIRECTIVE.search(text)


def _ps() -> Any:
    import pyslang

    return pyslang


@dataclass
class Assignment:
    """One assignment: continuous, procedural (blocking or not), or a declaration's initializer."""

    node: Any
    start: int
    end: int
    line: int
    kind: str  # "continuous" | "blocking" | "nonblocking" | "declaration" | "port"
    targets: set[str]
    reads: set[str]
    #: signals in the conditions above it (if, case, ternary in the left-hand side's path)
    controls: set[str]
    block: Any = None  # the always / initial block it sits in
    conditions: list[Any] = field(default_factory=list)  # enclosing ConditionalStatement / CaseStatement nodes
    module: str = ""


@dataclass
class Signal:
    name: str
    width: str  # the declared range as written ("" for one bit), the key for same-width swaps
    direction: str | None  # "input" | "output" | "inout" | None for internal signals
    module: str = ""
    array: bool = False  # declared with unpacked dimensions (``x[i]`` is then a word, not a bit)
    variable: bool = False  # a variable (reg, logic, integer, bit): procedural code may write it, not a net

    @property
    def scalar(self) -> bool:
        return self.width == ""


@dataclass
class Source:
    text: str
    tree: Any
    assignments: list[Assignment]
    signals: dict[str, Signal]  # of the first module (the top); others in ``module_signals``
    blocks: list[object]  # always blocks
    lines: list[int]  # offset of each line start
    module_signals: dict[str, dict[str, Signal]] = field(default_factory=dict)

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.lines) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.lines[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def span(self, node: Any) -> tuple[int, int]:
        return node_span(node)

    def snippet(self, node: Any) -> str:
        start, end = self.span(node)
        return self.text[start:end]


def node_span(node: Any) -> tuple[int, int]:
    """A syntax node's start and end offsets in its text."""
    r = node.sourceRange
    return r.start.offset, r.end.offset


def parse(text: str) -> Source | None:
    """The candidate's assignments and signals, or None when it has no usable syntax tree."""
    if not patchable(text):
        return None
    ps = _ps()
    tree = ps.syntax.SyntaxTree.fromText(text, "candidate.sv")
    if any(d.isError() for d in tree.diagnostics):
        return None
    lines = [0] + [m.end() for m in re.finditer(r"\n", text)]
    source = Source(text, tree, [], {}, [], lines)
    _collect(ps, source)
    return source


def same_width(source: Source, name: str, module: str) -> list[Signal]:
    """The other signals of ``module`` declared with the same range as ``name``."""
    signals = source.module_signals.get(module, {})
    mine = signals.get(name)
    if mine is None:
        return []
    return [s for s in signals.values() if s.name != name and s.width == mine.width]


def identifiers(ps: Any, node: Any) -> set[str]:
    """Identifier tokens under ``node``, indices of selects included."""
    return names_in(node)


def lhs_names(ps: Any, node: Any) -> set[str]:
    """The names an assignment target writes (the base names, not the index expressions)."""
    return names_in(node, skip_selects=True)


def children(node: Any) -> Iterator[Any]:
    for child in node:
        if child is not None:
            yield child


_VARIABLE = re.compile(r"\s*(var\b|reg\b|logic\b|bit\b|integer\b|int\b|byte\b|shortint\b|longint\b)")


def _collect(ps: Any, source: Source) -> None:
    K = ps.syntax.SyntaxKind
    procedural = {K.NonblockingAssignmentExpression: "nonblocking", K.AssignmentExpression: "blocking",
                  K.AddAssignmentExpression: "blocking", K.SubtractAssignmentExpression: "blocking",
                  K.OrAssignmentExpression: "blocking", K.AndAssignmentExpression: "blocking",
                  K.XorAssignmentExpression: "blocking"}
    module_ports: dict[str, list[tuple[str, str]]] = {}

    def width_of(type_node: Any) -> str:
        if type_node is None:
            return ""
        text = source.snippet(type_node)
        m = re.search(r"\[[^\]]*\]", text)
        return re.sub(r"\s+", "", m.group(0)) if m else ""

    current = {"module": ""}

    def add_signal(declarator: Any, width: str, direction: str | None, type_node: Any = None) -> None:
        module, name = current["module"], declarator.name.valueText
        variable = type_node is not None and _VARIABLE.match(source.snippet(type_node)) is not None
        signal = Signal(name, width, direction, module, array=len(declarator.dimensions) > 0, variable=variable)
        known = source.module_signals.setdefault(module, {})
        if name in known and variable:  # ``output q; reg q;``: a port that is a variable
            known[name] = replace(known[name], variable=True)
        known.setdefault(name, signal)

    def assignment(node: Any, start: int, end: int, line: int, kind: str, targets: set[str], reads: set[str],
                   controls: set[str], block: Any, conditions: list[Any]) -> None:
        source.assignments.append(Assignment(node, start, end, line, kind, targets, reads, controls, block, conditions,
                                             module=current["module"]))

    def walk(node: Any, block: Any, conditions: list[Any], controls: frozenset[str]) -> None:
        if isinstance(node, ps.parsing.Token):
            return
        kind = node.kind
        if kind == K.ImplicitAnsiPort:
            header = node.header
            direction = str(header.direction.valueText) if getattr(header, "direction", None) else None
            add_signal(node.declarator, width_of(getattr(header, "dataType", None)), direction,
                       getattr(header, "dataType", None))
        elif kind == K.PortDeclaration:
            direction = node.header.direction.valueText if getattr(node.header, "direction", None) else None
            for decl in node.declarators:
                if not isinstance(decl, ps.parsing.Token):
                    add_signal(decl, width_of(getattr(node.header, "dataType", None)), direction,
                               getattr(node.header, "dataType", None))
        elif kind in (K.NetDeclaration, K.DataDeclaration):
            width = width_of(node.type)
            for decl in node.declarators:
                if isinstance(decl, ps.parsing.Token):
                    continue
                name = decl.name.valueText
                add_signal(decl, width, None, node.type if kind == K.DataDeclaration else None)
                if decl.initializer is not None and block is None:
                    start, end = source.span(decl)
                    assignment(decl, start, end, source.line_of(start), "declaration", {name},
                               identifiers(ps, decl.initializer), set(controls), None, list(conditions))
        elif kind == K.AlwaysBlock or kind in (K.AlwaysFFBlock, K.AlwaysCombBlock, K.AlwaysLatchBlock):
            source.blocks.append(node)
            for child in children(node):
                walk(child, node, [], frozenset())
            return
        elif kind == K.ConditionalStatement:
            names = set()
            for cond in node.predicate.conditions:
                names |= identifiers(ps, cond)
            walk(node.statement, block, conditions + [node], controls | names)
            if node.elseClause is not None:
                walk(node.elseClause, block, conditions + [node], controls | names)
            return
        elif kind == K.CaseStatement:
            names = identifiers(ps, node.expr)
            for item in node.items:
                item_names = set(names)
                if item.kind == K.StandardCaseItem:
                    for e in item.expressions:
                        if not isinstance(e, ps.parsing.Token):
                            item_names |= identifiers(ps, e)
                walk(item, block, conditions + [node], controls | item_names)
            return
        elif kind in procedural and block is not None:
            start, end = source.span(node)
            assignment(node, start, end, source.line_of(start), procedural[kind], lhs_names(ps, node.left),
                       identifiers(ps, node.right) | _indices(ps, node.left), set(controls), block, list(conditions))
        elif kind == K.AssignmentExpression and block is None:
            start, end = source.span(node)
            assignment(node, start, end, source.line_of(start), "continuous", lhs_names(ps, node.left),
                       identifiers(ps, node.right) | _indices(ps, node.left), set(controls), None, list(conditions))
        elif kind == K.HierarchyInstantiation:
            ports = module_ports.get(node.type.valueText, [])
            outputs = {name for name, direction in ports if direction == "output"}
            for instance in node.instances:
                reads: set[str] = set()
                writes: set[str] = set()
                for conn in instance.connections:
                    if conn.kind != K.NamedPortConnection:
                        continue
                    names = identifiers(ps, conn.expr) if conn.expr is not None else set()
                    (writes if conn.name.valueText in outputs else reads).update(names)
                if writes:
                    start, end = source.span(instance)
                    assignment(instance, start, end, source.line_of(start), "port", writes, reads, set(controls),
                               block, list(conditions))
            return
        for child in children(node):
            walk(child, block, conditions, controls)

    root = source.tree.root
    modules = [root] if root.kind == K.ModuleDeclaration else [m for m in root.members if m.kind == K.ModuleDeclaration]
    for module in modules:  # submodule port directions first, for their instances
        ports = []
        header_ports = getattr(module.header, "ports", None)
        for port in (getattr(header_ports, "ports", None) or []):
            if not isinstance(port, ps.parsing.Token) and port.kind == K.ImplicitAnsiPort:
                d = port.header.direction.valueText if getattr(port.header, "direction", None) else ""
                ports.append((port.declarator.name.valueText, d))
        module_ports[module.header.name.valueText] = ports
    for module in modules:
        current["module"] = module.header.name.valueText
        walk(module, None, [], frozenset())
    if modules:
        source.signals = source.module_signals.get(modules[0].header.name.valueText, {})


def _indices(ps: Any, left: Any) -> set[str]:
    """Signals in the index expressions of an assignment target (``mem[addr] <= d`` reads addr)."""
    K = ps.syntax.SyntaxKind
    found: set[str] = set()

    def visit(n: Any) -> Any:
        if isinstance(n, ps.parsing.Token):
            return ps.ast.VisitAction.Advance
        if n.kind == K.ElementSelect:
            found.update(identifiers(ps, n))
            return ps.ast.VisitAction.Skip
        return ps.ast.VisitAction.Advance

    left.visit(visit)
    return found


def cone(source: Source, weights: dict[str, float], *, decay: float = 0.5, depth: int = 6) -> dict[int, float]:
    """Suspiciousness of each assignment (by index): the failing outputs' weights, halved at each
    step back through the signals the assignment's value or conditions depend on."""
    writers: dict[str, list[int]] = {}
    for i, a in enumerate(source.assignments):
        for t in a.targets:
            writers.setdefault(t, []).append(i)
    scores: dict[int, float] = {}
    for output, weight in weights.items():
        frontier = {output}
        seen: set[str] = set()
        for level in range(depth):
            nxt: set[str] = set()
            for signal in frontier - seen:
                seen.add(signal)
                for i in writers.get(signal, ()):
                    scores[i] = scores.get(i, 0.0) + weight * decay ** level
                    a = source.assignments[i]
                    nxt |= a.reads | a.controls
            frontier = nxt
            if not frontier:
                break
    return scores


def ranked(source: Source, weights: dict[str, float]) -> list[tuple[Assignment, float]]:
    """Assignments in the failing outputs' cone, most suspicious first."""
    scores = cone(source, weights)
    order = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(source.assignments[i], s) for i, s in order]


def walk_nodes(ps: Any, node: Any) -> Iterable[Any]:
    """Every syntax node under ``node`` (pre-order), tokens excluded."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None or isinstance(n, ps.parsing.Token):
            continue
        yield n
        stack.extend(reversed([c for c in n if c is not None and not isinstance(c, ps.parsing.Token)]))
