"""A problem for the engine: the spec text, the bench that judges it, the module and its ports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from oracle import DEFAULT_TOP, Bench, Oracle, Port

from .designs import Design
from .reference import reference_bench
from .specports import module_from_spec, ports_from_spec

__all__ = ["CLOCK_NAMES", "Problem", "SpecError", "check_spec", "has_clock", "merge_ports", "ports_from_spec",
           "read_spec"]


@dataclass(frozen=True)
class Problem:
    name: str
    spec: str
    bench: Bench
    top: str = DEFAULT_TOP
    #: the interface the design must have: from the reference model, else from the bench and the spec
    interface: tuple[Port, ...] = ()
    #: the interface is the reference model's (every name, direction and width is required);
    #: otherwise only the names the bench connects are (the rest guides the model)
    exact: bool = True
    #: where the spec and the bench disagree, in plain words
    notes: tuple[str, ...] = ()
    #: reference mode: the existing design that judges (the bench is generated from it)
    reference: Path | None = None

    @property
    def judge(self) -> str:
        """What judges the design, in words."""
        return f"the reference {self.reference}" if self.reference else "the testbench"

    @classmethod
    def from_design(cls, design: Design, *, oracle: Oracle | None = None, spec_text: str | None = None,
                    bench: Bench | None = None) -> Problem:
        """The problem of a complete design. The module is ``design.top``, else the one the
        testbench instantiates; its ports are the reference model's when ``oracle`` finds one,
        else the testbench's view of them completed from the spec's port list. ``spec_text`` (an
        editor's unsaved text) and ``bench`` (a snapshot of unsaved testbench edits) replace the
        files. Raises :class:`oracle.BenchError` when the bench cannot say which module to build."""
        spec_file = design.spec_file
        spec = read_spec(spec_file) if spec_text is None else check_spec(spec_text, spec_file)
        if design.by_reference and bench is None:
            assert design.reference is not None  # by_reference says so
            return cls.by_reference(design.name, spec, design.reference, top=design.top)
        testbench = design.testbench_file
        bench = bench or Bench.for_testbench(testbench, design.extra, top=design.top, data=design.data,
                                             rule=design.rule)
        spec_ports = ports_from_spec(spec)
        if oracle is None:
            return cls(design.name, spec, bench, design.top or DEFAULT_TOP, spec_ports, exact=False)
        facts = oracle.describe(bench)
        if facts.exact:
            return cls(design.name, spec, bench, facts.top, facts.ports)
        ports, notes = merge_ports(facts.ports, spec_ports)
        named = module_from_spec(spec)
        if named and named != facts.top:
            notes = (f"the spec names the module '{named}', the testbench instantiates '{facts.top}': "
                     f"building '{facts.top}'", *notes)
        return cls(design.name, spec, bench, facts.top, ports, exact=False, notes=notes)

    @classmethod
    def by_reference(cls, name: str, spec: str, reference: Path, *, top: str | None = None) -> Problem:
        """The problem of rebuilding ``reference``'s module to ``spec``, judged against it
        (reference mode). Raises :class:`~engine.reference.ReferenceError`."""
        judge = reference_bench(reference, top=top)
        named = module_from_spec(spec)
        notes = [f"the spec names the module '{named}', the reference is '{judge.top}': building '{judge.top}'"] \
            if named and named != judge.top else []
        said = {p.name: p for p in ports_from_spec(spec)}
        theirs = {p.name: p for p in judge.ports}
        if said and set(said) != set(theirs):
            notes.append(f"the spec's ports ({', '.join(said)}) are not the reference's ({', '.join(theirs)}): "
                         "building the reference's, which judge the design")
        notes += [f"port '{n}': the spec says {said[n].width} bit(s), the reference has {theirs[n].width}"
                  for n in said.keys() & theirs.keys() if said[n].width != theirs[n].width]
        return cls(name, spec, judge.bench, judge.top, judge.ports, exact=True, notes=tuple(notes), reference=reference)


def merge_ports(bench: Sequence[Port], spec: Sequence[Port]) -> tuple[tuple[Port, ...], tuple[str, ...]]:
    """The bench's view of the ports (what it connects), with widths it does not know taken from
    the spec; notes where the two disagree. Without named connections, the spec's ports."""
    if not bench:
        return tuple(spec), ()
    by_spec = {p.name: p for p in spec}
    lower = {p.name.lower(): p for p in spec}
    notes = []
    out = []
    for port in bench:
        said = by_spec.get(port.name) or lower.get(port.name.lower())
        width = port.width
        direction = port.direction or (said.direction if said is not None else "") or "input"
        if said is not None:
            if port.direction and said.direction != port.direction:
                notes.append(f"port '{port.name}': the spec says {said.direction}, the testbench uses it as an "
                             f"{port.direction}")
            if said.width and port.width and said.width != port.width:
                notes.append(f"port '{port.name}': the spec says {said.width} bit(s), the testbench connects "
                             f"{port.width}")
            width = port.width or said.width
        out.append(Port(port.name, direction, width))
    connected = {p.name.lower() for p in bench}
    unconnected = [p.name for p in spec if p.name.lower() not in connected]
    if unconnected:
        notes.append(f"the spec lists port(s) {', '.join(unconnected)} that the testbench does not connect")
    if spec:
        unlisted = [p.name for p in bench if p.name.lower() not in lower]
        if unlisted:
            notes.append(f"the testbench connects port(s) {', '.join(unlisted)} that the spec does not list")
    return tuple(out), tuple(notes)


CLOCK_NAMES = ("clk", "clock")


def has_clock(ports: Sequence[Port]) -> bool:
    """Whether an input looks like a clock (``clk``, ``clock``, ``clk_a``, ``sys_clk``...)."""
    return any(p.direction == "input" and p.width <= 1 and any(n in p.name.lower() for n in CLOCK_NAMES)
               for p in ports)  # width 0: the bench did not say


class SpecError(Exception):
    pass


def read_spec(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec {path}: {exc}") from None
    return check_spec(text, path)


def check_spec(text: str, path: Path) -> str:
    """The spec's text if it can be one: not empty, not huge, no NUL (a binary file)."""
    if "\0" in text:
        raise SpecError(f"the spec {path} is not text (it has NUL bytes)")
    if not text.strip():
        raise SpecError(f"the spec {path} is empty: describe the module to build")
    if len(text) > 200_000:
        raise SpecError(f"the spec {path} is {len(text)} characters long; keep it under 200,000")
    return text
