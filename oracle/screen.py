"""Static screening of candidate design code before it is simulated.

The testbench alone decides whether a candidate passes, so design code must not be able to
influence the testbench other than through its output ports. Screened out, with a compile-style
message on the offending line:

- system tasks and functions other than pure, synthesis-friendly ones: simulation control
  (``$finish``, ``$stop``, ``$fatal``), printing (``$display``, ``$error``...), file and dump
  access (``$fopen``, ``$readmemh``, ``$dumpoff``...), randomness and ``$root``;
- hierarchical names that reach outside the design (``tb.stats1.errors``, ``good1.q``: Verilog
  resolves such names upwards into the testbench);
- driving an input port from inside the design (Icarus then turns the port into an inout and
  the value reaches the testbench and the reference model);
- port directions that differ from the reference model's.

Parsing uses pyslang with the macros Icarus predefines, so code hidden behind
``ifdef __ICARUS__`` is screened as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .verdict import CompileError

#: System functions a design may call: pure functions of their arguments or of time.
ALLOWED_SYSTEM_NAMES = frozenset(
    """
    $signed $unsigned $clog2 $bits $size $left $right $low $high $increment $dimensions
    $unpacked_dimensions $countones $countbits $onehot $onehot0 $isunknown $cast $typename
    $floor $ceil $ln $log10 $exp $sqrt $pow $rtoi $itor $realtobits $bitstoreal
    $shortrealtobits $bitstoshortreal $time $stime $realtime $unit
    """.split()
)

#: Macros Icarus Verilog defines for every compile (``iverilog -E`` shows them).
ICARUS_PREDEFINES = ("__ICARUS__=1",)


#: cheap pre-check: text that has no "$" and no "name.name" cannot hold what the visitor looks for
_MAY_BE_DOTTED = re.compile(r"[A-Za-z_0-9`)\]]\s*\.\s*[A-Za-z_\\`]")


@dataclass(frozen=True)
class SourceText:
    """A design file's text and the name to report it under."""

    name: str
    text: str


def _pyslang():
    import pyslang  # heavy: imported on first use

    return pyslang


def parse(sources: Sequence[SourceText]):
    """Parse sources with Icarus's predefined macros; returns (source manager, trees)."""
    ps = _pyslang()
    options = ps.parsing.PreprocessorOptions()
    options.predefines = list(ICARUS_PREDEFINES)
    bag = ps.Bag([options])
    sm = ps.SourceManager()
    trees = [ps.syntax.SyntaxTree.fromText(s.text, sm, s.name, "", bag) for s in sources]
    return sm, trees


def screen_design(
    sources: Sequence[SourceText],
    *,
    top: str,
    reference_ports: Mapping[str, str] | None = None,
) -> tuple[CompileError, ...]:
    """Return the reasons this design code may not be simulated (empty when it may)."""
    ps = _pyslang()
    sm, trees = parse(sources)
    problems: list[CompileError] = []

    def where(location) -> tuple[str, int]:
        return sm.getFileName(location), sm.getLineNumber(location)

    scoped_roots: set[tuple[str, int, int]] = set()

    def visit(node):
        if isinstance(node, ps.parsing.Token):
            kind = node.kind
            if kind == ps.parsing.TokenKind.RootSystemName:
                file, line = where(node.location)
                problems.append(CompileError(file, line, "$root is not allowed in design code: "
                                             "a design may reach the testbench only through its ports"))
            elif kind == ps.parsing.TokenKind.SystemIdentifier and node.valueText not in ALLOWED_SYSTEM_NAMES:
                file, line = where(node.location)
                problems.append(CompileError(file, line, f"{node.valueText} is not allowed in design code: "
                                             "simulation control, printing, file I/O and randomness belong "
                                             "to the testbench"))
            return ps.ast.VisitAction.Advance
        if node.kind == ps.syntax.SyntaxKind.ScopedName:
            left = node.left
            while left.kind == ps.syntax.SyntaxKind.ScopedName:
                left = left.left
            token = left.getFirstToken()
            if token is not None:
                loc = token.location
                scoped_roots.add((sm.getFileName(loc), sm.getLineNumber(loc), sm.getColumnNumber(loc)))
        return ps.ast.VisitAction.Advance

    for source, tree in zip(sources, trees):
        if "$" in source.text or _MAY_BE_DOTTED.search(source.text):
            tree.root.visit(visit)

    try:
        problems.extend(_semantic_checks(ps, sm, trees, top, reference_ports, scoped_roots))
    except Exception:  # pragma: no cover - pyslang internal failure: Icarus still judges the code
        pass
    return tuple(dict.fromkeys(problems))


def _semantic_checks(ps, sm, trees, top, reference_ports, scoped_roots):
    compilation = ps.ast.Compilation()
    for tree in trees:
        compilation.addSyntaxTree(tree)
    for diag in compilation.getAllDiagnostics():
        if diag.code == ps.Diags.UndeclaredIdentifier:
            loc = diag.location
            key = (sm.getFileName(loc), sm.getLineNumber(loc), sm.getColumnNumber(loc))
            if key in scoped_roots:
                name = diag.args[0] if diag.args else "?"
                yield CompileError(key[0], key[1], f"hierarchical name starting with '{name}' reaches "
                                   "outside the design: a design may reach the testbench only "
                                   "through its ports")
    tops = [inst for inst in compilation.getRoot().topInstances if inst.name == top]
    if not tops:
        return
    analysis = ps.analysis.AnalysisManager()
    analysis.analyze(compilation)
    In, InOut = ps.ast.ArgumentDirection.In, ps.ast.ArgumentDirection.InOut
    for port in tops[0].body.portList:
        direction = getattr(port, "direction", None)
        file, line = sm.getFileName(port.location), sm.getLineNumber(port.location)
        if direction == In:
            symbol = port.internalSymbol
            if symbol is None:
                continue
            for driver in analysis.getDrivers(symbol):
                if not driver.isInputPort:
                    dfile = sm.getFileName(driver.sourceRange.start)
                    dline = sm.getLineNumber(driver.sourceRange.start)
                    yield CompileError(dfile, dline, f"input port '{port.name}' is driven inside the "
                                       "design; inputs belong to the testbench")
                    break
        if reference_ports is not None and port.name in reference_ports:
            expected = reference_ports[port.name]
            actual = _direction_name(direction)
            if actual != expected:
                yield CompileError(file, line, f"port '{port.name}' is declared {actual} but the "
                                   f"reference declares it {expected}")
        elif reference_ports is not None and direction == InOut:
            yield CompileError(file, line, f"inout port '{port.name}' is not a port of the reference")


def _direction_name(direction) -> str:
    name = str(direction).rsplit(".", 1)[-1].lower()
    return {"in": "input", "out": "output", "inout": "inout", "ref": "ref"}.get(name, name)


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # "input" | "output" | "inout"
    width: int


def module_interface(sources: Sequence[SourceText], module: str) -> tuple[Port, ...] | None:
    """The ports of ``module`` in declaration order, or None if it is not defined."""
    ps = _pyslang()
    _, trees = parse(sources)
    compilation = ps.ast.Compilation()
    for tree in trees:
        compilation.addSyntaxTree(tree)
    compilation.getAllDiagnostics()
    for inst in compilation.getRoot().topInstances:
        if inst.name == module:
            return tuple(Port(p.name, _direction_name(p.direction), p.type.bitWidth)
                         for p in inst.body.portList if hasattr(p, "direction"))
    return None


def module_ports(sources: Sequence[SourceText], module: str) -> dict[str, str] | None:
    """Port name -> direction ("input", "output", "inout") of ``module``, or None if absent."""
    ports = module_interface(sources, module)
    return None if ports is None else {p.name: p.direction for p in ports}


def module_names(text: str, name: str = "source") -> tuple[list[str], set[str]]:
    """Modules declared in ``text`` and module types it instantiates (syntax only)."""
    ps = _pyslang()
    _, (tree,) = parse([SourceText(name, text)])
    declared: list[str] = []
    instantiated: set[str] = set()
    kinds = ps.syntax.SyntaxKind

    def visit(node):
        if isinstance(node, ps.parsing.Token):
            return ps.ast.VisitAction.Skip
        if node.kind == kinds.ModuleDeclaration:
            declared.append(node.header.name.valueText)
        elif node.kind == kinds.HierarchyInstantiation:
            instantiated.add(node.type.valueText)
        return ps.ast.VisitAction.Advance

    tree.root.visit(visit)
    return declared, instantiated
