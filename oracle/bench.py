"""What a candidate is judged against: a testbench, extra sources, data files and the top module."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .benchscan import (
    BenchPort,
    CocotbFacts,
    DataFile,
    cocotb_facts,
    data_files,
    expected_top,
    instance_ports,
    parameter_values,
    rewrite_literals,
)
from .errors import BenchError
from .results import Rule, printed_strings, recognisable
from .syntax import Port, SourceText, identifiers, module_interface, module_names, module_text
from .toolchain import Toolchain
from .verdict import CompileError
from .wire import BenchMessage

DEFAULT_TOP = "TopModule"
DEFAULT_REFERENCE = "RefModule"
#: files with these suffixes are Verilog sources; anything else given with a bench is data
SOURCE_SUFFIXES = frozenset((".v", ".sv", ".vh", ".svh", ".vlog", ".verilog", ".vg", ".vp"))
#: data the simulation may read, in all
MAX_DATA_BYTES = 64 << 20


def is_source(path: Path) -> bool:
    return path.suffix.lower() in SOURCE_SUFFIXES


@dataclass(frozen=True)
class Bench:
    """A testbench, the sources compiled with it, the data it reads and the module to implement.

    ``top`` None: the module the testbench instantiates and no bench file defines.
    ``reference`` names the golden model among the extra sources (VerilogEval: ``RefModule``).
    When it is present the oracle runs it as the design under test once, to learn how many
    samples an honest run produces and to notice a testbench that cannot pass at all.
    ``data``: files and folders the simulation reads (the files of its folder named in the bench
    are found without it). ``rule``: pass and failure patterns that replace the built-in ones.
    A testbench ending in ``.py`` is a cocotb test module.
    """

    testbench: Path
    extra: tuple[Path, ...] = ()
    top: str | None = None
    reference: str | None = DEFAULT_REFERENCE
    data: tuple[Path, ...] = ()
    rule: Rule = Rule()
    #: the folder the bench's data files are found in (default: the testbench's; an editor's
    #: snapshot of unsaved text keeps the real folder here)
    folder: Path | None = None
    #: the reference is a golden model (False: a peer design compared with another, whose outputs
    #: may be x anywhere; the bench is then not asked to compare known outputs)
    golden: bool = True

    @property
    def home(self) -> Path:
        return self.folder or self.testbench.parent

    @property
    def cocotb(self) -> bool:
        return self.testbench.suffix == ".py"

    @classmethod
    def for_testbench(cls, testbench: Path | str, extra: Sequence[Path | str] = (), *, top: str | None = None,
                      reference: str | None = DEFAULT_REFERENCE, data: Sequence[Path | str] = (),
                      rule: Rule = Rule(), folder: Path | None = None) -> Bench:
        """A bench for ``testbench``; ``NAME_ref.sv`` beside ``NAME_test.sv`` is added (VerilogEval).
        Extra files that are not Verilog sources (``reference.dat``) are data, never compiled."""
        tb = Path(testbench)
        files = [Path(p) for p in extra if is_source(Path(p))]
        moved = [Path(p) for p in extra if not is_source(Path(p))]
        sibling = companion_reference(tb, reference or DEFAULT_REFERENCE)
        if sibling is not None and not any(_same(sibling, p) for p in files):
            files.append(sibling)
        return cls(testbench=tb, extra=tuple(files), top=top, reference=reference,
                   data=tuple(Path(p) for p in data) + tuple(moved), rule=rule, folder=folder)


def companion_reference(testbench: Path, reference: str = DEFAULT_REFERENCE) -> Path | None:
    """``X_ref.sv`` beside ``X_test.sv`` (or ``X_tb.sv``), if it exists and declares the
    ``reference`` module (an ``X_ref.sv`` that is an old design under the design's own name is
    no part of the bench)."""
    for suffix in ("_test", "_tb"):
        if testbench.stem.endswith(suffix):
            candidate = testbench.with_name(testbench.stem[: -len(suffix)] + "_ref" + testbench.suffix)
            if candidate.is_file() and declares(candidate, reference):
                return candidate
    return None


def declares(path: Path, module: str) -> bool:
    """Whether the file at ``path`` declares ``module`` (by its text; False if unreadable)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(_MODULE_DECL.format(name=re.escape(module)), text) is not None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise BenchError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise BenchError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:
        raise BenchError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


_MODULE_DECL = r"\bmodule\s+{name}\b"


def rename_module(text: str, old: str, new: str) -> str:
    """``module old`` -> ``module new`` (declarations only)."""
    return re.sub(_MODULE_DECL.format(name=re.escape(old)), f"module {new}", text)


@dataclass(frozen=True)
class PreparedBench:
    """A bench read from disk: texts, derived facts and a content key."""

    bench: Bench
    key: str
    tb_top: str | None
    reference_text: str | None  # the golden model renamed to the top module, if known
    reference_interface: tuple[Port, ...] | None = field(default=None)
    #: the testbench and extra sources through Icarus's preprocessor, as the compiler reads them
    unit: str = ""
    #: names in ``unit``'s ```line`` markers -> names to report
    names: dict[str, str] = field(default_factory=dict)
    #: compile errors of the bench's own preprocessing (a broken bench), if any
    unit_errors: tuple[CompileError, ...] = ()
    #: every identifier of the bench's files (design code may not capture them)
    identifiers: frozenset[str] = frozenset()
    #: the module the design must define (``bench.top``, else what the bench instantiates)
    top: str | None = None
    #: the top's ports as the bench connects them (names, directions, widths when known)
    ports: tuple[BenchPort, ...] = ()
    #: parameters the bench sets on the top by name
    params: tuple[str, ...] = ()
    #: their values, as Verilog literals (for elaborating the design alone as the bench would)
    param_values: dict[str, str] = field(default_factory=dict)
    #: files the simulation reads, and where it finds them
    data: tuple[DataFile, ...] = ()
    #: why the bench cannot judge any design ("" when it can)
    problem: str = ""
    cocotb: CocotbFacts | None = None
    _message: dict[str, BenchMessage] = field(default_factory=dict, compare=False, repr=False)

    @property
    def reference_ports(self) -> dict[str, str] | None:
        """Port name -> direction of the reference model, if there is one."""
        if self.reference_interface is None:
            return None
        return {p.name: p.direction for p in self.reference_interface}

    @property
    def port_directions(self) -> dict[str, str]:
        """Port name -> direction, from the reference when there is one, else from the bench."""
        return self.reference_ports or {p.name: p.direction for p in self.ports if p.direction and p.name}

    @property
    def interface(self) -> tuple[Port, ...]:
        """The ports a design must have: the reference's, else the bench's view (direction "" and
        width 0: unknown)."""
        if self.reference_interface is not None:
            return self.reference_interface
        return tuple(Port(p.name, p.direction, p.width) for p in self.ports if p.name)

    @property
    def message(self) -> BenchMessage:
        """What the runner needs of this bench (made once: the data files are read here)."""
        made = self._message.get("made")
        if made is None:
            bench = self.bench
            made = self._message["made"] = BenchMessage(
                self.key, self.unit, self.tb_top, self.names, tuple(sorted(self.identifiers)), self.reference_ports,
                bench.reference, self.port_directions, bench.rule, tuple((f.place, f.source.read_bytes())
                                                                         for f in self.data),
                self.cocotb.tests if self.cocotb is not None else None,
                bench.testbench.stem if bench.cocotb else None)
        return made


def bench_key(bench: Bench) -> tuple[str, str, tuple[str, ...]]:
    """Content key of a bench (changes whenever a file changes) and the texts read."""
    tb_text = read_text(bench.testbench, "testbench")
    extra_texts = tuple(read_text(p, "source file") for p in bench.extra)
    digest = hashlib.sha256()
    for part in (str(bench.testbench), *map(str, bench.extra), bench.top or "", bench.reference or "",
                 repr(bench.rule), str(bench.golden), tb_text, *extra_texts):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(str(bench.home).encode() + b"\0")
    for path in sorted(bench.data):
        digest.update(str(path).encode() + b"\0")
        for item in sorted(path.rglob("*")) if path.is_dir() else [path]:
            try:
                st = item.stat()
                digest.update(f"{item}:{st.st_size}:{st.st_mtime_ns}\0".encode())
            except OSError:
                digest.update(f"{item}:missing\0".encode())
    return digest.hexdigest(), tb_text, extra_texts


def prepare(bench: Bench, key: str, tb_text: str, extra_texts: tuple[str, ...], tools: Toolchain) -> PreparedBench:
    """Derive the facts the oracle needs: the top module, the reference, the bench preprocessed
    (once per content, here on the host: the bench is the user's own, trusted), the data files."""
    if bench.cocotb:
        return _prepare_cocotb(bench, key, tb_text)
    sources = [(bench.testbench, tb_text), *zip(bench.extra, extra_texts)]
    texts = [SourceText(str(p), t) for p, t in sources]
    declared, instantiated = module_names(tb_text, str(bench.testbench))
    roots = [m for m in declared if m not in instantiated]
    tb_top = roots[0] if len(roots) == 1 else ("tb" if "tb" in roots else None)
    problems: list[str] = []
    top = bench.top
    if top is None:
        top, why = expected_top(texts)
        if top is None:
            problems.append(why)
    reference_text = None
    reference_interface = None
    if bench.reference and top:
        for path, text in zip(bench.extra, extra_texts):
            if re.search(_MODULE_DECL.format(name=re.escape(bench.reference)), text):
                reference_text = rename_module(_reference_alone(text, bench.reference), bench.reference, top)
                reference_interface = module_interface([SourceText(str(path), text)], bench.reference)
                break
    from .backend import simulator

    unit, names, errors = simulator(tools.simulator).preprocess_bench(tools, sources)
    ports, params = instance_ports(texts, top) if top else ((), ())
    values = parameter_values(texts, top, ports, params) if top else {}
    scan = data_files(unit, bench.home, bench.data)
    unit = rewrite_literals(unit, scan.rewrites)
    data, too_big = _sized(scan.files)
    if too_big:
        problems.append(too_big)
    for literal, line in scan.missing[:1]:
        problems.append(f"the testbench reads {literal!r} (line {line} of its preprocessed text), which is not in "
                        f"its folder {bench.home}; put it there or give it with --data PATH")
    if reference_text is None and not errors and not recognisable(unit, bench.rule):
        problems.append(_unrecognised(unit, bench.rule))
    return PreparedBench(bench, key, tb_top, reference_text, reference_interface, unit, names, errors,
                         identifiers(texts), top, ports, params, values, data, "; ".join(problems))


def _reference_alone(text: str, reference: str) -> str:
    """The reference's own module when its file declares others too: those are compiled with
    the bench already, and a second copy of them would be declared twice."""
    declared, _ = module_names(text)
    if len(declared) < 2:
        return text
    return module_text(text, reference) or text


def prepare_top(bench: Bench) -> str | None:
    """The module the bench expects (``bench.top`` if given), from its text alone; None if it
    cannot tell. Cheap: no preprocessing, no simulation."""
    if bench.top:
        return bench.top
    text = read_text(bench.testbench, "testbench")
    if bench.cocotb:
        return _cocotb_top(bench, cocotb_facts(text, bench.testbench.name))
    texts = [SourceText(str(bench.testbench), text), *(SourceText(str(p), read_text(p, "source file"))
                                                         for p in bench.extra)]
    return expected_top(texts)[0]


def _cocotb_top(bench: Bench, facts: CocotbFacts) -> str | None:
    """``--top``, else the top-level the test module names, else X of ``test_X.py``."""
    stem = bench.testbench.stem
    return bench.top or facts.toplevel or (stem[5:] if stem.startswith("test_") and len(stem) > 5 else None)


def _prepare_cocotb(bench: Bench, key: str, text: str) -> PreparedBench:
    facts = cocotb_facts(text, bench.testbench.name)
    problems = [facts.problem] if facts.problem else []
    top = _cocotb_top(bench, facts)
    if top is None:
        problems.append(f"cannot tell which module the cocotb test {bench.testbench.name} drives; give it with --top")
    if not facts.problem and not facts.tests:
        problems.append(f"the cocotb test module {bench.testbench.name} has no tests (no function decorated with "
                        "@cocotb.test())")
    folder = bench.home
    modules = [DataFile(p, p.name) for p in sorted(folder.glob("*.py"))
               if p.is_file() and p.name != bench.testbench.name]
    modules.append(DataFile(bench.testbench, bench.testbench.name))
    scan = data_files(text, folder, bench.data)
    data, too_big = _sized((*modules, *(f for f in scan.files if f.place not in {m.place for m in modules})))
    if too_big:
        problems.append(too_big)
    return PreparedBench(bench, key, top, None, None, "", {}, (), frozenset(), top, facts.ports, (), {}, data,
                         "; ".join(problems), facts)


def _sized(files: Sequence[DataFile]) -> tuple[tuple[DataFile, ...], str]:
    total = 0
    for f in files:
        try:
            total += f.source.stat().st_size
        except OSError as exc:
            return (), f"cannot read the data file {f.source}: {exc.strerror or exc}"
    if total > MAX_DATA_BYTES:
        return (), (f"the testbench's data files come to {total >> 20} MB; at most {MAX_DATA_BYTES >> 20} MB go "
                    "into a simulation")
    return tuple(files), ""


def _unrecognised(unit: str, rule: Rule) -> str:
    shown = [s for s in printed_strings(unit) if s.strip()][:3]
    sample = "; it prints e.g. " + ", ".join(repr(s[:60]) for s in shown) if shown else "; it prints nothing"
    return ("the testbench prints no line that Anvil can read as a pass or a failure" + sample +
            ". Make it print e.g. 'TEST PASSED' when every check passes and 'ERROR: ...' for each failure, "
            "or 'Mismatches: N in M samples'; or set pass and fail patterns for it in anvil.toml "
            "(README, Testbenches)")
