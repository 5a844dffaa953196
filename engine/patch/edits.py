"""Edit templates: small, mechanical changes to the suspicious assignments of a candidate.

From the hardware program-repair literature (CirFix, ASPLOS 2022; RTL-Repair, ASPLOS 2024),
each template names a kind of slip a designer (or a small model) makes:

- replace a literal (+-1, a flipped bit, all zeros, all ones), assign a constant;
- replace a variable by another signal of the same module and width;
- add or remove an inversion; swap an operator with its siblings (arithmetic, bitwise, logical,
  comparison, equality, shift);
- negate a condition, swap if/else branches, swap the arms of ``?:``, swap case items' bodies;
- add a guard (``if (s)``) or a conditional overwrite (``if (s) x <= c;``);
- blocking <-> non-blocking, posedge <-> negedge, synchronous <-> asynchronous reset, clocked
  <-> combinational block;
- shift an index or a slice by one.

An :class:`Edit` replaces one span of the original text; applying several keeps every other
character as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oracle import Verdict

from .blocks import BlockTemplates
from .edit import CLOCK_NAMES, Edit, _short, apply
from .source import Assignment, Source, same_width, walk_nodes

OPERATOR_GROUPS = [("+", "-"), ("&", "|", "^", "~^"), ("&&", "||"), ("<", "<=", ">", ">="), ("==", "!="),
                   ("===", "!=="), ("<<", ">>", "<<<", ">>>"), ("*", "+")]
REDUCTIONS = ("&", "|", "^", "~&", "~|", "~^")
_LITERAL = re.compile(r"^(\d*)\s*'\s*([sS]?)([bBoOdDhH])\s*([0-9a-fA-F_]+)$")
MAX_SWAPS = 8  # same-width replacements per identifier


class Templates(BlockTemplates):
    """Generates the edits for one candidate, most suspicious places first (the block templates
    are :class:`engine.patch.blocks.BlockTemplates`)."""

    # -- per assignment ---------------------------------------------------------------------

    def for_assignment(self, a: Assignment, score: float) -> Iterator[Edit]:
        K = self.K
        node = a.node
        value = node.right if a.kind in ("blocking", "nonblocking", "continuous") else (
            node.initializer.expr if a.kind == "declaration" else None)
        if value is not None:
            yield from self.literals(value, score)
            yield from self.identifiers(value, a, score)
            yield from self.operators(value, score)
            yield from self.inversions(value, a, score)
            yield from self.ternaries(value, score)
            yield from self.selects(value, score)
            yield from self.constants(value, a, score * 0.5)
        if a.kind in ("blocking", "nonblocking", "continuous"):
            yield from self.lhs(node.left, a, score * 0.5)
        if a.kind in ("blocking", "nonblocking"):
            op = node.operatorToken
            start, end = self.token_span(op)
            if op.kind == self.T.LessThanEquals:
                yield self.edit(start, end, "=", "blocking instead of non-blocking", f"{_short(self.s.snippet(node))}",
                                score * 0.6)
            elif op.kind == self.T.Equals:
                yield self.edit(start, end, "<=", "non-blocking instead of blocking", f"{_short(self.s.snippet(node))}",
                                score * 0.6)
        for depth, cond in enumerate(reversed(a.conditions)):
            weight = score * (0.9 ** depth)
            if cond.kind == K.ConditionalStatement:
                yield from self.if_edits(cond, weight)
                for predicate in cond.predicate.conditions:
                    yield from self.literals(predicate, weight * 0.8)
                    yield from self.operators(predicate, weight * 0.8)
                    yield from self.identifiers(predicate, a, weight * 0.8, scalar_only=True)
            elif cond.kind == K.CaseStatement:
                yield from self.case_edits(cond, a, weight)
        if a.kind in ("blocking", "nonblocking"):
            yield from self.guards(a, score * 0.4)

    # -- literals ------------------------------------------------------------------------------

    def literals(self, node: Any, score: float) -> Iterator[Edit]:
        K = self.K
        for n in walk_nodes(self.ps, node):
            if n.kind == K.IntegerVectorExpression:
                yield from self._vector_literal(n, score)
            elif n.kind == K.IntegerLiteralExpression and not self._in_select(n):
                text = self.s.snippet(n)
                if not text.isdigit():
                    continue
                v = int(text)
                # a replication's count of 0 does not compile ({0{x}}): not an edit worth a run
                lowest = 1 if self._replication_count(n) else 0
                for other in sorted({v + 1, max(v - 1, lowest), lowest, 1} - {v}):
                    yield self.replace_node(n, str(other), "replace literal", score)

    def _replication_count(self, node: Any) -> bool:
        parent = node.parent
        return (parent is not None and parent.kind == self.K.MultipleConcatenationExpression
                and self.s.span(parent.expression) == self.s.span(node))

    def _in_select(self, node: Any) -> bool:
        parent = node.parent
        while parent is not None:
            if parent.kind in (self.K.ElementSelect, self.K.VariableDimension):
                return True
            parent = parent.parent
        return False

    def _vector_literal(self, n: Any, score: float) -> Iterator[Edit]:
        text = self.s.snippet(n)
        m = _LITERAL.match(text.strip())
        if not m:
            return
        size, signed, base, digits = m.groups()
        radix = {"b": 2, "o": 8, "d": 10, "h": 16}[base.lower()]
        try:
            value = int(digits.replace("_", ""), radix)
        except ValueError:
            return
        width = int(size) if size else None
        mask = (1 << width) - 1 if width else None
        options: list[tuple[int, str]] = []
        for other, why in ((value + 1, "+1"), (value - 1, "-1"), (0, "zero"), (mask, "all ones")):
            if other is None or other < 0:
                continue
            if mask is not None:
                other &= mask
            options.append((other, why))
        if width and width <= 8:
            options += [(value ^ (1 << b), f"flip bit {b}") for b in range(width)]
        seen = {value}
        for other, why in options:
            if other in seen:
                continue
            seen.add(other)
            yield self.replace_node(n, _render(size, signed, base, other, width), "replace literal", score,
                                    f"{text} -> {_render(size, signed, base, other, width)} ({why})")

    # -- identifiers ---------------------------------------------------------------------------

    def _identifier_tokens(self, node: Any) -> Iterator[Any]:
        K = self.K
        for n in walk_nodes(self.ps, node):
            if n.kind == K.IdentifierName:
                yield n.identifier
            elif n.kind == K.IdentifierSelectName:
                yield n.identifier

    def identifiers(self, node: Any, a: Assignment, score: float, *, scalar_only: bool = False) -> Iterator[Edit]:
        for token in self._identifier_tokens(node):
            name = token.valueText
            start, end = self.token_span(token)
            others = same_width(self.s, name, a.module)
            if scalar_only:
                others = [o for o in others if o.scalar]
            if a.kind == "continuous" or (a.block is not None and self.combinational(a.block)):
                # reading what the assignment drives, through combinational logic: a loop, no fix
                others = [o for o in others if not self.fanin(a.module, {o.name}) & a.targets]
            others = sorted(others, key=lambda o: (o.direction != "input", o.name))[:MAX_SWAPS]
            for other in others:
                if other.name in a.targets and a.kind != "blocking":
                    continue
                yield self.edit(start, end, other.name, "replace variable", f"{name} -> {other.name}", score * 0.7)

    def lhs(self, node: Any, a: Assignment, score: float) -> Iterator[Edit]:
        for token in self._identifier_tokens(node):
            name = token.valueText
            start, end = self.token_span(token)
            procedural = a.kind in ("blocking", "nonblocking")
            # written by another block or assignment (a net may have several drivers, a variable not)
            elsewhere = {t for b in self.s.assignments if b.module == a.module and b.kind != "declaration"
                         and (b.block is None or b.block is not a.block) for t in b.targets}
            whole = self.s.snippet(node).strip() == name
            for other in same_width(self.s, name, a.module)[:MAX_SWAPS]:
                if other.direction == "input" or (procedural and not other.variable) or (
                        other.name in elsewhere and (other.variable or whole)):
                    # the oracle rejects a net written by procedural code, a variable of two writers;
                    # a whole net driven twice resolves the two (or the bench's uwire rejects it):
                    # never a fix
                    continue
                yield self.edit(start, end, other.name, "assign another variable", f"{name} -> {other.name}", score)
            break  # the base name only

    # -- operators, inversions, ternaries, selects, constants ------------------------------------------

    def operators(self, node: Any, score: float) -> Iterator[Edit]:
        K = self.K
        reductions = {K.UnaryBitwiseAndExpression, K.UnaryBitwiseOrExpression, K.UnaryBitwiseXorExpression,
                      K.UnaryBitwiseNandExpression, K.UnaryBitwiseNorExpression, K.UnaryBitwiseXnorExpression}
        for n in walk_nodes(self.ps, node):
            op = getattr(n, "operatorToken", None)
            if op is None:
                continue
            raw = op.rawText
            start, end = self.token_span(op)
            if n.kind in reductions:
                for other in REDUCTIONS:
                    if other != raw:
                        yield self.edit(start, end, other, "swap operator",
                                        f"{_short(self.s.snippet(n))}: {raw} -> {other}", score * 0.8)
                continue
            if not hasattr(n, "left") or not hasattr(n, "right"):
                continue
            for group in OPERATOR_GROUPS:
                if raw in group:
                    for other in group:
                        if other != raw:
                            yield self.edit(start, end, other, "swap operator",
                                            f"{_short(self.s.snippet(n))}: {raw} -> {other}", score * 0.8)

    def inversions(self, node: Any, a: Assignment, score: float) -> Iterator[Edit]:
        K = self.K
        text = self.s.snippet(node)
        yield self.replace_node(node, f"~({text})", "add inversion", score * 0.8)
        for n in walk_nodes(self.ps, node):
            if n.kind in (K.UnaryBitwiseNotExpression, K.UnaryLogicalNotExpression):
                yield self.replace_node(n, self.s.snippet(n.operand), "remove inversion", score * 0.9)
            elif n.kind in (K.IdentifierName, K.IdentifierSelectName) and n is not node \
                    and not _unary_operand(n):  # Icarus takes no ~~b or !~b: an operand is a primary
                yield self.replace_node(n, f"~{self.s.snippet(n)}", "add inversion", score * 0.5)

    def ternaries(self, node: Any, score: float) -> Iterator[Edit]:
        for n in walk_nodes(self.ps, node):
            if n.kind != self.K.ConditionalExpression:
                continue
            left, right = self.s.snippet(n.left), self.s.snippet(n.right)
            pstart, pend = self.s.span(n.predicate)
            lstart, lend = self.s.span(n.left)
            rstart, rend = self.s.span(n.right)
            yield self.edit(lstart, rend, f"{right}{self.s.text[lend:rstart]}{left}", "swap ?: arms",
                            f"{_short(left)} <-> {_short(right)}", score * 0.8)
            yield self.edit(pstart, pend, f"!({self.s.text[pstart:pend]})", "negate condition",
                            _short(self.s.text[pstart:pend]), score * 0.8)

    def selects(self, node: Any, score: float) -> Iterator[Edit]:
        K = self.K
        for n in walk_nodes(self.ps, node):
            if n.kind == K.IdentifierSelectName and n.selectors:
                yield self.replace_node(n, n.identifier.valueText, "drop select", score * 0.6)
            if n.kind != K.ElementSelect or n.selector is None:
                continue
            sel = n.selector
            if sel.kind == K.BitSelect and sel.expr.kind == K.IntegerLiteralExpression:
                v = int(self.s.snippet(sel.expr))
                for other in (v + 1, v - 1):
                    if other >= 0:
                        yield self.replace_node(sel.expr, str(other), "shift index", score * 0.7)
            elif sel.kind == K.SimpleRangeSelect and all(e.kind == K.IntegerLiteralExpression
                                                         for e in (sel.left, sel.right)):
                hi, lo = int(self.s.snippet(sel.left)), int(self.s.snippet(sel.right))
                for d in (1, -1):
                    if min(hi, lo) + d >= 0:
                        yield self.replace_node(sel, f"{hi + d}:{lo + d}", "shift slice", score * 0.7)

    def constants(self, node: Any, a: Assignment, score: float) -> Iterator[Edit]:
        if self.s.snippet(node).strip() in ("'0", "'1", "0", "1"):
            return
        for value in ("'0", "'1"):
            yield self.replace_node(node, value, "assign constant", score)

    # -- control ---------------------------------------------------------------------------------

    def if_edits(self, cond: Any, score: float) -> Iterator[Edit]:
        predicate = cond.predicate
        ptext = self.s.snippet(predicate)
        yield self.replace_node(predicate, f"!({ptext})", "negate condition", score * 0.9, f"if ({_short(ptext)})")
        if cond.elseClause is not None:
            then_text = self.s.snippet(cond.statement)
            else_stmt = cond.elseClause.clause
            else_text = self.s.snippet(else_stmt)
            ts, te = self.s.span(cond.statement)
            es, ee = self.s.span(else_stmt)
            yield self.edit(ts, ee, else_text + self.s.text[te:es] + then_text, "swap if/else branches",
                            f"if ({_short(ptext)})", score * 0.8)

    def case_edits(self, case: Any, a: Assignment, score: float) -> Iterator[Edit]:
        K = self.K
        items = [i for i in case.items if i.kind in (K.StandardCaseItem, K.DefaultCaseItem)]
        bodies = [(i, i.clause) for i in items if getattr(i, "clause", None) is not None]
        mine = next((k for k, (i, body) in enumerate(bodies) if self.s.span(body)[0] <= a.start < self.s.span(body)[1]),
                    None)
        for k in range(len(bodies)):
            for j in range(k + 1, len(bodies)):
                if mine is not None and mine not in (k, j):
                    continue
                (_, b1), (_, b2) = bodies[k], bodies[j]
                t1, t2 = self.s.snippet(b1), self.s.snippet(b2)
                if t1 == t2:
                    continue
                s1, e1 = self.s.span(b1)
                s2, e2 = self.s.span(b2)
                yield self.edit(s1, e2, t2 + self.s.text[e1:s2] + t1, "swap case items",
                                f"{_short(t1)} <-> {_short(t2)}", score * 0.7)
        for item, _ in bodies:
            if item.kind == K.StandardCaseItem:
                for e in item.expressions:
                    if not isinstance(e, self.ps.parsing.Token):
                        yield from self.literals(e, score * 0.8)

    def guards(self, a: Assignment, score: float) -> Iterator[Edit]:
        """``if (s) x <= e;`` and, after it, ``if (s) x <= 0;`` for one-bit inputs s."""
        end = self._statement_end(a.end)
        if end is None:
            return
        stmt = self.s.text[a.start:end]
        gates = [s for s in self.s.module_signals.get(a.module, {}).values()
                 if s.scalar and s.direction == "input" and not CLOCK_NAMES.search(s.name)]
        target = next(iter(sorted(a.targets)), None)
        op = "<=" if a.kind == "nonblocking" else "="
        for g in gates[:4]:
            for cond in (g.name, f"!{g.name}"):
                # a block: an if without else must not take an else that follows the statement
                yield self.edit(a.start, end, f"begin if ({cond}) {stmt} end", "add guard",
                                f"if ({cond}) {_short(stmt)}", score)
                if target is not None:
                    for value in ("'0", "'1"):
                        yield self.overwrite(a, end, stmt, cond, f"{target} {op} {value}", score * 0.8)

    def overwrite(self, a: Assignment, end: int, stmt: str, cond: str, assignment: str, score: float) -> Edit:
        """``stmt`` followed by ``if (cond) assignment;``, as one statement (a begin-end block)."""
        return self.edit(a.start, end, f"begin {stmt} if ({cond}) {assignment}; end", "conditional overwrite",
                         f"if ({cond}) {assignment}", score)

    def from_waveform(self, a: Assignment, verdict: Verdict, score: float) -> Iterator[Edit]:
        """Overwrites read off the first mismatch: when the target held the value it had just
        before the first failing sample, give it the value the reference expected there."""
        end = self._statement_end(a.end)
        trace = verdict.trace
        if end is None or len(trace) < 2 or a.kind not in ("blocking", "nonblocking"):
            return
        failing, rows = trace[-1], trace[:-1]
        stmt = self.s.text[a.start:end]
        op = "<=" if a.kind == "nonblocking" else "="
        for signal, (expected, actual) in failing.outputs.items():
            if expected == actual:
                continue
            before = next((r.outputs[signal][1] for r in reversed(rows) if r.outputs[signal][1] != actual), None)
            for target in sorted(a.targets):
                width = self._width_of(a, target)
                if width is None:
                    continue
                want, was = _as_literal(expected, width), _as_literal(before, width)
                if want is None:
                    continue
                if was is not None:
                    yield self.overwrite(a, end, stmt, f"{target} == {was}", f"{target} {op} {want}", score)
                wrong = _as_literal(actual, width)
                if wrong is not None and wrong != was:
                    yield self.overwrite(a, end, stmt, f"{target} == {wrong}", f"{target} {op} {want}", score * 0.6)

    def _width_of(self, a: Assignment, name: str) -> int | None:
        signal = self.s.module_signals.get(a.module, {}).get(name)
        if signal is None:
            return None
        if signal.scalar:
            return 1
        m = re.fullmatch(r"\[(\d+):(\d+)\]", signal.width)
        return abs(int(m.group(1)) - int(m.group(2))) + 1 if m else None

    def _statement_end(self, offset: int) -> int | None:
        m = re.compile(r"\s*;").match(self.s.text, offset)
        return m.end() if m else None


def _render(size: str, signed: str, base: str, value: int, width: int | None) -> str:
    b = base.lower()
    if b == "d":
        digits = str(value)
    elif b == "b":
        digits = format(value, "b").zfill(width or 1)
    elif b == "o":
        digits = format(value, "o")
    else:
        digits = format(value, "x").zfill(((width or 4) + 3) // 4)
    return f"{size}'{signed}{base}{digits}"


def _as_literal(value: str | None, width: int) -> str | None:
    """A sampled value (``4'ha``, ``1``) as a sized decimal literal, or None for x/z."""
    if value is None:
        return None
    digits = value.split("'h", 1)[1] if "'h" in value else value
    try:
        number = int(digits, 16 if "'h" in value else 2)
    except ValueError:
        return None
    return f"{width}'d{number & ((1 << width) - 1)}"


def candidate_edits(source: Source, weights: dict[str, float], *, verdict: Verdict | None = None,
                    limit_assignments: int = 12) -> list[Edit]:
    """Every edit for the most suspicious assignments and their blocks, most suspicious first,
    without duplicates (same span, same text). ``verdict``: its waveform up to the first
    mismatch gives the data-driven overwrites."""
    from .source import ranked

    templates = Templates(source)
    out: list[Edit] = []
    blocks: dict[int, tuple[object, float]] = {}
    for a, score in ranked(source, weights)[:limit_assignments]:
        out.extend(templates.for_assignment(a, score))
        if verdict is not None:
            out.extend(templates.from_waveform(a, verdict, score))
        if a.block is not None:
            key = id(a.block)
            blocks[key] = (a.block, max(score, blocks.get(key, (None, 0.0))[1]))
    for block, score in blocks.values():
        out.extend(templates.for_block(block, score))
    seen: set[tuple[int, int, str]] = set()
    unique = []
    for e in sorted(out, key=lambda e: -e.score):
        span = (e.start, e.end, e.text)
        if span in seen or source.text[e.start:e.end] == e.text:
            continue
        seen.add(span)
        unique.append(e)
    return unique


def _unary_operand(node: Any) -> bool:
    parent = getattr(node, "parent", None)
    return parent is not None and parent.kind.name.startswith("Unary")


__all__ = ["Edit", "Templates", "apply", "candidate_edits"]

