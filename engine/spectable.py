"""Functions a spec states as a table, written as designs without the model.

Specs often give a combinational function outright: a Karnaugh map, a truth table, or the
waveform of a combinational circuit (a column per signal, a row per time step). When the
design has no clock, the tables name only the interface's bits, every input bit is in each
table and every output bit in some table, the function is read into minterms (a don't-care
where a map says ``d``, ``x`` or ``-``, or where a table leaves an input combination out),
minimised (Quine-McCluskey), and written as one ``assign`` per output bit. Such a design costs
no model call; the oracle judges it like any other candidate, and what was read (the spec's
lines, the minterms, how the don't-cares were taken) is its recorded derivation.

A map may also be the function a multiplexer builds (a spec asking for the logic in front of a
mux): its labels then name the mux's select lines besides the design's inputs, and the design's
one output vector has a bit per select value. Output bit ``i`` is the map's function where the
select lines, read as a number in the order the label gives them, equal ``i`` (``ab`` = 01 drives
bit 1). This reading needs the spec to speak of a mux, single-letter select names that are no
port's, all of them on one axis of the map, and an output exactly as wide as they can count.

A table whose inputs repeat with different outputs (sequential behaviour), a clock, a name that
is not the interface's (other than a mux's select lines), or a map whose labels split into names
in two ways yields nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from oracle import Port

from .difftb import vector_range

__all__ = ["Table", "TableDesign", "minimise", "module_header", "read_tables", "table_designs"]

#: input bits a table may have (2**8 rows); wider functions are not written as tables
MAX_INPUTS = 8
#: don't-care assignments tried one by one when there are at most this many don't-cares
ENUMERATE_DONT_CARES = 4
DONT_CARE = frozenset("dDxX-")

_MAP_ROW = re.compile(r"^\s*([01]+)\s*\|(.*)$")
_MAP_CODES = re.compile(r"^\s*(?P<label>\S.*?)\s+(?P<codes>[01]+(?:\s+[01]+)+)\s*$")
_TIME = re.compile(r"^\d+(?:\.\d+)?\s*(?:[munpf]?s)?$")
_TIME_HEADS = frozenset({"time", "t"})
_MUX_WORDS = re.compile(r"\b(?:mux(?:es)?|multiplexers?)\b|\d-to-1", re.IGNORECASE)


@dataclass(frozen=True)
class Table:
    """One function read from the spec: each row maps input bits to output values (None: don't care)."""

    kind: str  # "Karnaugh map" | "truth table" | "waveform"
    first_line: int  # 1-based spec lines
    last_line: int
    rows: tuple[tuple[dict[str, int], dict[str, int | None]], ...]
    #: how the table was read, when not plainly (a mux's inputs)
    reading: str = ""

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(self.rows[0][1]) if self.rows else ()

    def where(self) -> str:
        return f"the {self.kind} in spec lines {self.first_line}-{self.last_line}" + (
            f" ({self.reading})" if self.reading else "")


@dataclass(frozen=True)
class TableDesign:
    code: str
    #: how it was derived, one line each (the candidate's recorded edits)
    derivation: tuple[str, ...]


def _port_bits(name: str, width: int) -> list[str]:
    """A port's bit names, most significant first: ``a``, or ``x[3]`` ... ``x[0]``."""
    return [name] if width <= 1 else [f"{name}[{i}]" for i in range(width - 1, -1, -1)]


def _bits(ports: Sequence[Port], direction: str) -> list[str]:
    """The bit names of the ports going ``direction``, in order."""
    return [bit for p in ports if p.direction == direction for bit in _port_bits(p.name, p.width)]


def _split(label: str, names: Sequence[str]) -> tuple[str, ...] | None:
    """``ab`` -> (a, b), ``x[0]x[1]`` -> (x[0], x[1]): the one way ``label`` reads as names, if one."""
    text = re.sub(r"[\s,]", "", label)
    ways: list[tuple[str, ...]] = []

    def go(at: int, got: tuple[str, ...]) -> None:
        if len(ways) > 1:
            return
        if at == len(text):
            ways.append(got)
            return
        for name in names:
            if text.startswith(name, at):
                go(at + len(name), (*got, name))

    go(0, ())
    return ways[0] if len(ways) == 1 else None


def _value(cell: str) -> int | None:
    return None if cell in DONT_CARE else int(cell)


@dataclass(frozen=True)
class _Mux:
    """The design's one output vector, read as the data inputs of a mux (see the docstring)."""

    vector: str
    width: int
    letters: frozenset[str]  # the letters of every port name: no select line is one of them


def _maps(lines: list[str], inputs: list[str], outputs: list[str], mux: _Mux | None = None) -> list[Table]:
    """Karnaugh maps: a line of column variables, a line of row variables and column codes, then
    one ``code | v | v | ...`` line per row."""
    found: list[Table] = []
    i = 0
    while i < len(lines):
        if not _MAP_ROW.match(lines[i]) or i < 2:
            i += 1
            continue
        start = i
        rows = []
        while i < len(lines) and (m := _MAP_ROW.match(lines[i])):
            cells = [c for c in re.split(r"[\s|]+", m.group(2)) if c]
            if not cells or any(len(c) != 1 or c not in "01" and c not in DONT_CARE for c in cells):
                break
            rows.append((m.group(1), cells))
            i += 1
        table = _map(lines, start, i, rows, inputs, outputs, mux) if rows else None
        if table is not None:
            found.append(table)
        i = max(i, start + 1)
    return found


def _map(lines: list[str], start: int, end: int, rows: list[tuple[str, list[str]]], inputs: list[str],
         outputs: list[str], mux: _Mux | None) -> Table | None:
    head = _MAP_CODES.match(lines[start - 1])
    above = lines[start - 2].strip()
    if head is None or not above:
        return None
    label = head.group("label")
    selects = sorted({c for c in label + above if c.isalpha() and c not in mux.letters}) if mux else []
    codes = head.group("codes").split()
    row_vars, col_vars = _split(label, inputs + selects), _split(above, inputs + selects)
    if row_vars is None or col_vars is None or set(row_vars) & set(col_vars):
        return None
    if any(len(c) != len(col_vars) for c in codes) or any(len(code) != len(row_vars) for code, _ in rows) \
            or any(len(cells) != len(codes) for _, cells in rows) or len(set(codes)) != len(codes):
        return None
    used = [v for v in (*row_vars, *col_vars) if v in selects]
    if used and (mux is None or 1 << len(used) != mux.width or not (set(used) <= set(row_vars)
                                                                     or set(used) <= set(col_vars))):
        return None
    if not used and len(outputs) != 1:
        return None
    read = []
    for code, cells in rows:
        for col, cell in zip(codes, cells):
            bits = {**dict(zip(row_vars, map(int, code))), **dict(zip(col_vars, map(int, col)))}
            index = sum(bits.pop(v) << (len(used) - 1 - i) for i, v in enumerate(used))
            read.append((bits, {f"{mux.vector}[{index}]" if mux and used else outputs[0]: _value(cell)}))
    reading = f"{mux.vector}[i] is the map where {''.join(used)} = i, the mux's data inputs" if mux and used else ""
    return Table("Karnaugh map", start - 1, end, tuple(read), reading)  # from the column variables' line


def _columns(lines: list[str], inputs: list[str], outputs: list[str], ports: Sequence[Port]) -> list[Table]:
    """Truth tables and combinational waveforms: a header of signal names (a time column first,
    if any), then rows of 0/1 values (a vector's column: its bits, most significant first)."""
    widths = {p.name: p.width for p in ports}
    known = set(inputs) | set(outputs)

    def bits_of(name: str) -> list[str] | None:
        if name in widths:
            return _port_bits(name, widths[name])
        return [name] if name in known else None  # a bit of a vector: x[2]

    found: list[Table] = []
    i = 0
    while i < len(lines):
        names = [t for t in re.split(r"[\s|]+", lines[i].strip()) if t]
        timed = bool(names) and names[0].lower() in _TIME_HEADS
        signals = [(n, bits_of(n)) for n in (names[1:] if timed else names)]
        columns = [(n, bits) for n, bits in signals if bits is not None]
        kinds = {bits[0] in outputs for _, bits in columns}
        if not columns or len(columns) != len(signals) or kinds != {True, False} \
                or len({n for n, _ in columns}) != len(columns):
            i += 1
            continue
        start, read = i, []
        i += 1
        if i < len(lines) and lines[i].strip() and re.fullmatch(r"[\s|:=+-]+", lines[i]):
            i += 1  # a rule under the header
        while i < len(lines):
            cells = [t for t in re.split(r"[\s|]+", lines[i].strip()) if t]
            if timed and cells and _TIME.match(cells[0]):
                cells = cells[1:]
            row = _row(columns, cells, set(outputs))
            if row is None:
                break
            read.append(row)
            i += 1
        if read:
            found.append(Table("waveform" if timed else "truth table", start + 1, i, tuple(read)))
    return found


def _row(columns: list[tuple[str, list[str]]], cells: list[str],
         outputs: set[str]) -> tuple[dict[str, int], dict[str, int | None]] | None:
    if len(cells) != len(columns):
        return None
    ins: dict[str, int] = {}
    outs: dict[str, int | None] = {}
    for (_, bits), cell in zip(columns, cells):
        cell = cell.removeprefix("0b").removeprefix("'b")
        if len(cell) != len(bits) or any(c not in "01" and c not in DONT_CARE for c in cell):
            return None
        for bit, c in zip(bits, cell):
            if bit in outputs:
                outs[bit] = _value(c)
            elif c in DONT_CARE:
                return None  # an input left open is not one row
            else:
                ins[bit] = int(c)
    return ins, outs


def read_tables(spec: str, ports: Sequence[Port]) -> list[Table]:
    """The combinational tables of ``spec`` over the interface ``ports``, in the order written."""
    lines = spec.splitlines()
    inputs, outputs = _bits(ports, "input"), _bits(ports, "output")
    found = _maps(lines, inputs, outputs, _mux(spec, ports)) + _columns(lines, inputs, outputs, ports)
    return sorted(found, key=lambda t: t.first_line)


def _mux(spec: str, ports: Sequence[Port]) -> _Mux | None:
    """The output vector a map may fill as a mux's data inputs: the spec speaks of a mux and the
    design has one output, a vector of 2, 4 or 8 bits."""
    outs = [p for p in ports if p.direction == "output"]
    if len(outs) != 1 or outs[0].width not in (2, 4, 8) or not _MUX_WORDS.search(spec):
        return None
    return _Mux(outs[0].name, outs[0].width, frozenset("".join(p.name for p in ports)))


# -- minimising ------------------------------------------------------------------------------

Implicant = tuple[int, int]  # (value, mask): mask bits are free; value is 0 where free


def _primes(terms: set[int]) -> list[Implicant]:
    current = {(m, 0) for m in terms}
    primes: set[Implicant] = set()
    while current:
        merged: set[Implicant] = set()
        used: set[Implicant] = set()
        for a, b in itertools.combinations(sorted(current), 2):
            diff = a[0] ^ b[0]
            if a[1] == b[1] and diff & (diff - 1) == 0:
                merged.add((a[0] & ~diff, a[1] | diff))
                used.update((a, b))
        primes |= current - used
        current = merged
    return sorted(primes)


def _covers(p: Implicant, m: int) -> bool:
    return m & ~p[1] == p[0]


def minimise(ones: set[int], dont_care: set[int]) -> list[Implicant]:
    """A small sum of products covering ``ones`` (essential primes, then greedily the prime
    covering most of the rest, fewer literals first)."""
    if not ones:
        return []
    primes = _primes(ones | dont_care)
    chosen: list[Implicant] = []
    for m in sorted(ones):
        covering = [p for p in primes if _covers(p, m)]
        if len(covering) == 1 and covering[0] not in chosen:
            chosen.append(covering[0])
    left = {m for m in ones if not any(_covers(p, m) for p in chosen)}
    while left:
        best = max(primes, key=lambda p: (sum(_covers(p, m) for m in left), bin(p[1]).count("1"), -p[0]))
        chosen.append(best)
        left = {m for m in left if not _covers(best, m)}
    for p in reversed(list(chosen)):  # a greedy pick the later ones made redundant goes
        rest = [q for q in chosen if q != p]
        if all(any(_covers(q, m) for q in rest) for m in ones if _covers(p, m)):
            chosen = rest
    return sorted(chosen, key=lambda p: (-bin(p[1]).count("1"), p[0]))


def _expression(cover: list[Implicant], inputs: Sequence[str]) -> str:
    n = len(inputs)
    if not cover:
        return "1'b0"
    terms = []
    for value, mask in cover:
        literals = [(name if value >> (n - 1 - i) & 1 else f"~{name}") for i, name in enumerate(inputs)
                    if not mask >> (n - 1 - i) & 1]
        if not literals:
            return "1'b1"
        terms.append(literals[0] if len(literals) == 1 else "(" + " & ".join(literals) + ")")
    return " | ".join(terms)


def _parity(ones: set[int], n: int) -> tuple[int, bool] | None:
    """(the inputs, as a mask, whose XOR the function is; whether it is inverted), if it is one
    of two inputs or more: a sum of products writes such a function with 2**(k-1) terms."""
    for subset in range(3, 1 << n):
        if subset & (subset - 1) == 0:
            continue
        odd = {m for m in range(1 << n) if bin(m & subset).count("1") % 2}
        if ones == odd or ones == set(range(1 << n)) - odd:
            return subset, ones != odd
    return None


def _written(cover: list[Implicant], inputs: Sequence[str]) -> str:
    """The cover as an expression: an XOR where the function is a parity, else the sum of products."""
    n = len(inputs)
    ones = {m for m in range(1 << n) if any(_covers(p, m) for p in cover)}
    parity = _parity(ones, n) if len(cover) > 1 else None
    if parity is None:
        return _expression(cover, inputs)
    subset, inverted = parity
    xor = " ^ ".join(name for i, name in enumerate(inputs) if subset >> (n - 1 - i) & 1)
    return f"~({xor})" if inverted else xor


# -- designs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Function:
    output: str
    ones: frozenset[int]
    dont_care: frozenset[int]
    table: Table


def _functions(tables: Sequence[Table], inputs: list[str], outputs: list[str]) -> list[_Function] | None:
    """Each output bit's minterms over ``inputs``, from the tables that give every input bit
    (another describes something else: a part, an example); None when they do not define every
    output bit or give one input combination two values."""
    n = len(inputs)
    values: dict[str, dict[int, int | None]] = {}
    source: dict[str, Table] = {}
    for table in tables:
        if any(set(ins) != set(inputs) for ins, _ in table.rows):
            continue
        for ins, outs in table.rows:
            m = sum(ins[name] << (n - 1 - i) for i, name in enumerate(inputs))
            for bit, v in outs.items():
                seen = values.setdefault(bit, {})
                if m in seen and seen[m] is not None and v is not None and seen[m] != v:
                    return None  # the same inputs, another output: not combinational
                if v is not None or m not in seen:
                    seen[m] = v
                source.setdefault(bit, table)
    if set(values) != set(outputs):
        return None
    functions = []
    for name in outputs:
        ones = {m for m, v in values[name].items() if v == 1}
        zeros = {m for m, v in values[name].items() if v == 0}
        functions.append(_Function(name, frozenset(ones), frozenset(set(range(1 << n)) - ones - zeros), source[name]))
    return functions


def module_header(top: str, ports: Sequence[Port]) -> str:
    """``module top (`` with one port a line, ``);``."""
    decls = ",\n".join(f"    {p.direction} {vector_range(p.width)}{p.name}" for p in ports)
    return f"module {top} (\n{decls}\n);\n"


def table_designs(spec: str, ports: Sequence[Port], top: str, *, clocked: bool = False,
                  limit: int = 1 + 2 ** ENUMERATE_DONT_CARES) -> list[TableDesign]:
    """Designs computing the spec's tables, the minimiser's choice of don't-cares first, then each
    don't-care 0, each 1, and (when there are few) every other choice; none for a clocked design."""
    inputs, outputs = _bits(ports, "input"), _bits(ports, "output")
    if clocked or not inputs or not outputs or len(inputs) > MAX_INPUTS or any(p.width == 0 for p in ports):
        return []
    tables = read_tables(spec, ports)
    functions = _functions(tables, inputs, outputs) if tables else None
    if functions is None:
        return []
    free = [(f.output, m) for f in functions for m in sorted(f.dont_care)]
    choices: list[dict[tuple[str, int], int] | None] = [None, dict.fromkeys(free, 0), dict.fromkeys(free, 1)]
    if 0 < len(free) <= ENUMERATE_DONT_CARES:
        choices += [dict(zip(free, bits)) for bits in itertools.product((0, 1), repeat=len(free))]
    designs: list[TableDesign] = []
    seen: set[str] = set()
    for choice in choices if free else [None]:
        body, said = [], []
        for f in functions:
            if choice is None:
                cover = minimise(set(f.ones), set(f.dont_care))
                taken = "as the minimiser found convenient" if f.dont_care else ""
            else:
                extra = {m for m in f.dont_care if choice[(f.output, m)]}
                cover = minimise(set(f.ones) | extra, set())
                taken = f"1 at {_list(extra)}, else 0" if extra else "0"
            body.append(f"    assign {f.output} = {_written(cover, inputs)};\n")
            said.append(f"{f.output} from {f.table.where()}: 1 at minterms {_list(f.ones)} of "
                        f"{{{', '.join(inputs)}}}" + (f"; don't-cares {_list(f.dont_care)} taken {taken}"
                                                       if f.dont_care else ""))
        sources = sorted({f.table.where() for f in functions})
        code = (module_header(top, ports) + f"    // written from {' and '.join(sources)} (minimised sum of products)\n"
                + "".join(body) + "endmodule\n")
        if code not in seen:
            seen.add(code)
            designs.append(TableDesign(code, tuple(said)))
        if len(designs) >= limit:
            break
    return designs


def _list(minterms: frozenset[int] | set[int]) -> str:
    return "{" + ", ".join(map(str, sorted(minterms))) + "}" if minterms else "{}"
