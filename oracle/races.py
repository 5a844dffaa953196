"""Variables two processes write: a race the simulator settles one way and synthesis rejects.

A variable written by two ``always`` blocks holds whichever write the simulator happens to run
last in a time step. Icarus picks one order, another simulator (or another Icarus) may pick the
other, and synthesis refuses a register with two drivers. A design that passes its bench that way
passes by an accident of scheduling: the patch search found such designs (a counter reset in one
block and counted in another) that pass a short bench and fail a longer one.

Rejected, on the second writer's line: bits of a variable written in two ``always`` blocks
(``always``, ``always_comb``, ``always_ff``, ``always_latch``; each generate iteration's block is
its own) where one of the writes is nonblocking, or the variable is a port. Not rejected:
different bits written by different blocks (a generate loop per bit), an ``initial`` block that
sets a start value, memories (unpacked arrays: a dual-port RAM writes one from two blocks), and
internal variables only ever written with blocking assignments (a loop index shared by blocks
runs to completion in each; it carries nothing between them).

The facts come from slang's own analysis of the elaborated design (every driver of every
variable, with its bit range and the block that contains it), so generate loops and parameters
count as elaborated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: driver sources that are processes running for the whole simulation
_ALWAYS = ("Always", "AlwaysComb", "AlwaysFF", "AlwaysLatch")


@dataclass(frozen=True)
class _Write:
    block: tuple[str, int]  # (scope path, offset of the block): one elaborated process
    low: int
    high: int
    nonblocking: bool
    location: Any


def races(ps: Any, tree: Any, analysis: Any, top: Any,
          reject: Callable[[Any, str], None], line_of: Callable[[Any], int | None],
          selector: str | None = None) -> None:
    """Reject, via ``reject(location, message)``, every variable under the ``top`` instance that
    two always blocks write in overlapping bits (see the module docstring). ``selector``: a
    schema's selector, whose guarded copies of a block never run in the same simulation
    (:func:`guards`)."""
    nonblocking: list[tuple[int, int]] | None = None  # read from the tree once a variable needs it
    guarded: dict[int, Guard] | None = None
    variables: list[Any] = []
    ports: set[str] = set()
    Kind = ps.ast.SymbolKind

    def collect(symbol: Any) -> bool:
        if symbol.kind == Kind.Variable:
            variables.append(symbol)
        elif symbol.kind == Kind.Instance:
            ports.update(p.internalSymbol.hierarchicalPath for p in symbol.body.portList
                         if getattr(p, "internalSymbol", None) is not None)
        return True

    top.visit(collect)
    for variable in variables:
        if variable.type.isUnpackedArray:
            continue
        drivers = [(d, b) for d in analysis.getDrivers(variable) if (b := _block(d)) is not None]
        if len({b for _, b in drivers}) < 2:
            continue  # one always block writes it, or none (most variables)
        if nonblocking is None:
            nonblocking = _nonblocking_targets(ps, tree)
        if guarded is None:
            guarded = guards(ps, tree, selector) if selector else {}
        writes = list({(w.block, w.low, w.high, w.nonblocking): w for w in _writes(drivers, nonblocking)}.values())
        clash = _first_clash(writes, variable.hierarchicalPath in ports, guarded)
        if clash is not None:
            first, second = clash
            lines = f"lines {line_of(first.location)} and {line_of(second.location)}"
            reject(second.location, f"'{variable.name}' is written by two always blocks ({lines}): which write wins "
                                    "depends on the order the simulator runs them, and synthesis rejects a variable "
                                    "with two drivers; write each variable in one always block")


def _nonblocking_targets(ps: Any, tree: Any) -> list[tuple[int, int]]:
    """(start, end) offsets of every nonblocking assignment's target."""
    K = ps.syntax.SyntaxKind
    spans: list[tuple[int, int]] = []

    def visit(node: Any) -> Any:
        if isinstance(node, ps.parsing.Token):
            return ps.ast.VisitAction.Skip
        if node.kind == K.NonblockingAssignmentExpression:
            r = node.left.sourceRange
            spans.append((r.start.offset, r.end.offset))
        return ps.ast.VisitAction.Advance

    tree.root.visit(visit)
    return spans


def _block(driver: Any) -> tuple[str, int] | None:
    """The always block a driver writes from, as (scope path, offset): one elaborated process."""
    block = driver.containingSymbol
    if block is None or str(driver.source).rsplit(".", 1)[-1] not in _ALWAYS:
        return None
    return block.hierarchicalPath, block.location.offset


def _writes(drivers: Iterable[tuple[Any, tuple[str, int]]], nonblocking: list[tuple[int, int]]) -> Iterable[_Write]:
    """Each (driver, its always block) as a write."""
    for d, block in drivers:
        at = d.sourceRange.start.offset
        low, high = sorted(d.bounds)
        yield _Write(block, low, high, any(s <= at < e for s, e in nonblocking), d.sourceRange.start)


def _first_clash(writes: list[_Write], port: bool, guarded: dict[int, Guard]) -> tuple[_Write, _Write] | None:
    """The first two writes from different blocks over a common bit, one of them nonblocking
    unless the variable is a port, from blocks that may run in the same simulation."""
    for i, a in enumerate(writes):
        for b in writes[i + 1:]:
            if a.block != b.block and a.low <= b.high and b.low <= a.high and (port or a.nonblocking or b.nonblocking) \
                    and not _exclusive(guarded.get(a.block[1]), guarded.get(b.block[1])):
                return (a, b) if a.location.offset <= b.location.offset else (b, a)
    return None


@dataclass(frozen=True)
class Guard:
    """A schema block's guard on the selector: it runs only for ``choice`` (a copy), or for every
    choice outside ``low..high`` (the block its copies are of; engine.patch.schema writes both)."""

    choice: int | None = None
    low: int = 0
    high: int = -1

    def runs(self, k: int) -> bool:
        return k == self.choice if self.choice is not None else not self.low <= k <= self.high


def guards(ps: Any, tree: Any, selector: str) -> dict[int, Guard]:
    """The ``always`` (``_comb``, ``_latch``) blocks whose whole statement (after the event
    control) is an ``if`` on the selector alone with no else, by the offset of the block: the
    guarded copies of a schema."""
    K = ps.syntax.SyntaxKind
    name = re.escape(selector)
    only = re.compile(rf"\({name}==32'd(\d+)\)")
    unless = re.compile(rf"\(!\({name}>=32'd(\d+)&&{name}<=32'd(\d+)\)\)")
    found: dict[int, Guard] = {}

    def visit(node: Any) -> Any:
        if isinstance(node, ps.parsing.Token):
            return ps.ast.VisitAction.Skip
        if node.kind in (K.AlwaysCombBlock, K.AlwaysLatchBlock):
            body = node.statement
        elif node.kind == K.AlwaysBlock:
            body = node.statement.statement if node.statement.kind == K.TimingControlStatement else None
        else:
            return ps.ast.VisitAction.Advance
        if body is not None and body.kind == K.ConditionalStatement and body.elseClause is None \
                and len(body.predicate.conditions) == 1:
            test = "(" + re.sub(r"\s+", "", str(body.predicate.conditions[0])) + ")"
            if m := only.fullmatch(test):
                found[node.sourceRange.start.offset] = Guard(choice=int(m.group(1)))
            elif m := unless.fullmatch(test):
                found[node.sourceRange.start.offset] = Guard(low=int(m.group(1)), high=int(m.group(2)))
        return ps.ast.VisitAction.Skip

    tree.root.visit(visit)
    return found


def _exclusive(a: Guard | None, b: Guard | None) -> bool:
    """Whether no choice runs both blocks (an unguarded block runs in every choice)."""
    if a is None or b is None:
        return False
    if a.choice is not None:
        return not b.runs(a.choice)
    if b.choice is not None:
        return not a.runs(b.choice)
    return False  # two blocks that both run for choice 0
