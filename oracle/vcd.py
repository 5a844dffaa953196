"""Concrete failing samples from a VerilogEval-style ``wave.vcd``.

The testbench dumps its inputs, each output twice (``NAME_ref`` and ``NAME_dut``) and
``tb_mismatch``, and compares reference and candidate on both clock edges. Rules used here,
matching the testbench's own comparison:

- a sample is taken at each clock edge T with the values as of the previous timestamp (the
  testbench's ``always @(posedge clk, negedge clk)`` runs before T's nonblocking updates);
- the initial value of the clock (x -> 0 at time 0) is not an edge;
- vectors are written with leading digits stripped and are left-extended by the VCD rule
  (a leading 1 extends with 0, a leading 0/x/z with itself);
- an x in the reference is "don't care"; x or z from the candidate where the reference has
  0 or 1 is a mismatch.

Reading stops as soon as ``limit`` mismatches are found.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from time import monotonic as _now
from typing import BinaryIO, TextIO

from . import vcdfast
from .verdict import Agreement, Mismatch, OutputAgreement, TraceRow


@dataclass(frozen=True)
class VarDef:
    code: str
    name: str
    scope: tuple[str, ...]
    width: int


def extend(value: str, width: int) -> str:
    """Left-extend a VCD vector value to ``width`` bits (lowercase)."""
    value = value.lower()
    if len(value) >= width:
        return value[-width:]
    fill = "0" if value[0] == "1" else value[0]
    return fill * (width - len(value)) + value


def format_value(bits: str) -> str:
    """``1`` -> ``1``; ``1010`` -> ``4'ha``; x/z nibbles as in Verilog's %h (x, X, z, Z)."""
    width = len(bits)
    if width == 1:
        return bits
    digits = []
    for end in range(width, 0, -4):
        group = bits[max(0, end - 4):end]
        if set(group) <= {"0", "1"}:
            digits.append(format(int(group, 2), "x"))
        elif set(group) == {"x"}:
            digits.append("x")
        elif set(group) == {"z"}:
            digits.append("z")
        else:
            digits.append("X" if "x" in group else "Z")
    return f"{width}'h" + "".join(reversed(digits))


def differs(expected: str, actual: str) -> bool:
    """True when the candidate's value fails the testbench's ``===`` with x as don't-care."""
    for e, a in zip(expected, actual):
        if e in "01" and a != e:
            return True
    return False


def read_header(stream: Iterable[str]) -> list[VarDef]:
    """Variable definitions up to ``$enddefinitions``; leaves ``stream`` just after it."""
    scope: list[str] = []
    defs: list[VarDef] = []
    pending: list[str] = []
    for line in stream:
        pending.extend(line.split())
        while "$end" in pending:
            cut = pending.index("$end")
            words, pending = pending[:cut], pending[cut + 1:]
            if not words:
                continue
            keyword = words[0]
            if keyword == "$scope" and len(words) >= 3:
                scope.append(words[2])
            elif keyword == "$upscope":
                if scope:
                    scope.pop()
            elif keyword == "$var" and len(words) >= 5:
                defs.append(VarDef(code=words[3], name=words[4], scope=tuple(scope), width=int(words[2])))
            elif keyword == "$enddefinitions":
                return defs
    return defs


@dataclass(frozen=True)
class Layout:
    """Which dumped variables are the clock, the inputs and the compared output pairs."""

    clock: str | None
    inputs: tuple[tuple[str, str], ...]  # (name, code)
    pairs: tuple[tuple[str, str, str], ...]  # (signal, ref code, dut code)
    widths: dict[str, int]


def layout_of(defs: list[VarDef]) -> Layout | None:
    widths = {d.code: d.width for d in defs}
    by_scope: dict[tuple[str, ...], dict[str, VarDef]] = {}
    for d in defs:
        by_scope.setdefault(d.scope, {})[d.name] = d
    # the testbench scope is the one holding NAME_ref / NAME_dut pairs
    best = None
    for scope, names in by_scope.items():
        pairs = tuple(
            (n[:-4], names[n].code, names[n[:-4] + "_dut"].code)
            for n in names
            if n.endswith("_ref") and n[:-4] + "_dut" in names
        )
        if pairs and (best is None or len(pairs) > len(best[1])):
            best = (scope, pairs)
    if best is None:
        return None
    scope, pairs = best
    names = by_scope[scope]
    clock = names["clk"].code if "clk" in names else next((d.code for d in defs if d.name == "clk"), None)
    used = {c for _, r, d in pairs for c in (r, d)}
    inputs = tuple(
        (name, d.code)
        for name, d in names.items()
        if d.code not in used and d.code != clock and name != "tb_mismatch" and name != "tb_match"
    )
    return Layout(clock, inputs, pairs, widths)


def find_mismatches(path: Path, limit: int = 8) -> list[Mismatch]:
    """The first ``limit`` failing (sample, signal) entries in time order."""
    return scan(path, limit)[0]


#: a scalar change's first character -> its value
_SCALARS = {"0": "0", "1": "1", "x": "x", "z": "z", "X": "x", "Z": "z"}


class Cut(Exception):
    """Reading stopped at its time limit."""


def _read(stream: TextIO, layout: Layout, failures: _Failures | None, agree: _Agreement | None,
          until: float | None) -> None:
    """One pass over the waveform's values: each sample (a clock edge, with the values as of the
    previous timestamp) goes to ``failures`` until it has what it wants, and to ``agree``, which
    follows the compared outputs by their changes (:meth:`_Agreement.changed`) and only counts
    samples. ``until``: a ``time.monotonic()`` past which reading stops with :class:`Cut`.

    One function, no call per line or per sample once the failures are found: the waveform of
    every choice of a schema is read here, in the runner's one process. A timestamp is an edge
    when a change of the clock in it goes 0 -> 1 or 1 -> 0 from the clock's value before it (the
    last such change decides). Only the variables a reader follows are kept (and the clock)."""
    widths = layout.widths
    clock = layout.clock
    followed = agree.codes if agree is not None else frozenset()  # a change to these: the agreement again
    keep = frozenset(_kept(layout, failures, agree is not None))
    values: dict[str, str] = {}
    changes: list[tuple[str, str]] = []
    time = 0
    posedges = 0
    before = "x"  # the clock's value as of the previous timestamp
    edge: str | None = None
    looking = failures is not None and not failures.done
    samples, last, first = 0, 0, None  # the agreement's sample count, last sample and first wrong one

    ended = False
    while not ended:
        block = stream.readlines(1 << 16)  # in blocks: faster than line by line
        if not block:  # the end: the last timestamp's sample is taken as a next timestamp's would be
            ended, block = True, ["#0\n"]
        elif until is not None and _now() > until:
            raise Cut
        for line in block:
            head = line[0]
            if head == "#":
                if edge is not None:
                    if looking:
                        assert failures is not None
                        if agree is not None and not agree.bad:  # no output wrong now: nothing to find
                            failures.keep(time, posedges, edge, values)
                        else:
                            failures.see(time, posedges, edge, values)
                        if failures.done:
                            looking = False
                            if agree is None:
                                return
                    if agree is not None:  # the sample counted (inline: one per clock edge)
                        samples += 1
                        last = time
                        if first is None and agree.bad:
                            first = (time, posedges)
                    if edge == "posedge":
                        posedges += 1
                    edge = None
                if changes:
                    touched = False
                    for code, value in changes:
                        values[code] = value
                        if code in followed:
                            touched = True
                    changes.clear()
                    if clock is not None:
                        before = values.get(clock, "x")
                    if touched:
                        assert agree is not None
                        agree.changed(values, samples)
                time = int(line[1:])
                continue
            scalar = _SCALARS.get(head)
            if scalar is not None:
                code = line[1:].strip()
                if code not in keep:
                    continue
                value = scalar
            elif head in "bBrR":
                value, _, code = line[1:].strip().partition(" ")
                if code not in keep:
                    continue
                if head in "bB":
                    value = extend(value, widths[code])
            else:  # $dumpvars / $end / $comment lines carry no values themselves
                continue
            changes.append((code, value))
            if code == clock:
                if before == "0" and value == "1":
                    edge = "posedge"
                elif before == "1" and value == "0":
                    edge = "negedge"
    if agree is not None:
        agree.samples, agree.last_time, agree.first = samples, last, first


def _kept(layout: Layout, failures: _Failures | None, whole: bool) -> list[str]:
    """The variables a reading keeps, each once: what a trace row holds (while failures are
    looked for), the compared outputs (for the agreement), and the clock."""
    codes = [*(failures.order if failures is not None else ()),
             *(c for _, r, d in layout.pairs for c in (r, d) if whole)]
    kept = list(dict.fromkeys(c for c in codes if c in layout.widths))
    if layout.clock is not None and layout.clock not in kept:
        kept.append(layout.clock)
    return kept


def _value(values: dict[str, str], code: str, widths: dict[str, int]) -> str:
    return values.get(code, "x" * widths[code])


#: a sample kept for the trace, its values not yet formatted: time, cycle, edge, and the values of
#: the inputs, then each compared output's reference and design (None: not dumped yet)
_RawRow = tuple[int, int, str, tuple[str | None, ...]]


class _Failures:
    """The first ``limit`` failing entries and the ``window`` samples up to and including the first
    failing one, sample by sample. Values are formatted only for what is returned (formatting
    every sample's was most of the time spent reading a long run)."""

    def __init__(self, layout: Layout, limit: int, window: int) -> None:
        self.layout, self.limit, self.window = layout, limit, window
        self.found: list[Mismatch] = []
        self.recent: deque[_RawRow] = deque(maxlen=max(window, 1))
        self.trace: tuple[TraceRow, ...] = ()
        #: what a trace row holds, in order: the inputs, then each output's reference and design
        self.order = tuple(c for _, c in layout.inputs) + tuple(c for _, r, d in layout.pairs for c in (r, d))
        self.codes = frozenset(self.order)

    @property
    def done(self) -> bool:
        return len(self.found) >= self.limit

    def keep(self, at: int, cycle: int, edge: str, values: dict[str, str]) -> None:
        """A sample with no failing output: kept for the trace while there is none yet."""
        if self.window and not self.found:
            self.recent.append((at, cycle, edge, tuple(map(values.get, self.order))))

    def see(self, at: int, cycle: int, edge: str, values: dict[str, str]) -> None:
        widths, ins, pairs, found = self.layout.widths, self.layout.inputs, self.layout.pairs, self.found
        before = len(found)
        self.keep(at, cycle, edge, values)
        inputs: dict[str, str] | None = None
        for signal, ref_code, dut_code in pairs:
            expected, actual = _value(values, ref_code, widths), _value(values, dut_code, widths)
            if differs(expected, actual):
                if inputs is None:
                    inputs = {name: format_value(_value(values, code, widths)) for name, code in ins}
                found.append(Mismatch(time=at, cycle=cycle, edge=edge, signal=signal,
                                      expected=format_value(expected), actual=format_value(actual),
                                      inputs=dict(inputs)))
                if len(found) >= self.limit:
                    break
        if self.window and before == 0 and found:
            self.trace = tuple(self._row(raw) for raw in self.recent)

    def _row(self, raw: _RawRow) -> TraceRow:
        at, cycle, edge, kept = raw
        widths = self.layout.widths
        shown = [format_value(v if v is not None else "x" * widths[c]) for c, v in zip(self.order, kept)]
        given, compared = shown[:len(self.layout.inputs)], shown[len(self.layout.inputs):]
        return TraceRow(at, cycle, edge, {name: v for (name, _), v in zip(self.layout.inputs, given)},
                        {signal: (compared[2 * k], compared[2 * k + 1])
                         for k, (signal, _, _) in enumerate(self.layout.pairs)})


class _Agreement:
    """The agreement figures over every sample (see :func:`agreement`), kept by change: each
    compared output's wrong bits are worked out when its reference or design value changes, and
    held since the sample count of then; a sample only counts (the outputs of a long run change far
    less often than it samples)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        widths = layout.widths
        self.samples = 0
        self.first: tuple[int, int] | None = None  # time and cycle of the first wrong sample
        self.last_time = 0
        self.outputs = {signal: [0, 0, widths[r]] for signal, r, _ in layout.pairs}  # [samples, bits wrong, width]
        self.counted: dict[tuple[str, str], int] = {}  # (expected, actual) -> wrong bits: values repeat
        self.codes = frozenset(c for _, r, d in layout.pairs for c in (r, d))
        self.wrong = [0] * len(layout.pairs)  # each output's wrong bits now (none while both are unknown)
        self.since = [0] * len(layout.pairs)  # the sample count when it last changed
        self.bad = 0  # outputs wrong now

    def changed(self, values: dict[str, str], samples: int) -> None:
        """The values changed at a timestamp, after ``samples`` samples: each output's wrong bits
        again."""
        widths, counted = self.layout.widths, self.counted
        for k, (signal, ref_code, dut_code) in enumerate(self.layout.pairs):
            expected, actual = _value(values, ref_code, widths), _value(values, dut_code, widths)
            if expected == actual:
                wrong = 0  # nothing wrong, whatever is unknown
            else:
                cached = counted.get((expected, actual))
                if cached is None:
                    cached = counted[(expected, actual)] = _wrong_bits(expected, actual)
                    if len(counted) > 4096:
                        counted.clear()
                wrong = cached
            held = self.wrong[k]
            if wrong != held:
                self._close(k, signal, samples)
                self.wrong[k] = wrong
                self.bad += (wrong > 0) - (held > 0)

    def _close(self, k: int, signal: str, samples: int) -> None:
        """Count output ``k``'s samples since its last change with the wrong bits it held."""
        held, span = self.wrong[k], samples - self.since[k]
        if held and span:
            entry = self.outputs[signal]
            entry[0] += span
            entry[1] += span * held
        self.since[k] = samples

    def result(self) -> Agreement:
        for k, (signal, _, _) in enumerate(self.layout.pairs):
            self._close(k, signal, self.samples)
        return _agreement(self.samples, self.first, self.last_time,
                          {k: (v[0], v[1], v[2]) for k, v in self.outputs.items()})


def _agreement(samples: int, first: tuple[int, int] | None, last_time: int,
               outputs: dict[str, tuple[int, int, int]]) -> Agreement:
    first_time, first_cycle = first if first is not None else (None, None)
    return Agreement(samples, first_time, first_cycle, last_time,
                     {k: OutputAgreement(*v) for k, v in outputs.items()})


def read_run(path: Path, limit: int = 8, window: int = 0, until: float | None = None, *,
             whole: bool = False) -> tuple[list[Mismatch], tuple[TraceRow, ...], Agreement | None]:
    """:func:`scan`'s failing entries and trace and, with ``whole``, :func:`agreement`'s figures,
    from one reading of the waveform (the runner judges every choice of a schema this way)."""
    if not path.exists() or (limit <= 0 and not whole):
        return [], (), None
    if vcdfast.active():
        fast = _read_fast(path, limit, window, until, whole)
        if fast is not None:
            return fast
    with open(path, encoding="ascii", errors="replace") as stream:
        layout = layout_of(read_header(stream))
        if layout is None:
            return [], (), None
        failures = _Failures(layout, limit, window) if limit > 0 else None
        agree = _Agreement(layout) if whole else None
        try:
            _read(stream, layout, failures, agree, until)
        except Cut:
            agree = None
    found, trace = (failures.found[:limit], failures.trace) if failures is not None else ([], ())
    return found, trace, agree.result() if agree is not None else None


class _Unsure(Exception):
    """The C reader would not read this file exactly as this module does."""


#: the headers read last (their bytes, up to the end of the line ending the definitions) and
#: their layouts: every choice of a schema writes the same header
_headers: deque[tuple[bytes, Layout | None]] = deque(maxlen=8)


def _header_of(raw: BinaryIO) -> tuple[Layout | None, int] | None:
    """The layout of the waveform open in ``raw`` and the byte offset of its values, as
    :func:`read_header` reads them from a text stream; None when a line end there is a lone or
    CR-LF one (a text stream ends lines there too)."""
    if _headers:
        head = raw.read(max(len(h) for h, _ in _headers))
        for known, layout in _headers:
            if head.startswith(known):  # the parse of the same bytes ends at the same line
                return layout, len(known)
        raw.seek(0)

    def lines() -> Iterator[str]:
        for line in iter(raw.readline, b""):
            if b"\r" in line:
                raise _Unsure
            yield line.decode("ascii", errors="replace")
    try:
        layout = layout_of(read_header(lines()))
    except _Unsure:
        return None
    offset = raw.tell()
    if raw.read(1):  # the definitions ended before the end of the file: any file so begun ends them there
        raw.seek(0)
        _headers.appendleft((raw.read(offset), layout))
    return layout, offset


def _read_fast(path: Path, limit: int, window: int, until: float | None,
               whole: bool) -> tuple[list[Mismatch], tuple[TraceRow, ...], Agreement | None] | None:
    """:func:`read_run` with the values pass in C (:mod:`oracle.vcdfast`), the same results; None
    when it is unsure of the file (a line end or a line it does not read as :func:`_read` does)."""
    with open(path, "rb") as raw:
        known = _header_of(raw)
        if known is None:
            return None
        layout, offset = known
    if layout is None:
        return [], (), None
    widths = layout.widths
    if any(widths[r] != widths[d] for _, r, d in layout.pairs):
        return None
    failures = _Failures(layout, limit, window) if limit > 0 else None
    kept = _kept(layout, failures, whole)
    index = {c: i for i, c in enumerate(kept)}
    got = vcdfast.read_values(path, offset, kept, [widths[c] for c in kept],
                              index[layout.clock] if layout.clock is not None else -1,
                              [(index[r], index[d]) for _, r, d in layout.pairs],
                              [index[c] for c in failures.order] if failures else [], limit, window, whole, until)
    if got is None:
        return None
    if failures is not None:
        for bad, at, cycle, edge, values in got.rows:
            if failures.done:
                break
            seen = {c: v for c, v in zip(failures.order, values) if v is not None}
            (failures.see if bad else failures.keep)(at, cycle, edge, seen)
    agree = None
    if whole and got.status == vcdfast.OK:
        agree = _agreement(got.samples, got.first, got.last,
                           {signal: (wrong, bits, widths[r])
                            for (signal, r, _), (wrong, bits) in zip(layout.pairs, got.outputs)})
    found, trace = (failures.found[:limit], failures.trace) if failures is not None else ([], ())
    return found, trace, agree


def scan(path: Path, limit: int = 8, window: int = 0,
         until: float | None = None) -> tuple[list[Mismatch], tuple[TraceRow, ...]]:
    """The first ``limit`` failing entries, and the ``window`` samples up to and including the
    first failing one (what a waveform viewer would show around the first failure). Reading
    stops there, or at ``until`` (``time.monotonic()``) with what was found by then."""
    found, trace, _ = read_run(path, limit, window, until)
    return found, trace


def _wrong_bits(expected: str, actual: str) -> int:
    """Bits the reference knows (0 or 1) that the design gets otherwise (x and z count as wrong)."""
    return sum(1 for e, a in zip(expected, actual) if e in "01" and a != e)


def agreement(path: Path, until: float | None = None) -> Agreement | None:
    """How close the design came over the whole run, for ranking near misses: samples, the time
    and cycle of the first mismatch, and per output the mismatched samples and wrong bits (x/z
    from the design where the reference is known counts as wrong). None without a usable dump,
    or when reading it all would go past ``until`` (``time.monotonic()``)."""
    return read_run(path, 0, 0, until, whole=True)[2]
