"""State machines a spec states outright, written as designs without the model.

Two written forms of a Moore machine with one 1-bit input are read:

- a diagram as a list of edges, one a line: ``B (1) --0--> A`` (the state, its outputs in
  parentheses, the input value, the next state);
- a state table: a header naming the input's values (``state | next state in=0, next state
  in=1 | output``), then ``A | A, B | 0`` rows; states may be their own codes (``000 | 000, 001 | 0``).

From a machine two kinds of design are written, when the interface is exactly theirs:

- *clocked*: a clock, a reset, the input, the outputs. The register's reset is read from the
  spec's words (asynchronous or synchronous, the state it resets to; active low for a name
  ending in ``n``); what the words leave open is tried every way (each a design the oracle
  judges). States are numbered in order of appearance unless they are codes.
- *next-state and output logic alone*: the input and a state vector in; out, the next-state
  vector, single next-state bits (an output ``Y1`` for a state vector ``y``) and the machine's
  outputs. With a bit per state (one-hot), the "by inspection" equations: a next-state bit is
  the OR of the states (and input literals) leading to it, an output the OR of the states where
  it is 1; each state's bit as the spec assigns it (``A=4'b0001``, ``000010(B)``, ``state[3]``
  for ``S3``), else the order of appearance. Otherwise the same sums over the states' codes
  (``y == 3'b010``), the codes as the spec lists them.

Each design's derivation (the spec's lines, the transitions, what was assumed) is recorded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from oracle import Port

from .spectable import TableDesign, module_header

__all__ = ["Machine", "machine_designs", "read_machine"]

_EDGE = re.compile(r"^\s*([A-Za-z_]\w*)\s*\(\s*((?:[A-Za-z_]\w*\s*=\s*)?[01](?:\s*,\s*(?:[A-Za-z_]\w*\s*=\s*)?[01])*)"
                   r"\s*\)\s*-+\s*(?:([A-Za-z_]\w*)\s*=\s*)?([01])\s*-+>\s*([A-Za-z_]\w*)\s*$")
_LABEL = re.compile(r"(?:([A-Za-z_]\w*)\s*=\s*)?([01])")
_VALUE = re.compile(r"([A-Za-z_]\w*(?:\[\d+\])?)\s*=\s*([01])\b")
_RESET_TO = re.compile(r"\breset\w*\s+(?:the\s+(?:[\w-]+\s+){1,3})?(?:in)?to\s+(?:the\s+)?(?:state\s+)?([A-Za-z0-9_]+)",
                       re.IGNORECASE)
_ACTIVE_LOW = re.compile(r"\bactive[- ]low\b", re.IGNORECASE)
_ASYNC = re.compile(r"\basynchronous(?:ly)?\b", re.IGNORECASE)
_SYNC = re.compile(r"(?<![a-z])synchronous(?:ly)?\b", re.IGNORECASE)
ZERO = "1'b0"
_CODE_OF = (re.compile(r"\b([A-Za-z_]\w*)\s*=\s*\d*'b([01]+)"), re.compile(r"\b([01]+)\s*\(\s*([A-Za-z_]\w*)\s*\)"))


@dataclass(frozen=True)
class Machine:
    states: tuple[str, ...]  # in order of appearance
    next: dict[tuple[str, int], str]  # (state, input value) -> next state
    outputs: dict[str, tuple[int, ...]]  # Moore outputs of each state
    input: str | None  # the input the table names
    output_names: tuple[str, ...]  # the outputs the table or diagram names, if it does
    #: the input each state's edges test, where the diagram names it (``--j=1-->``)
    guards: dict[str, str]
    first_line: int
    last_line: int

    def where(self) -> str:
        return f"the state {'table' if self.input else 'diagram'} in spec lines {self.first_line}-{self.last_line}"

    def guard(self, state: str, default: str) -> str:
        return self.guards.get(state) or self.input or default

    @property
    def complete(self) -> bool:
        return all((s, v) in self.next for s in self.states for v in (0, 1)) and set(self.outputs) == set(self.states)


def _add(states: list[str], name: str) -> None:
    if name not in states:
        states.append(name)


def _edges(lines: list[str]) -> Machine | None:
    states: list[str] = []
    nxt: dict[tuple[str, int], str] = {}
    outs: dict[str, tuple[int, ...]] = {}
    guards: dict[str, str] = {}
    names: tuple[str, ...] = ()
    first = last = 0
    for number, line in enumerate(lines, 1):
        m = _EDGE.match(line)
        if m is None:
            continue
        labels = _LABEL.findall(m.group(2))
        src, values, guard, bit, dst = m.group(1), tuple(int(v) for _, v in labels), m.group(3), int(m.group(4)), \
            m.group(5)
        said = tuple(n for n, _ in labels)
        if outs.get(src, values) != values or nxt.get((src, bit), dst) != dst or guards.get(src, guard) != guard \
                or (names and any(said) and said != names):
            return None  # one state with two outputs or two inputs, or one edge to two states
        names = names or (said if all(said) else ())
        first, last = first or number, number
        _add(states, src)
        _add(states, dst)
        outs[src], nxt[(src, bit)] = values, dst
        if guard:
            guards[src] = guard
    return Machine(tuple(states), nxt, outs, None, names, guards, first, last) if states else None


def _table(lines: list[str]) -> Machine | None:
    for at, line in enumerate(lines):
        parts = line.split("|")
        if len(parts) != 3 or "next" not in parts[1].lower():
            continue
        values = _VALUE.findall(parts[1])
        if len(values) != 2 or {v for _, v in values} != {"0", "1"} or values[0][0] != values[1][0]:
            continue
        order = [int(v) for _, v in values]
        names = tuple(n for n in re.findall(r"[A-Za-z_]\w*", parts[2]) if n.lower() not in ("output", "outputs"))
        states: list[str] = []
        nxt: dict[tuple[str, int], str] = {}
        outs: dict[str, tuple[int, ...]] = {}
        end = at + 1
        while end < len(lines):
            row = [p.strip() for p in lines[end].split("|")]
            if len(row) != 3 or not re.fullmatch(r"\w+", row[0]):
                break
            targets, bits = re.split(r"[\s,]+", row[1]), re.split(r"[\s,]+", row[2])
            if len(targets) != 2 or not all(re.fullmatch(r"\w+", t) for t in targets) \
                    or not all(b in ("0", "1") for b in bits):
                return None
            _add(states, row[0])
            for value, target in zip(order, targets):
                nxt[(row[0], value)] = target
            outs[row[0]] = tuple(int(b) for b in bits)
            end += 1
        for target in nxt.values():
            _add(states, target)
        if outs:
            return Machine(tuple(states), nxt, outs, values[0][0], names, {}, at + 1, end)
    return None


def read_machine(spec: str) -> Machine | None:
    """The Moore machine ``spec`` states (a state table first, else an edge list), if complete."""
    lines = spec.splitlines()
    for machine in (_table(lines), _edges(lines)):
        if machine is not None and machine.complete and len({len(o) for o in machine.outputs.values()}) == 1:
            return machine
    return None


# -- designs ---------------------------------------------------------------------------------


def _is_reset(name: str) -> bool:
    return "reset" in name.lower() or "rst" in name.lower()


def _active_low(name: str) -> bool:
    low = name.lower()
    return low.endswith(("_n", "resetn", "rstn", "_b"))


def _clocked(machine: Machine, spec: str, ports: Sequence[Port], top: str) -> list[TableDesign]:
    inputs = [p for p in ports if p.direction == "input"]
    outputs = [p for p in ports if p.direction == "output"]
    clocks = [p for p in inputs if p.name.lower() in ("clk", "clock")]
    resets = [p for p in inputs if _is_reset(p.name)]
    data = [p.name for p in inputs if p not in clocks and p not in resets]
    width = len(next(iter(machine.outputs.values())))
    tested = {machine.guard(s, data[0] if len(data) == 1 else "") for s in machine.states}
    if len(clocks) != 1 or len(resets) != 1 or not data or not tested <= set(data) \
            or any(p.width != 1 for p in inputs) or len(outputs) != width \
            or any(p.width != 1 for p in outputs) or any(p.direction == "inout" for p in ports):
        return []
    names = machine.output_names if set(machine.output_names) == {p.name for p in outputs} \
        else tuple(p.name for p in outputs)
    clk, reset = clocks[0].name, resets[0].name
    said_async, said_sync = bool(_ASYNC.search(spec)), bool(_SYNC.search(spec))
    kinds = [True] if said_async and not said_sync else [False] if said_sync and not said_async else [True, False]
    to = [m.group(1) for m in _RESET_TO.finditer(spec) if m.group(1) in machine.states]
    reset_states = to[:1] or list(machine.states[:1])
    coded = all(re.fullmatch(r"[01]+", s) for s in machine.states) and len({len(s) for s in machine.states}) == 1
    bits = len(machine.states[0]) if coded else max(1, math.ceil(math.log2(len(machine.states))))
    code = {s: (f"{bits}'b{s}" if coded else f"S_{s}") for s in machine.states}
    low = _active_low(reset) or bool(_ACTIVE_LOW.search(spec))
    designs = []
    for asynchronous in kinds:
        for start in reset_states:
            lines = [] if coded else [f"    localparam [{bits - 1}:0] " + ", ".join(
                f"S_{s} = {bits}'d{i}" for i, s in enumerate(machine.states)) + ";\n"]
            lines.append(f"    reg [{bits - 1}:0] state, next_state;\n")
            lines.append("    always @(*) begin\n        case (state)\n")
            for s in machine.states:
                x = machine.guard(s, data[0])
                lines.append(f"            {code[s]}: next_state = {x} ? {code[machine.next[(s, 1)]]} : "
                             f"{code[machine.next[(s, 0)]]};\n")
            lines.append(f"            default: next_state = {code[start]};\n        endcase\n    end\n")
            edge = f" or {'negedge' if low else 'posedge'} {reset}" if asynchronous else ""
            lines.append(f"    always @(posedge {clk}{edge}) begin\n")
            lines.append(f"        if ({'!' if low else ''}{reset}) state <= {code[start]};\n")
            lines.append("        else state <= next_state;\n    end\n")
            for k, name in enumerate(names):
                on = [code[s] for s in machine.states if machine.outputs[s][k]]
                lines.append(f"    assign {name} = " + (" || ".join(f"state == {c}" for c in on) or ZERO) + ";\n")
            said = (f"a Moore machine of {len(machine.states)} states from {machine.where()}; "
                    f"{'asynchronous' if asynchronous else 'synchronous'} active-{'low' if low else 'high'} "
                    f"reset to {start}" + ("" if len(kinds) == 1 else " (the spec does not say which reset: "
                                                                        "each is tried)"))
            designs.append(TableDesign(module_header(top, ports) + f"    // written from {machine.where()}\n"
                                       + "".join(lines) + "endmodule\n", (said,)))
    return designs


def _listed(machine: Machine, spec: str, fits: Callable[[str], bool]) -> dict[str, str] | None:
    """Each state's code as the spec lists them (``A=4'b0001`` or ``0001(A)``), every state a
    distinct code that ``fits``; the first way of listing that gives them all."""
    for pattern in _CODE_OF:
        found: dict[str, str] = {}
        for m in pattern.finditer(spec):
            name, code = (m.group(1), m.group(2)) if pattern is _CODE_OF[0] else (m.group(2), m.group(1))
            if name in machine.states and fits(code):
                found[name] = code
        if set(found) == set(machine.states) and len(set(found.values())) == len(found):
            return found
    return None


def _bit_of(machine: Machine, spec: str) -> dict[str, int]:
    """Each state's bit in a one-hot vector: as the spec assigns it, else by order of appearance."""
    listed = _listed(machine, spec, lambda code: code.count("1") == 1)
    if listed is not None:
        return {s: len(code) - 1 - code.index("1") for s, code in listed.items()}
    numbered = {s: int(s.lstrip("Ss")) for s in machine.states if re.fullmatch(r"[Ss]\d+", s)}
    if len(numbered) == len(machine.states) and set(numbered.values()) == set(range(len(numbered))):
        return numbered
    return {s: i for i, s in enumerate(machine.states)}


def _codes(machine: Machine, spec: str, width: int) -> dict[str, int] | None:
    """Each state's binary code: as the spec lists them (``000 (A)``, ``A=3'b000``, or states
    that are codes), else for "codes 000, 001, ... for A, B, ..." the names in order."""
    if all(re.fullmatch(r"[01]+", s) for s in machine.states):
        return {s: int(s, 2) for s in machine.states}
    listed = _listed(machine, spec, lambda code: len(code) == width)
    if listed is not None:
        return {s: int(code, 2) for s, code in listed.items()}
    if re.search(r"\b0+\s*,\s*0*1\s*,\s*(?:\.\.\.|…)", spec):  # "000, 001, ..., 101 for A, B, ..., F"
        return {s: i for i, s in enumerate(sorted(machine.states))}
    return None


def _logic(machine: Machine, spec: str, ports: Sequence[Port], top: str) -> list[TableDesign]:
    """The next-state and output logic alone: the state vector and the input in; out, the
    next-state vector, next-state bits (an output ``Y1`` for a state vector ``y``), and the
    machine's outputs. One-hot (a bit per state) by inspection, else over the states' codes."""
    n = len(machine.states)
    inputs = [p for p in ports if p.direction == "input"]
    vectors = [p for p in inputs if p.width > 1]
    singles = [p for p in inputs if p.width == 1]
    if n < 2 or len(vectors) != 1 or len(singles) != 1 or len(inputs) != 2 \
            or {machine.guard(s, singles[0].name) for s in machine.states} != {singles[0].name}:
        return []
    y, x, width = vectors[0].name, singles[0].name, vectors[0].width
    one_hot = width == n
    code = {s: 1 << b for s, b in _bit_of(machine, spec).items()} if one_hot else _codes(machine, spec, width)
    if code is None or max(code.values()) >= 1 << width:
        return []
    moore = len(next(iter(machine.outputs.values())))
    outputs = [p for p in ports if p.direction == "output"]
    vector_out = [p for p in outputs if p.width == width]
    bit_out = {p.name: int(p.name[len(y):]) for p in outputs if p.width == 1
               and re.fullmatch(re.escape(y) + r"\d+", p.name, re.IGNORECASE) and int(p.name[len(y):]) < width}
    rest = [p.name for p in outputs if p.width == 1 and p.name not in bit_out]
    if len(vector_out) > 1 or len(vector_out) + len(bit_out) + len(rest) != len(outputs) \
            or not (vector_out or bit_out) or len(rest) not in (0, moore):
        return []
    names = machine.output_names if set(machine.output_names) == set(rest) else tuple(rest)

    def at(s: str) -> str:  # the state's term: its bit (one-hot) or a comparison with its code
        return f"{y}[{code[s].bit_length() - 1}]" if one_hot else f"({y} == {width}'b{code[s]:0{width}b})"

    def next_bit(k: int) -> str:
        terms = []
        for s in machine.states:
            into = [v for v in (0, 1) if code[machine.next[(s, v)]] >> k & 1]
            if into == [0, 1]:
                terms.append(at(s))
            elif into:
                terms.append(f"({at(s)} & {'' if into[0] else '~'}{x})")
        return " | ".join(terms) or ZERO

    lines = []
    if vector_out:
        lines += [f"    assign {vector_out[0].name}[{k}] = {next_bit(k)};\n" for k in range(width)]
    lines += [f"    assign {name} = {next_bit(k)};\n" for name, k in bit_out.items()]
    for k, name in enumerate(names):
        on = [at(s) for s in machine.states if machine.outputs[s][k]]
        lines.append(f"    assign {name} = {' | '.join(on) or ZERO};\n")
    how = "one-hot, by inspection" if one_hot else "over the state codes"
    said = (f"the next-state and output logic of {n} states from {machine.where()}, {how}; "
            + ", ".join(f"{s}={y}[{code[s].bit_length() - 1}]" if one_hot else f"{s}={code[s]:0{width}b}"
                        for s in machine.states)
            + "".join(f"; {name} is the next {y}[{k}]" for name, k in bit_out.items()))
    return [TableDesign(module_header(top, ports) + f"    // written from {machine.where()} ({how})\n"
                        + "".join(lines) + "endmodule\n", (said,))]


def machine_designs(spec: str, ports: Sequence[Port], top: str) -> list[TableDesign]:
    """Designs of the machine ``spec`` states, for an interface that is the machine's alone."""
    machine = read_machine(spec)
    if machine is None or any(p.width == 0 for p in ports):
        return []
    return _clocked(machine, spec, ports, top) or _logic(machine, spec, ports, top)
