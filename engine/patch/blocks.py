"""Templates on whole always blocks: their event controls (posedge <-> negedge, synchronous <->
asynchronous reset, clocked <-> combinational)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .edit import CLOCK_NAMES, RESET_NAMES, Edit, TemplateBase
from .source import Source, walk_nodes


class BlockTemplates(TemplateBase):
    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self._paths: dict[str, dict[str, set[str]]] = {}  # per module: a signal -> what its combinational drivers read

    def for_block(self, block: Any, score: float) -> Iterator[Edit]:
        control = _event_control(self.ps, block)
        if control is None:
            return
        text = self.s.snippet(control)
        edges = _edges(self.ps, control)
        for e in edges:
            start, end = self.token_span(e.edge)
            other = "negedge" if e.edge.rawText == "posedge" else "posedge"
            yield self.edit(start, end, other, "posedge <-> negedge", f"{e.edge.rawText} {self.s.snippet(e.expr)}",
                            score * 0.7)
        clocks = [e for e in edges if CLOCK_NAMES.search(self.s.snippet(e.expr))] or edges[:1]
        if edges and len(edges) > 1 and clocks:
            clock = clocks[0]
            yield self.replace_node(control, f"@({self.s.snippet(clock)})", "synchronous reset",
                                    score, f"{text} -> @({self.s.snippet(clock)})")
        if len(edges) == 1:
            for name, polarity in self._reset_candidates(block):
                new = f"@({self.s.snippet(edges[0])} or {polarity} {name})"
                yield self.replace_node(control, new, "asynchronous reset", score, f"{text} -> {new}")
        if edges and not self._loops(block):
            yield self.replace_node(control, "@(*)", "combinational block", score * 0.5, f"{text} -> @(*)")
        elif "*" in text or not edges:
            clock = next((s for s in self.s.module_signals.get(self._module_of(block), {}).values()
                          if s.scalar and s.direction == "input" and CLOCK_NAMES.search(s.name)), None)
            if clock is not None:
                yield self.replace_node(control, f"@(posedge {clock.name})", "clocked block", score * 0.5,
                                        f"{text} -> @(posedge {clock.name})")

    def _loops(self, block: Any) -> bool:
        """Made combinational, would the block read what it writes: a value it assigns
        non-blocking, or anything it assigns through other combinational logic? Such a design is
        a combinational loop: it hangs the simulation (every such edit the multi-place benchmark
        tried ran to its deadline) or holds a latch, and is no fix. A value assigned blocking and
        read after is a temporary, not a loop."""
        mine = [a for a in self.s.assignments if a.block is block]
        written = {t for a in mine for t in a.targets}
        late = {t for a in mine if a.kind == "nonblocking" for t in a.targets}
        read = {n for a in mine for n in a.reads | a.controls}
        return bool(read & late) or bool(self.fanin(self._module_of(block), read) & written)

    def fanin(self, module: str, names: set[str]) -> set[str]:
        """``names`` and everything they read through combinational logic of ``module``
        (continuous assignments, always blocks without edges)."""
        paths = self._paths.get(module)
        if paths is None:
            paths = self._paths[module] = {}
            for a in self.s.assignments:
                if a.module == module and (a.kind == "continuous" or (
                        a.block is not None and a.kind in ("blocking", "nonblocking") and self.combinational(a.block))):
                    for t in a.targets:
                        paths.setdefault(t, set()).update(a.reads | a.controls)
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(paths.get(name, ()))
        return seen

    def combinational(self, block: Any) -> bool:
        """An always block without edges in its event control (``always_comb``, ``@*``, a list)."""
        if block.kind == self.K.AlwaysCombBlock:
            return True
        control = _event_control(self.ps, block)
        return control is not None and not _edges(self.ps, control)

    def _module_of(self, block: Any) -> str:
        node = block.parent
        while node is not None and node.kind != self.K.ModuleDeclaration:
            node = node.parent
        return node.header.name.valueText if node is not None else ""

    def _reset_candidates(self, block: Any) -> list[tuple[str, str]]:
        """Reset-like inputs tested by the block's first if: (name, the edge that asserts it)."""
        K = self.K
        first = next((n for n in walk_nodes(self.ps, block) if n.kind == K.ConditionalStatement), None)
        if first is None:
            return []
        out = []
        for predicate in first.predicate.conditions:
            text = self.s.snippet(predicate).strip()
            m = re.fullmatch(r"\(?\s*(!|~)?\s*([A-Za-z_]\w*)\s*\)?(\s*==\s*1'b?([01]))?", text)
            if not m:
                continue
            negated, name, _, value = m.groups()
            if not RESET_NAMES.match(name) and not name.lower().startswith(("rst", "reset", "areset")):
                continue
            low = bool(negated) or value == "0"
            out.append((name, "negedge" if low else "posedge"))
        return out


def _edges(ps: Any, control: Any) -> list[Any]:
    """The ``posedge``/``negedge`` events of an event control."""
    K = ps.syntax.SyntaxKind
    return [n for n in walk_nodes(ps, control) if n.kind == K.SignalEventExpression
            and n.edge is not None and n.edge.rawText in ("posedge", "negedge")]


def _event_control(ps: Any, block: Any) -> Any:
    K = ps.syntax.SyntaxKind
    statement = getattr(block, "statement", None)
    if statement is not None and statement.kind == K.TimingControlStatement:
        return statement.timingControl
    return None
