"""Mechanical fixes of compile errors, the classes small models make most (counted in the
ledger of a benchmark sweep, see the README): each is an :class:`Edit` like the templates', and
the oracle judges it like any other candidate.

- an output or wire assigned in an always block ("X is not a valid l-value ... declared here as
  wire"): declare it ``reg``;
- a ``reg`` driven by ``assign`` ("cannot be driven by primitives or continuous assignment"):
  declare it a net;
- a name that differs from a declared one only in case or by a typo ("did you mean 'Y'",
  "Unable to bind ... `x'"): use the declared name;
- two drivers of one signal ("already driven", "unresolved wires"): drop one of them;
- a missing ``endmodule``: add it;
- a port of the wrong width ("is N bit(s) wide; the interface needs M"): the interface's width;
- a port declared again in the module's body ("'X' has already been declared in this scope"):
  the body's declaration dropped, the port made ``reg`` when the body said so;
- ``break`` and ``continue`` (SystemVerilog; Icarus 11 has neither: "sorry: break statements not
  supported", a syntax error at ``continue``): ``disable`` of a named block around the loop (break)
  or around its body (continue), the Verilog-2001 way of saying the same thing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence

from oracle import CompileError

from ..difftb import vector_range
from .edits import Edit
from .source import _ps, node_span, walk_nodes

_LVALUE = re.compile(r"\b([A-Za-z_]\w*) is not a valid l-value.*declared here as (wire|net)", re.IGNORECASE)
_LVALUE_PLAIN = re.compile(r"\b([A-Za-z_]\w*) is not a valid l-value")
_CONTINUOUS = re.compile(r"reg ([A-Za-z_]\w*);? cannot be driven by (?:primitives or )?continuous assignment")
_TYPO = re.compile(r"undeclared identifier '([A-Za-z_]\w*)'; did you mean '([A-Za-z_]\w*)'")
_UNBOUND = re.compile(r"Unable to bind (?:wire/reg/memory|parameter) `([A-Za-z_]\w*)'")
_UNDECLARED = re.compile(r"undeclared identifier '([A-Za-z_]\w*)'")
_DRIVEN = re.compile(r"(?:\b([A-Za-z_]\w*) Unable to assign to unresolved wires|Bit \d+ is already driven|"
                     r"([A-Za-z_]\w*) definition conflicts)")
_WIDTH = re.compile(r"port '([A-Za-z_]\w*)' is (\d+) bit\(s\) wide; the interface needs (\d+)")
_DECL = r"\b(input|output|inout|wire|reg|logic)\b([^;,()]*?)\b{name}\b"
_REDECLARED = re.compile(r"'([A-Za-z_]\w*)' has already been declared in this scope")


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def fixes(text: str, errors: Sequence[CompileError], hints: Sequence[str] = ()) -> list[Edit]:
    """Edits that may fix the compile errors (messages and the screen's hints)."""
    messages = [e.message for e in errors] + list(hints)
    out: list[Edit] = []
    seen: set[tuple[int, int, str]] = set()
    for edit in _all(text, messages):
        key = (edit.start, edit.end, edit.text)
        if key not in seen and text[edit.start:edit.end] != edit.text:
            seen.add(key)
            out.append(edit)
    return out


def _all(text: str, messages: list[str]) -> Iterator[Edit]:
    joined = "\n".join(messages)
    for m in list(_LVALUE.finditer(joined)) or list(_LVALUE_PLAIN.finditer(joined)):
        yield from _make_reg(text, m.group(1))
    for m in _CONTINUOUS.finditer(joined):
        yield from _make_net(text, m.group(1))
    for m in _TYPO.finditer(joined):
        yield from _rename(text, m.group(1), m.group(2))
    for m in list(_UNBOUND.finditer(joined)) + list(_UNDECLARED.finditer(joined)):
        name = m.group(1)
        match = _closest(text, name)
        if match:
            yield from _rename(text, name, match)
    for m in _DRIVEN.finditer(joined):
        name = m.group(1) or m.group(2)
        yield from _drop_driver(text, name)
    for m in _WIDTH.finditer(joined):
        yield from _resize(text, m.group(1), int(m.group(3)))
    for name in dict.fromkeys(m.group(1) for m in _REDECLARED.finditer(joined)):
        yield from _drop_redeclaration(text, name)
    if _JUMP.search(text):
        yield from _jumps(text)
    if "expected 'endmodule'" in joined or text.count("endmodule") < len(re.findall(r"\bmodule\b", text)):
        yield Edit(len(text), len(text), ("" if text.endswith("\n") else "\n") + "endmodule\n", "add endmodule",
                   line_at(text, len(text)), "the last module had no endmodule", 1.0)


def _declaration(text: str, name: str) -> re.Match[str] | None:
    return re.search(_DECL.format(name=re.escape(name)), text)


def _make_reg(text: str, name: str) -> Iterator[Edit]:
    m = _declaration(text, name)
    if m is None:
        return
    kind, middle = m.group(1), m.group(2)
    line = line_at(text, m.start())
    if kind == "wire":
        yield Edit(m.start(1), m.end(1), "reg", "declare reg", line=line, note=f"wire {name} -> reg {name}", score=1.0)
    elif kind == "output":
        wire = re.search(r"\bwire\b", middle)
        if wire:
            s = m.start(2) + wire.start()
            yield Edit(s, s + 4, "reg", "declare reg", line=line, note=f"output wire {name} -> output reg {name}",
                       score=1.0)
        elif not re.search(r"\b(reg|logic)\b", middle):
            yield Edit(m.end(1), m.end(1), " reg", "declare reg", line=line,
                       note=f"output {name} -> output reg {name}", score=1.0)


def _make_net(text: str, name: str) -> Iterator[Edit]:
    m = _declaration(text, name)
    if m is None:
        return
    line = line_at(text, m.start())
    if m.group(1) == "reg":
        yield Edit(m.start(1), m.end(1), "wire", "declare net", line=line, note=f"reg {name} -> wire {name}", score=1.0)
    reg = re.search(r"\breg\b", m.group(2))
    if m.group(1) == "output" and reg:
        s = m.start(2) + reg.start()
        yield Edit(s, s + 3, "wire", "declare net", line=line, note=f"output reg {name} -> output wire {name}",
                   score=1.0)


def _declared_names(text: str) -> set[str]:
    names = set(re.findall(r"\b(?:input|output|inout|wire|reg|logic|integer)\b(?:\s+(?:wire|reg|logic|signed))*"
                           r"\s*(?:\[[^\]]*\]\s*)?([A-Za-z_]\w*)", text))
    return names


def _closest(text: str, name: str) -> str | None:
    names = _declared_names(text) - {name}
    same_case = [n for n in names if n.lower() == name.lower()]
    if same_case:
        return same_case[0]
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.8)
    return close[0] if close else None


def _rename(text: str, old: str, new: str) -> Iterator[Edit]:
    """Every use of ``old`` becomes ``new`` (one edit over the span from the first to the last)."""
    uses = list(re.finditer(rf"(?<![\w$.`']){re.escape(old)}\b", text))
    if not uses:
        return
    start, end = uses[0].start(), uses[-1].end()
    replaced = re.sub(rf"(?<![\w$.`']){re.escape(old)}\b", new, text[start:end])
    yield Edit(start, end, replaced, "use the declared name", line=line_at(text, start),
               note=f"{old} -> {new} ({len(uses)} uses)", score=1.0)


def _drop_driver(text: str, name: str | None) -> Iterator[Edit]:
    """Remove one continuous assignment of ``name`` (each in turn is an edit)."""
    if not name:
        return
    for m in re.finditer(rf"^[ \t]*assign\s+{re.escape(name)}\b[^;]*;[ \t]*\n?", text, re.MULTILINE):
        yield Edit(m.start(), m.end(), "", "drop a second driver", line=line_at(text, m.start()),
                   note=f"removed: {' '.join(m.group(0).split())}", score=0.8)


def _resize(text: str, name: str, width: int) -> Iterator[Edit]:
    m = re.search(rf"\b(input|output|inout)\b(\s+(?:wire|reg|logic|signed)\b)*\s*(\[[^\]]*\])?\s*{re.escape(name)}\b",
                  text)
    if m is None:
        return
    new = vector_range(width)
    line = line_at(text, m.start())
    if m.group(3):
        yield Edit(m.start(3), m.end(3) + (1 if text[m.end(3):m.end(3) + 1] == " " else 0), new, "port width",
                   line=line, note=f"{name}: {m.group(3)} -> [{width - 1}:0]", score=1.0)
    else:
        at = m.start() + m.group(0).rfind(name)
        yield Edit(at, at, new, "port width", line=line, note=f"{name}: one bit -> [{width - 1}:0]", score=1.0)


def _drop_redeclaration(text: str, name: str) -> Iterator[Edit]:
    """A port of an ANSI header declared again in the body: the body's declaration goes (only
    ``name`` when it declares several), and a plain or ``wire`` output becomes ``reg`` when the
    body declared a variable. One edit from the port to the body's declaration."""
    header = re.search(r"\bmodule\s+[A-Za-z_]\w*\s*(?:#\s*\((?:[^()]|\([^()]*\))*\)\s*)?\(", text)
    if header is None:
        return
    close = text.find(");", header.end())
    if close < 0:
        return
    port = re.search(rf"\b(input|output|inout)\b((?:\s+(?:wire|reg|logic|signed|unsigned))*)\s*(\[[^\]]*\]\s*)?"
                     rf"\b{re.escape(name)}\b", text[header.end():close])
    if port is None:
        return
    body = re.compile(rf"^[ \t]*(reg|logic|wire|bit|integer)\b([^;]*?)\b{re.escape(name)}\b([^;]*);[ \t]*\n?",
                      re.MULTILINE)
    decl = body.search(text, close)
    if decl is None:
        return
    names = [n.strip() for n in (decl.group(2) + name + decl.group(3)).split(",")]
    if len(names) == 1:
        dropped = ""
    else:  # keep the others: only this name (and its initializer) and one comma go
        statement = decl.group(0)
        dropped = re.sub(rf",\s*\b{re.escape(name)}\b(\s*=\s*[^,;]+)?|\b{re.escape(name)}\b(\s*=\s*[^,;]+)?\s*,\s*",
                         "", statement, count=1)
        if dropped == statement:
            return
    ps, pe = header.end() + port.start(), header.end() + port.end()
    new_port = text[ps:pe]
    if decl.group(1) in ("reg", "logic", "bit", "integer"):  # the body said variable: so does the port
        for e in _make_reg(text, name):
            if ps <= e.start and e.end <= pe:
                new_port = text[ps:e.start] + e.text + text[e.end:pe]
    replaced = new_port + text[pe:decl.start()] + dropped
    yield Edit(ps, decl.end(), replaced, "drop a second declaration", line=line_at(text, decl.start()),
               note=f"{name} is a port: its declaration in the body removed"
                    + ("" if new_port == text[ps:pe] else f"; {text[ps:pe].strip()} -> {new_port.strip()}"),
               score=1.0)


_JUMP = re.compile(r"\b(?:break|continue)\s*;")
_LOOPS = ("ForLoopStatement", "LoopStatement", "DoWhileStatement", "ForeverStatement", "ForeachLoopStatement")


def _jumps(text: str) -> Iterator[Edit]:
    """Every ``break`` and ``continue`` of the design as a ``disable`` of a named block: one edit
    over the span of the loops concerned (a block named around a loop for its breaks, around the
    loop's body for its continues; a jump leaves its innermost loop, as in SystemVerilog)."""
    ps = _ps()
    K = ps.syntax.SyntaxKind
    loops = {getattr(K, name) for name in _LOOPS if hasattr(K, name)}
    tree = ps.syntax.SyntaxTree.fromText(text, "candidate.sv")
    found: dict[tuple[int, int], dict[str, list[tuple[int, int]]]] = {}
    bodies: dict[tuple[int, int], tuple[int, int]] = {}
    for node in walk_nodes(ps, tree.root):
        if node.kind != K.JumpStatement or node.label is not None:
            continue
        word = node.breakOrContinue.valueText
        loop = node.parent
        while loop is not None and loop.kind not in loops and loop.kind != K.FunctionDeclaration:
            loop = loop.parent
        if loop is None or loop.kind not in loops or word not in ("break", "continue"):
            return  # a jump outside a loop: nothing to say it with
        span = node_span(loop)
        found.setdefault(span, {"break": [], "continue": []})[word].append(node_span(node))
        bodies[span] = node_span(loop.statement)
    if not found:
        return
    events: list[tuple[int, tuple[int, int], str, int]] = []  # (offset, order, text, end of replaced)
    taken = set(re.findall(r"\banvil_(?:break|continue)_\d+\b", text))
    count = 0
    described = []
    for span in sorted(found):
        for word in ("break", "continue"):
            jumps = found[span][word]
            if not jumps:
                continue
            count += 1
            name = f"anvil_{word}_{count}"
            while name in taken:
                count += 1
                name = f"anvil_{word}_{count}"
            start, end = span if word == "break" else bodies[span]
            size = end - start
            events.append((start, (1, -size), f"begin : {name} ", start))
            events.append((end, (0, size), " end", end))
            events.extend((a, (2, 0), f"disable {name};", b) for a, b in jumps)
            described.append(f"{len(jumps)} {word} -> disable {name}")
    events.sort(key=lambda e: (e[0], e[1]))
    first, last = min(e[0] for e in events), max(max(e[0], e[3]) for e in events)
    out, at = [], first
    for offset, _, piece, skip in events:
        out.append(text[at:offset])
        out.append(piece)
        at = max(offset, skip)
    out.append(text[at:last])
    yield Edit(first, last, "".join(out), "break/continue as disable", line=line_at(text, first),
               note="; ".join(described) + " (Icarus 11 has no break or continue)", score=1.0)


__all__ = ["fixes"]
