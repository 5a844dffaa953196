"""What a testbench says about the design it expects (trusted text: the user's own bench).

- :func:`expected_top`: the module the bench instantiates and no bench file defines;
- :func:`instance_ports`: that module's ports as the bench connects them (names from named
  connections, widths from the bench's signals, directions from what the bench drives);
- :func:`stub`: a module with those ports and no body, to compile the bench without a design
  (whatever then fails is the bench's own problem);
- :func:`data_files`: the files the bench names in string literals (``$readmemh("x.txt")``,
  ``$fopen("in.dat", "r")``, a file name held in a variable), found in its folder;
- :func:`cocotb_facts`: the same for a cocotb test module (Python), read with :mod:`ast`.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .syntax import SourceText, module_names, names_in, parse, pyslang

#: gate and switch primitives are instantiated like modules but are built in
PRIMITIVES = frozenset("""and or nand nor xor xnor not buf bufif0 bufif1 notif0 notif1 pullup pulldown
    nmos pmos rnmos rpmos cmos rcmos tran tranif0 tranif1 rtran rtranif0 rtranif1""".split())


@dataclass(frozen=True)
class BenchPort:
    """A port as the bench connects it: direction "input"/"output" (as seen from the design),
    or "" when the bench does not say; width 0 when unknown."""

    name: str
    direction: str
    width: int


def expected_top(sources: Sequence[SourceText]) -> tuple[str | None, str]:
    """(the module the bench expects the design to define, or None; why not, when None)."""
    declared: set[str] = set()
    instantiated: set[str] = set()
    for source in sources:
        d, i = module_names(source.text, source.name)
        declared |= set(d)
        instantiated |= i
    wanted = sorted(instantiated - declared - PRIMITIVES)
    if len(wanted) == 1:
        return wanted[0], ""
    if not wanted:
        return None, ("the testbench instantiates no module that its files do not define, so it cannot tell "
                      "which module the design is; give it with --top")
    return None, (f"the testbench instantiates {len(wanted)} modules that its files do not define "
                  f"({', '.join(wanted)}); say which one is the design with --top (the others go in --with files)")


def _driven(tree: Any, ps: Any) -> set[str]:
    """Names the bench assigns: procedural and continuous assignments, initialised declarations."""
    K = ps.syntax.SyntaxKind
    assigning = {K.AssignmentExpression, K.NonblockingAssignmentExpression, K.AddAssignmentExpression,
                 K.SubtractAssignmentExpression, K.OrAssignmentExpression, K.AndAssignmentExpression,
                 K.XorAssignmentExpression, K.MultiplyAssignmentExpression}
    out: set[str] = set()

    def visit(node: Any) -> Any:
        if isinstance(node, ps.parsing.Token):
            return ps.ast.VisitAction.Skip
        if node.kind in assigning:
            out.update(names_in(node.left, skip_selects=True))
        elif node.kind == K.Declarator and node.initializer is not None:
            out.add(node.name.valueText)
        return ps.ast.VisitAction.Advance

    tree.root.visit(visit)
    return out


def instance_ports(sources: Sequence[SourceText], top: str) -> tuple[tuple[BenchPort, ...], tuple[str, ...]]:
    """(the ports the bench connects on its first instance of ``top``, the parameter names it
    sets). Ports connected by position have no name ("")."""
    ps = pyslang()
    _, trees = parse(sources)
    compilation = ps.ast.Compilation()
    for tree in trees:
        compilation.addSyntaxTree(tree)
    compilation.getAllDiagnostics()
    driven: set[str] = set()
    for tree in trees:
        driven |= _driven(tree, ps)
    found: list[Any] = []

    def visit(symbol: Any) -> Any:
        if symbol.kind == ps.ast.SymbolKind.UninstantiatedDef and symbol.definitionName == top and not found:
            found.append(symbol)
        return ps.ast.VisitAction.Advance

    compilation.getRoot().visit(visit)
    if not found:
        return (), ()
    inst = found[0]
    E = ps.ast.ExpressionKind
    ports = []
    for name, connection in zip(inst.portNames, inst.portConnections):
        expr = getattr(connection, "expr", None)
        if expr is None or expr.kind == E.EmptyArgument:
            if not name:
                ports.append(BenchPort("", "", 0))
            continue
        width = 0
        direction = ""
        if expr.kind == E.NamedValue:
            width = expr.type.bitWidth if expr.type is not None else 0
            direction = "input" if expr.symbol.name in driven else "output"
        elif expr.kind in (E.IntegerLiteral, E.UnbasedUnsizedIntegerLiteral, E.RealLiteral, E.StringLiteral):
            direction = "input"
        elif expr.syntax is not None:
            bases = names_in(expr.syntax, skip_selects=True)
            direction = "input" if bases & driven else ("output" if bases else "")
            if expr.kind in (E.RangeSelect, E.ElementSelect) and expr.type is not None:
                width = expr.type.bitWidth
        ports.append(BenchPort(name, direction, width))
    return tuple(ports), _parameter_names(inst, ps)


def _parameter_names(inst: Any, ps: Any) -> tuple[str, ...]:
    """Names of the parameters the instance sets by name (``#(.W(8))``)."""
    try:
        params = inst.syntax.parent.parameters
    except AttributeError:
        return ()
    if params is None:
        return ()
    return tuple(p.name.valueText for p in params.parameters if p.kind == ps.syntax.SyntaxKind.NamedParamAssignment)


def parameter_values(sources: Sequence[SourceText], top: str, ports: Sequence[BenchPort],
                     params: Sequence[str]) -> dict[str, str]:
    """The values the bench gives the top's parameters (``#(.W(N))``), as Verilog literals:
    the bench compiled with a stand-in of the top, which has those parameters."""
    if not params:
        return {}
    ps = pyslang()
    _, trees = parse([*sources, SourceText("stand_in.sv", stub(top, ports, params))])
    compilation = ps.ast.Compilation()
    for tree in trees:
        compilation.addSyntaxTree(tree)
    compilation.getAllDiagnostics()
    values: dict[str, str] = {}

    def visit(symbol: Any) -> Any:
        if symbol.kind == ps.ast.SymbolKind.Instance and symbol.definition.name == top and not values:
            for param in symbol.body.parameters:
                text = str(param.value)
                if param.name in params and text and text != "<unset>":
                    values[param.name] = text
        return ps.ast.VisitAction.Advance

    compilation.getRoot().visit(visit)
    return values


def stub(top: str, ports: Sequence[BenchPort], params: Sequence[str] = ()) -> str:
    """A bodiless module with the bench's view of ``top``'s ports and parameters."""
    header = f"#({', '.join(f'parameter {p} = 0' for p in params)}) " if params else ""
    decls = []
    for i, p in enumerate(ports):
        width = f" [{p.width - 1}:0]" if p.width > 1 else ""
        decls.append(f"{'output' if p.direction == 'output' else 'input'} wire{width} {p.name or f'port{i}'}")
    return f"module {top} {header}({', '.join(decls)});\nendmodule\n"


# -- data files -------------------------------------------------------------------------------------

_STRING = re.compile(r'"((?:[^"\\\n]|\\.){1,400})"')
_OPEN = re.compile(r'\$(fopen|readmem[hb]|fread|fscanf)\s*\(\s*"((?:[^"\\\n]|\\.){1,400})"\s*(?:,\s*"([a-z+]{1,4})")?')
_FILEISH = re.compile(r"^[\w./ -]{1,400}$")


@dataclass(frozen=True)
class DataFile:
    """A file the simulation needs: where it is, and where the simulation finds it (relative to
    its working directory)."""

    source: Path
    place: str


@dataclass(frozen=True)
class DataScan:
    files: tuple[DataFile, ...]
    #: literals to rewrite in the bench's compiled text (an absolute path -> where it is placed)
    rewrites: tuple[tuple[str, str], ...]
    #: files the bench reads that are nowhere to be found: (literal, line)
    missing: tuple[tuple[str, int], ...]


def data_files(unit: str, folder: Path, extra: Sequence[Path] = ()) -> DataScan:
    """The data files of a bench whose preprocessed text is ``unit`` and whose folder is
    ``folder``; ``extra``: files and folders given with --data, placed by their path relative
    to ``folder`` when inside it, else by their name."""
    folder = folder.absolute()
    placed: dict[str, DataFile] = {}
    rewrites: dict[str, str] = {}

    def place_of(path: Path) -> str:
        return _within(path, folder) or path.name

    for item in extra:
        item = item.absolute()
        if item.is_dir():
            for sub in sorted(item.rglob("*")):
                if sub.is_file():
                    rel = sub.relative_to(item).as_posix()
                    base = place_of(item)
                    placed.setdefault(f"{base}/{rel}" if base != "." else rel, DataFile(sub, f"{base}/{rel}"))
        elif item.is_file():
            placed.setdefault(place_of(item), DataFile(item, place_of(item)))
    by_name = {p.source.name: p for p in placed.values()}

    written: set[str] = set()
    read: list[tuple[str, int]] = []
    for m in _OPEN.finditer(unit):
        task, literal, mode = m.group(1), m.group(2), m.group(3)
        if task == "fopen" and (mode is None or mode[0] in "wa"):
            written.add(literal)
        elif task != "fopen" or mode[0] == "r":
            read.append((literal, unit.count("\n", 0, m.start()) + 1))
    for m in _STRING.finditer(unit):
        literal = m.group(1)
        if not _FILEISH.match(literal) or literal in rewrites:
            continue
        path = Path(literal) if os.path.isabs(literal) else folder / literal
        try:
            is_file = path.is_file()
        except OSError:
            is_file = False
        if is_file:
            place = place_of(path)
            if not os.path.isabs(literal) and place != os.path.normpath(literal).replace(os.sep, "/"):
                rewrites[literal] = place  # "../x.dat": placed by its name
            elif os.path.isabs(literal):
                rewrites[literal] = place
            placed.setdefault(place, DataFile(path, place))
        elif os.path.isabs(literal) and Path(literal).name in by_name:
            rewrites[literal] = by_name[Path(literal).name].place
    missing = tuple((lit, line) for lit, line in read
                    if lit not in written and lit not in rewrites and not _placed(lit, placed))
    return DataScan(tuple(placed.values()), tuple(rewrites.items()), missing)


def _within(path: Path, folder: Path) -> str | None:
    """``path`` relative to ``folder`` (both made absolute and normalised), or None if outside."""
    full = os.path.normpath(os.path.abspath(path))
    rel = os.path.relpath(full, os.path.normpath(os.path.abspath(folder)))
    return None if rel == ".." or rel.startswith("../") else Path(rel).as_posix()


def _placed(literal: str, placed: dict[str, DataFile]) -> bool:
    return os.path.normpath(literal).replace(os.sep, "/") in placed


def rewrite_literals(unit: str, rewrites: Sequence[tuple[str, str]]) -> str:
    """``unit`` with each quoted literal of ``rewrites`` replaced by its placement."""
    for old, new in rewrites:
        unit = unit.replace(f'"{old}"', f'"{new}"')
    return unit


# -- cocotb test modules ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CocotbFacts:
    tests: tuple[str, ...]
    #: the top module the file names (``toplevel="x"``, ``hdl_toplevel="x"``), if any
    toplevel: str | None
    ports: tuple[BenchPort, ...]
    problem: str = ""


_TOPLEVEL = re.compile(r"""\b(?:hdl_)?top_?level\s*[=:]\s*["']([A-Za-z_]\w*)["']""", re.IGNORECASE)


def cocotb_facts(text: str, name: str = "test.py") -> CocotbFacts:
    """Tests, top-level name and the ports used through ``dut`` in a cocotb test module."""
    try:
        tree = ast.parse(text, filename=name)
    except SyntaxError as exc:
        return CocotbFacts((), None, (), f"the cocotb test module {name} is not valid Python: line {exc.lineno}: "
                                         f"{exc.msg}")
    tests = []
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and any(_is_cocotb_test(d) for d in node.decorator_list):
            tests.append(node.name)
    driven: set[str] = set()
    seen: dict[str, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "dut":
            if not node.attr.startswith("_"):
                at = (node.lineno, node.col_offset)
                seen[node.attr] = min(seen.get(node.attr, at), at)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                port = _dut_port(target)
                if port:
                    driven.add(port)
        if isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in ("Clock", "setimmediatevalue", "set", "start_clock") and node.args:
                target = func.value if fname == "setimmediatevalue" and isinstance(func, ast.Attribute) \
                    else node.args[0]
                port = _dut_name(target)
                if port:
                    driven.add(port)
    skip = {"value", "_name", "_path", "_log", "log"}
    used = sorted(seen, key=seen.__getitem__)
    ports = tuple(BenchPort(p, "input" if p in driven else "output", 0) for p in used if p not in skip)
    m = _TOPLEVEL.search(text)
    return CocotbFacts(tuple(tests), m.group(1) if m else None, ports)


def _is_cocotb_test(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Attribute) and target.attr in ("test", "parametrize")) or \
        (isinstance(target, ast.Name) and target.id == "test")


def _dut_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "dut":
        return node.attr
    return None


def _dut_port(target: ast.expr) -> str | None:
    """``dut.x.value = ...`` -> x."""
    if isinstance(target, ast.Attribute) and target.attr == "value":
        return _dut_name(target.value)
    return None
