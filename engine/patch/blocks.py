"""Templates on whole always blocks: their event controls (posedge <-> negedge, synchronous <->
asynchronous reset, clocked <-> combinational)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .edit import CLOCK_NAMES, RESET_NAMES, Edit, TemplateBase
from .source import walk_nodes


class BlockTemplates(TemplateBase):
    def for_block(self, block: Any, score: float) -> Iterator[Edit]:
        K = self.K
        control = _event_control(self.ps, block)
        if control is None:
            return
        text = self.s.snippet(control)
        events = [n for n in walk_nodes(self.ps, control) if n.kind == K.SignalEventExpression]
        edges = [e for e in events if e.edge is not None and e.edge.rawText in ("posedge", "negedge")]
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
        if edges:
            yield self.replace_node(control, "@(*)", "combinational block", score * 0.5, f"{text} -> @(*)")
        elif "*" in text or not edges:
            clock = next((s for s in self.s.module_signals.get(self._module_of(block), {}).values()
                          if s.scalar and s.direction == "input" and CLOCK_NAMES.search(s.name)), None)
            if clock is not None:
                yield self.replace_node(control, f"@(posedge {clock.name})", "clocked block", score * 0.5,
                                        f"{text} -> @(posedge {clock.name})")

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


def _event_control(ps: Any, block: Any) -> Any:
    K = ps.syntax.SyntaxKind
    statement = getattr(block, "statement", None)
    if statement is not None and statement.kind == K.TimingControlStatement:
        return statement.timingControl
    return None
