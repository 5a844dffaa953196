"""Many edits judged with one compilation: the candidate rewritten as a mutant schema.

Each edit that falls inside a procedural statement of an ``always`` block is placed as a variant
of the smallest such statement that holds it (its *anchor*): the anchor becomes

    begin case (<selector>) 32'd1: begin <anchor with edit 1> end ... default: begin <anchor> end endcase end

and the oracle runs the compiled schema once per choice (:mod:`oracle.variants`). A variant is
the whole statement with the edit applied, so widths, signedness and evaluation order inside it
are exactly the edited design's; the selector holds its value before any process starts. The
edits that have no anchor (declarations, sensitivity lists, ``initial`` blocks, functions,
continuous assignments to a part of a signal other than one bit of a vector) are judged one
compilation each, as before.

In a block whose sensitivity is what it reads (``always_comb``, ``always @*``) an edit is placed
in place only if the block names the same signals with it as without: a variant reading another
signal would wake the block at other times in every run, one that drops a signal's last use would
not wake at times it should (both found by the side-by-side test). In an
``always @*`` or ``always_comb`` block, such an edit is placed instead in a copy of the whole
block guarded by its choice, declared before it, while the block itself is guarded to run in
every other choice (the oracle's race check knows these guards: no two of them run in one
simulation). An anchor may not
hold timing controls, waits, named blocks or declarations (each variant is a
copy, so names would clash and time would pass differently). An anchor inside another sits in
the outer one's default arm: one edit is on in a run, so the other arms hold the original text.
"""

from __future__ import annotations

import re
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oracle import Selector

from .edit import Edit
from .source import Source, _ps, walk_nodes


@dataclass(frozen=True)
class Schema:
    text: str
    edits: tuple[Edit, ...]  # choice k runs edits[k - 1]
    lines: tuple[tuple[int, int], ...]  # choice k's variant: first and last line of the schema text

    def choices_at(self, line: int) -> list[int]:
        """The choices whose variant holds ``line`` (1-based) of the schema's text."""
        return [k for k, (first, last) in enumerate(self.lines, start=1) if first <= line <= last]


@dataclass(frozen=True, order=True)
class Anchor:
    """A statement that may carry variants: procedural (in an ``always`` block) or a continuous
    assignment to a whole signal or to one bit of a vector."""

    start: int
    end: int
    header: int  # where its module's header ends (the selector is declared there)
    implicit: bool = False  # in a block whose sensitivity is what it reads
    block: tuple[int, int] = (0, 0)  # the always block it is in (offsets)
    assign: bool = False  # a continuous assignment (its variants are drivers, see _Writer.drivers)
    target: str = ""  # a continuous assignment's target (a whole signal, or ``name[index]``)
    width: str = ""  # its declared range ("" for one bit)
    #: a whole ``always @*`` block whose variants are guarded copies of it (see _Writer.copies):
    #: the offsets of its statement, after the event control
    body: tuple[int, int] | None = None
    #: a continuous assignment's module's signals that a variant may read through a gate (see
    #: _Writer.drivers): (name, declared range), plain vectors and bits, no arrays
    signals: tuple[tuple[str, str], ...] = ()


def anchors(source: Source) -> list[Anchor]:
    """Every statement of ``source`` that may carry variants."""
    ps = _ps()
    K = ps.syntax.SyntaxKind
    always = {K.AlwaysBlock, K.AlwaysCombBlock, K.AlwaysFFBlock, K.AlwaysLatchBlock}
    found: list[Anchor] = []
    root = source.tree.root
    modules = [root] if root.kind == K.ModuleDeclaration else [
        m for m in walk_nodes(ps, root) if m.kind == K.ModuleDeclaration]
    # a driver's 'z arm would make a signed expression unsigned; a net of several packed dimensions
    # is not declared again from its first range
    plain = "signed" not in source.text and "][" not in source.text
    for module in modules:
        header_end = module.header.sourceRange.end.offset
        signals = source.module_signals.get(module.header.name.valueText, {})
        plain_signals = tuple(sorted((s.name, s.width) for s in signals.values()
                                     if not s.array and _RANGE.match(s.width)))
        for member in walk_nodes(ps, module):
            if member.kind == K.ContinuousAssign and plain:
                start, end = source.span(member)
                parts = _split_assign(source.text[start:end])
                if parts is None:
                    continue
                bit = _BIT.fullmatch(parts[0])
                signal = signals.get(bit.group(1) if bit else parts[0])
                if signal is not None and bit is not None and signal.width and not signal.array:
                    # one bit of a vector (of an array, ``x[i]`` would be a whole word)
                    found.append(Anchor(start, end, header_end, assign=True, target=parts[0].strip(), width="",
                                        signals=plain_signals))
                elif signal is not None and bit is None and _RANGE.match(signal.width):
                    found.append(Anchor(start, end, header_end, assign=True, target=signal.name, width=signal.width,
                                        signals=plain_signals))
                continue
            if member.kind not in always:
                continue
            implicit = member.kind != K.AlwaysFFBlock and _implicit(ps, member)
            body = _guardable(ps, member) if implicit else None
            if body is not None:
                start, end = source.span(member)
                found.append(Anchor(start, end, header_end, implicit, block=(start, end), body=source.span(body)))
            for node in walk_nodes(ps, member.statement):
                if isinstance(node, ps.syntax.StatementSyntax) and _movable(ps, node):
                    start, end = source.span(node)
                    found.append(Anchor(start, end, header_end, implicit, block=source.span(member)))
    return found


_RANGE = re.compile(r"\A(\[[^\[\]]*\])?\Z")
#: ``name[index]``: one bit of a vector (no part select, no nested brackets)
_BIT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_$]*)\s*\[[^\[\]:]+\]\s*")
_ASSIGN = re.compile(r"\Aassign\s+([A-Za-z_][A-Za-z0-9_$]*(?:\s*\[[^\]=;]*\])?)\s*=(?!=)\s*(.*);\s*\Z", re.DOTALL)


def _split_assign(text: str) -> tuple[str, str] | None:
    """(target, expression) of ``assign target = expression;`` (one target, no delay or strength)."""
    m = _ASSIGN.match(text.strip())
    if m is None or ";" in m.group(2) or "," in _outside_brackets(m.group(2)):
        return None
    return m.group(1), m.group(2)


def _outside_brackets(text: str) -> str:
    """``text`` with everything inside (), [] and {} dropped (to find a top-level comma)."""
    out, depth = [], 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


#: the guards of an ``always @*`` block with copies and of each copy (the oracle's race check
#: reads them: oracle.races.guards)
_UNLESS = "if (!({sel} >= 32'd{lo} && {sel} <= 32'd{hi}))"
_ONLY = "if ({sel} == 32'd{k})"


def _guardable(ps: Any, block: Any) -> Any:
    """The statement of an ``always @*`` or ``always_comb`` block that may be copied under a
    guard (see _Writer.copies), or None. Not ``always_latch`` (none of the shared problems has
    one to check it on)."""
    K = ps.syntax.SyntaxKind
    if block.kind == K.AlwaysBlock and block.statement.kind == K.TimingControlStatement:
        body = block.statement.statement
    elif block.kind == K.AlwaysCombBlock:
        body = block.statement
    else:
        return None
    return body if _movable(ps, body) else None


def _implicit(ps: Any, block: Any) -> bool:
    """Whether the block's sensitivity is what it reads (``always_comb``, ``always_latch``,
    ``always @*``): then a variant reading a name the original does not would wake it more often."""
    K = ps.syntax.SyntaxKind
    if block.kind in (K.AlwaysCombBlock, K.AlwaysLatchBlock):
        return True
    statement = block.statement
    if statement.kind != K.TimingControlStatement:
        return True  # no event control at all: be careful
    return statement.timingControl.kind == K.ImplicitEventControl or "*" in str(statement.timingControl)


_BASED = re.compile(r"\d*\s*'\s*[sS]?[bBoOdDhH]\s*[0-9a-fA-F_xXzZ?]+|'[01xzXZ]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def names_of(text: str) -> set[str]:
    """The names (keywords included) in a piece of Verilog, its based literals left out."""
    return set(_NAME.findall(_BASED.sub(" ", text)))


#: what an expression's identifiers may hide in: based literals, strings, system and escaped names
_TOKENS = re.compile(rf"""({_BASED.pattern}|"(?:[^"\\]|\\.)*"|[$`][A-Za-z0-9_$]*|\\\S+|\.\s*{_NAME.pattern})"""
                     rf"""|({_NAME.pattern})(?![A-Za-z0-9_$])(?!\s*[(.])""")


def _gated(value: str, widths: dict[str, str], prefix: str, test: str) -> tuple[str, str]:
    """``value`` reading each signal of ``widths`` it names through a gate, and the gates'
    declarations: ``wire <range> <prefix><name> = <test> ? <name> : '0;`` (the signal's exact
    value, unknown bits and all, while ``test`` holds). Names in literals, strings, system calls,
    member selects and function calls are left alone."""
    gates: dict[str, str] = {}

    def gate(m: re.Match[str]) -> str:
        word = m.group(2)
        if word is None or word not in widths:
            return m.group(0)
        if word not in gates:
            gates[word] = f"wire {widths[word]} {prefix}{word} = {test} ? {word} : '0; "
        return prefix + word

    gated = _TOKENS.sub(gate, value)
    return "".join(gates.values()), gated


def _same_names(text: str, e: Edit, block: tuple[int, int]) -> bool:
    """Whether the block holding ``e`` names the same signals with the edit as without: then its
    implicit sensitivity is the same (a name brought in would wake it at other times; a name taken
    out, its last use gone, would no longer wake it: a latch's ``p = a`` made ``p = '0``)."""
    start, end = block
    return names_of(text[start:e.start] + e.text + text[e.end:end]) == names_of(text[start:end])


def _movable(ps: Any, statement: Any) -> bool:
    K = ps.syntax.SyntaxKind
    banned = {K.TimingControlStatement, K.WaitStatement, K.WaitForkStatement, K.WaitOrderStatement,
              K.DataDeclaration, K.ForVariableDeclaration, K.ParameterDeclarationStatement, K.ParallelBlockStatement,
              K.ProceduralAssignStatement, K.ProceduralForceStatement, K.ProceduralDeassignStatement,
              K.ProceduralReleaseStatement, K.DelayControl, K.EventControl, K.EventControlWithExpression,
              K.ImplicitEventControl, K.RepeatedEventControl, K.CycleDelay}
    if statement.kind in (K.SequentialBlockStatement,) and statement.blockName is not None:
        return False
    for node in walk_nodes(ps, statement):
        if node.kind in banned:
            return False
        if node.kind == K.SequentialBlockStatement and node.blockName is not None:
            return False
        if isinstance(node, ps.syntax.StatementSyntax) and getattr(node, "label", None) is not None:
            return False
    return True


#: the anchors of the sources built from last: a node's edits go out in several slices, each a
#: schema of the same source (a parsed source is never changed; held weakly, so a parse tree is
#: never kept alive by this)
_recent: deque[tuple[weakref.ref[Source], list[Anchor]]] = deque(maxlen=4)


def _anchors_of(source: Source) -> list[Anchor]:
    for known, spans in _recent:
        if known() is source:
            return spans
    spans = sorted(set(anchors(source)))
    _recent.appendleft((weakref.ref(source), spans))
    return spans


def build(source: Source, edits: Sequence[Edit], selector: Selector) -> tuple[Schema | None, list[Edit]]:
    """The schema for the edits that have an anchor, and the edits that have none."""
    spans = _anchors_of(source)
    held: dict[Anchor, list[Edit]] = {}
    rest: list[Edit] = []
    for e in edits:
        holding = [a for a in spans if a.start <= e.start and e.end <= a.end and a.body is None]
        if holding and holding[0].implicit and not _same_names(source.text, e, holding[0].block):
            # in an implicitly sensitive block, another set of names would change when it runs:
            # the block is copied instead, if it may be
            holding = [a for a in spans if a.body is not None and a.body[0] <= e.start and e.end <= a.body[1]]
        if holding and holding[0].assign:
            a = holding[0]
            changed = source.text[a.start:e.start] + e.text + source.text[e.end:a.end]
            parts = _split_assign(changed)
            if parts is None or parts[0] != a.target:
                holding = []  # no longer one plain assignment to the same signal
        if holding:
            held.setdefault(min(holding, key=lambda a: a.end - a.start), []).append(e)
        else:
            rest.append(e)
    if not held:
        return None, rest
    return _Writer(source.text, held, selector).schema(), rest


class _Writer:
    """Writes a schema: each anchor a ``case`` on the selector whose default is the original
    statement, in which the anchors it holds are written the same way (only one edit is ever on)."""

    def __init__(self, text: str, held: dict[Anchor, list[Edit]], selector: Selector) -> None:
        self.text = text
        self.held = held
        self.selector = selector
        self.pieces: list[str] = []
        self.line = 1
        self.order: list[Edit] = []
        self.lines: dict[int, tuple[int, int]] = {}
        self.nets = 0

    def emit(self, chunk: str) -> None:
        self.pieces.append(chunk)
        self.line += chunk.count("\n")

    def schema(self) -> Schema:
        headers = sorted({a.header for a in self.held})
        at = 0
        for header in headers:
            self.region(at, header)
            self.emit(f"\n{self.selector.declaration()}\n")
            at = header
        self.region(at, len(self.text))
        lines = tuple(self.lines[k] for k in range(1, len(self.order) + 1))
        return Schema("".join(self.pieces), tuple(self.order), lines)

    def region(self, start: int, end: int) -> None:
        """The text from ``start`` to ``end`` with the outermost anchors in it written as cases."""
        at = start
        for a in self._outermost(start, end):
            self.emit(self.text[at:a.start])
            if a.assign:
                self.drivers(a)
            elif a.body is not None:
                self.copies(a)
            else:
                self.anchor(a)
            at = a.end
        self.emit(self.text[at:end])

    def _outermost(self, start: int, end: int) -> list[Anchor]:
        inside = [a for a in self.held if start <= a.start and a.end <= end and (a.start, a.end) != (start, end)]
        return sorted(a for a in inside if not any(b is not a and b.start <= a.start and a.end <= b.end
                                                  and (b.start, b.end) != (a.start, a.end) for b in inside))

    def drivers(self, a: Anchor) -> None:
        """A continuous assignment: a net of the target's range with one driver per variant, each
        driving only in its own run and high impedance otherwise (so the net resolves to exactly
        that variant's value; the original drives in every other run), and the target assigned
        from it.

        A variant reads the module's signals through gates: nets of the same range that follow
        the signal in the variant's own run and hold 0 in every other. Icarus evaluates a driver
        whenever what it reads changes, chosen or not; read directly, every variant's expression
        was evaluated in every run (a schema of 24 variants of a 25-bit expression simulated 8
        times slower than the design alone). Gated, the others' inputs never change."""
        original = self.text[a.start:a.end]
        name = self.selector.name
        self.nets += 1
        net = f"{name}_n{self.nets}"
        self.emit(f"wire {a.width} {net};\n")
        lo = len(self.order) + 1
        widths = dict(a.signals)
        for e in self.held[a]:
            self.order.append(e)
            k = len(self.order)
            changed = original[:e.start - a.start] + e.text + original[e.end - a.start:]
            _, value = _split_assign(changed) or ("", "")
            gates, value = _gated(value, widths, f"{net}_{k}_", f"({name} == 32'd{k})")
            self.lines[k] = (self.line, self.line)
            self.emit(f"{gates}assign {net} = ({name} == 32'd{k}) ? ({value}) : 'z;\n")
        _, value = _split_assign(original) or ("", "")
        hi = len(self.order)
        self.emit(f"assign {net} = ({name} < 32'd{lo} || {name} > 32'd{hi}) ? ({value}) : 'z;\n"
                  f"assign {a.target} = {net};")

    def copies(self, a: Anchor) -> None:
        """An ``always @*`` block whose variants read names it does not: the block runs unless the
        choice is one of its copies', and each copy, the block with one edit, runs in its own
        choice alone. A copy is sensitive to what it reads (a variant in place would make the
        block sensitive to the new names in every run); in other runs it wakes and does nothing.
        The selector holds its value before any process starts, so no guard ever changes.

        The copies are declared before the block, not after it: a design racing a clocked
        block's read of the comb block's output against the bench's change of an asynchronous
        reset is decided by the order Icarus wakes processes in, and a copy reading that reset
        declared after the clocked block changed it (Prob109; in plain Icarus, adding even
        ``always_comb dummy = areset;`` there flips the race, and before the block it does not).
        The side-by-side test and scripts/bench_schema.py (3 x ~2,490 edits) find no verdict
        differing with this order."""
        assert a.body is not None
        name, (body_start, body_end) = self.selector.name, a.body
        header = self.text[a.start:body_start]
        lo = len(self.order) + 1
        for e in self.held[a]:
            self.order.append(e)
        hi = len(self.order)
        for k, e in enumerate(self.held[a], start=lo):
            first = self.line
            body = self.text[body_start:e.start] + e.text + self.text[e.end:body_end]
            self.emit(f"{header}{_ONLY.format(sel=name, k=k)} begin {body} end\n")
            self.lines[k] = (first, self.line - 1)
        self.emit(f"{header}{_UNLESS.format(sel=name, lo=lo, hi=hi)} begin ")
        whole = [b for b in self.held if b.body is None and (b.start, b.end) == (body_start, body_end)]
        if whole:  # the block's statement is itself an anchor with variants in place
            self.anchor(whole[0])
        else:
            self.region(body_start, body_end)
        self.emit(f" end{self.text[body_end:a.end]}")

    def anchor(self, a: Anchor) -> None:
        start, end = a.start, a.end
        original = self.text[start:end]
        self.emit(f"begin case ({self.selector.name})\n")
        for e in self.held[a]:
            self.order.append(e)
            k = len(self.order)
            first = self.line
            self.emit(f"32'd{k}: begin {original[:e.start - start]}{e.text}{original[e.end - start:]} end\n")
            self.lines[k] = (first, self.line - 1)
        self.emit("default: begin ")
        self.region(start, end)
        self.emit(" end\nendcase end")


__all__ = ["Schema", "anchors", "build"]
