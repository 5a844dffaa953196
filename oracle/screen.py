"""Screening design code: what a design may not contain, judged on exactly what Icarus compiles.

The input is Icarus's own preprocessor output for the design files (``ivlpp -L``), the very
text the compiler reads next; this module runs inside the sandbox, in a forked child with the
run's deadline and memory limit (:mod:`oracle.runner`), so a parser bomb or crash is a verdict.
The testbench alone decides whether a candidate passes, so a design may influence it only
through its output ports. Rejected, each as a compile error on its line:

- syntax errors (pyslang's message): a region the parser skipped is never unscreened code;
- compiler directives other than ```timescale``, ```default_nettype``, ```celldefine`` and
  ```resetall`` left after preprocessing (e.g. built from macro pieces), and ```line`` markers
  naming any file but the design's own;
- system tasks and functions other than pure ones (simulation control, printing, file and dump
  access, randomness, ``$root``);
- hierarchical names whose first part the design does not declare, and calls of functions it
  does not define (Verilog resolves both upwards, into the testbench);
- ``force``/``release`` and procedural ``assign``/``deassign``; ``defparam``; ``bind``; ``alias``;
  bidirectional switches (``tran``...);
- instances of modules the design does not define (the golden reference above all);
- top-level declarations other than modules, except typedefs, parameters and functions whose
  names the testbench does not use;
- identifiers the design uses but does not declare, input ports driven inside the design, port
  names, directions and widths that differ from the interface;
- a variable two always blocks write (:mod:`oracle.races`): the verdict would depend on the
  order the simulator runs them.

The screen gives early, friendly messages; the verdict does not depend on it: Icarus compiles
the design alone and that image is judged (:mod:`oracle.alone`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .alone import ALLOWED_SYSTEM_NAMES
from .races import races
from .syntax import direction_name, names_in, pyslang
from .verdict import CompileError

_INCLUDE = re.compile(r"`\s*include")
_MARKER = re.compile(r'^`line (\d+) "([^"\n]*)" ([012])[ \t]*$')
MAX_PROBLEMS = 12
SYNTAX = "syntax error: "
OUTSIDE = ("a design may reach the testbench only through its ports")


@dataclass(frozen=True)
class LineMap:
    """Where each line of the preprocessed text came from, as ivlpp's ```line`` markers say."""

    entries: tuple[tuple[str | None, int], ...]

    def at(self, pp_line: int) -> tuple[str | None, int | None]:
        if 1 <= pp_line <= len(self.entries):
            return self.entries[pp_line - 1]
        return (None, None)


def split_markers(pp_text: str, files: Mapping[str, str]) -> tuple[str, LineMap, list[CompileError]]:
    """Blank ivlpp's ```line`` markers (keeping line numbers) and map lines to design files.

    ``files`` maps the names ivlpp saw to the names to report. A marker naming any other file,
    or entering an include (level 1), is a problem: a design consists of its own files."""
    out: list[str] = []
    entries: list[tuple[str | None, int]] = []
    problems: list[CompileError] = []
    current: str | None = None
    number = 1
    for raw in pp_text.split("\n"):
        m = _MARKER.match(raw)
        if m is None:
            out.append(raw)
            entries.append((current, number))
            number += 1
            continue
        target, level = m.group(2), m.group(3)
        if target not in files or level == "1":
            problems.append(CompileError(current, number if current else None,
                                         f"the design pulls in another file ({target!r}); a design is "
                                         "compiled from its own files only"))
        current = files.get(target)
        number = int(m.group(1))
        out.append("")
        entries.append((current, number))
    return "\n".join(out), LineMap(tuple(entries)), problems


@dataclass
class ScreenReport:
    problems: list[CompileError] = field(default_factory=list)
    #: pyslang's own messages about other errors (for repair prompts: Icarus often says less)
    hints: list[str] = field(default_factory=list)
    #: the top module's ports as (name, direction, width), when it is defined
    ports: list[list[str | int]] = field(default_factory=list)
    #: output port -> lines of the design file (1-based) that assign it
    drivers: dict[str, list[int]] = field(default_factory=dict)
    #: every problem is a syntax error (the compiler's own messages then say it best)
    syntax_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"problems": [e.to_dict() for e in self.problems], "hints": self.hints, "ports": self.ports,
                "drivers": self.drivers, "syntax_only": self.syntax_only}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScreenReport:
        return cls([CompileError(**e) for e in data.get("problems", [])], list(data.get("hints", [])),
                   [list(p) for p in data.get("ports", [])],
                   {k: list(v) for k, v in data.get("drivers", {}).items()}, bool(data.get("syntax_only")))


def screen(pp_text: str, *, files: Mapping[str, str], top: str,
           interface: Sequence[Sequence[Any]] | None = None,
           exact: bool = True,
           reference_ports: Mapping[str, str] | None = None,
           bench_names: frozenset[str] = frozenset(),
           reference_module: str | None = None,
           selector: str | None = None) -> ScreenReport:
    """Judge the preprocessed design text; see the module docstring for what is rejected.

    ``interface``: (name, direction, width) the top module must have (``exact`` False: only
    the names are required, as a bench connects them); ``reference_ports``:
    port directions of the reference model; ``bench_names``: every identifier of the bench's
    files; ``selector``: a schema's selector (:mod:`oracle.variants`), whose guarded copies of a
    block are not two writers (:mod:`oracle.races`)."""
    ps = pyslang()
    text, lines, problems = split_markers(pp_text, files)
    report = ScreenReport(problems=problems)
    include = _INCLUDE.search(text)
    if include:  # never let the parser open a file (ivlpp left it as text)
        line = text.count("\n", 0, include.start()) + 1
        report.problems.append(CompileError(*lines.at(line), "`include is not allowed in design code"))
        return report
    options = ps.parsing.PreprocessorOptions()
    options.maxIncludeDepth = 0
    sm = ps.SourceManager()
    tree = ps.syntax.SyntaxTree.fromText(text, sm, "design.pp", "", ps.Bag([options]))
    engine = ps.DiagnosticEngine(sm)

    def where(location: Any) -> tuple[str | None, int | None]:
        return lines.at(sm.getLineNumber(location))

    def reject(location: Any, message: str) -> None:
        file, line = where(location) if location is not None else (None, None)
        report.problems.append(CompileError(file, line, message))

    for diag in tree.diagnostics:
        if diag.isError():
            reject(diag.location, f"{SYNTAX}{engine.formatMessage(diag)}")
    syntax_ok = not report.problems

    _SyntaxChecks(ps, reject, top=top, bench_names=bench_names, reference_module=reference_module).run(
        tree, directives="`" in text)
    if syntax_ok:
        _semantic_checks(ps, tree, sm, engine, where, reject, report, top=top, interface=interface,
                         exact=exact, reference_ports=reference_ports, selector=selector)
    report.problems = list(dict.fromkeys(report.problems))[:MAX_PROBLEMS]
    report.syntax_only = bool(report.problems) and all(p.message.startswith(SYNTAX) for p in report.problems)
    return report


class _SyntaxChecks:
    """Checks on the syntax tree alone: they cover code in every branch, elaborated or not."""

    def __init__(self, ps: Any, reject: Callable[[Any, str], None], *, top: str, bench_names: frozenset[str],
                 reference_module: str | None) -> None:
        self.ps = ps
        self.reject = reject
        self.top = top
        self.bench_names = bench_names
        self.reference_module = reference_module
        K = ps.syntax.SyntaxKind
        T = ps.parsing.TokenKind
        self.K, self.T = K, T
        self.allowed_directives = {K.TimeScaleDirective, K.DefaultNetTypeDirective, K.CellDefineDirective,
                                   K.EndCellDefineDirective, K.ResetAllDirective}
        self.bidirectional = {T.TranKeyword, T.TranIf0Keyword, T.TranIf1Keyword, T.RtranKeyword,
                              T.RtranIf0Keyword, T.RtranIf1Keyword}
        self.forbidden = {
            K.ProceduralForceStatement: "force is not allowed in design code: it overrides the testbench's nets",
            K.ProceduralReleaseStatement: "release is not allowed in design code",
            K.ProceduralAssignStatement: "procedural assign is not allowed in design code: use a plain "
                                         "assignment in the always block",
            K.ProceduralDeassignStatement: "deassign is not allowed in design code",
            K.DefParamAssignment: "defparam is not allowed in design code: pass parameters in the instance",
            K.BindDirective: "bind is not allowed in design code",
            K.NetAlias: "alias is not allowed in design code",
        }

    def run(self, tree: Any, *, directives: bool = True) -> None:
        """``directives``: whether the text may hold any (it has a backtick; a schema's screen spent
        a sixth of its time looking for them in texts without one)."""
        ps, K = self.ps, self.K
        members = top_members(tree, ps)
        self.modules = {m.header.name.valueText: m for m in members if m.kind == K.ModuleDeclaration}
        declared = {id(m): self._declared(m) for m in members if m.kind == K.ModuleDeclaration}  # walked once
        self.functions = set().union(*(declared[id(m)][1] for m in self.modules.values()))
        for member in members:
            if member.kind == K.ModuleDeclaration:
                self.scope = declared[id(member)][0] | set(self.modules)
            elif member.kind in (K.TypedefDeclaration, K.ParameterDeclarationStatement, K.FunctionDeclaration):
                clash = sorted(names_in(member) & self.bench_names)
                if clash:
                    self.reject(member.getFirstToken().location,
                                f"a top-level declaration may not use the name '{clash[0]}', which the "
                                "testbench uses: declare it inside the module")
                self.scope = self._declared(member)[0] | set(self.modules)
            else:
                self.reject(member.getFirstToken().location,
                            f"{_kind_words(member.kind)} is not allowed at the top level of a design: "
                            "a design consists of module declarations")
                continue
            member.visit(self._visit)
        # directives are trivia of the tokens after them (the end of file included)
        if directives:
            tree.root.visit(self._directives)

    def _directives(self, node: Any) -> Any:
        ps = self.ps
        if isinstance(node, ps.parsing.Token):
            for trivia in node.trivia:
                if trivia.kind == ps.parsing.TriviaKind.Directive:
                    syntax = trivia.syntax()
                    if syntax is not None and syntax.kind not in self.allowed_directives:
                        self.reject(node.location if not syntax.getFirstToken() else syntax.getFirstToken().location,
                                    f"the compiler directive {str(syntax).strip().split()[0]!s} is not allowed "
                                    "in design code")
        return ps.ast.VisitAction.Advance

    def _visit(self, node: Any) -> Any:
        ps, K, T = self.ps, self.K, self.T
        if isinstance(node, ps.parsing.Token):
            if node.kind == T.RootSystemName:
                self.reject(node.location, f"$root is not allowed in design code: {OUTSIDE}")
            elif node.kind == T.UnitSystemName:
                self.reject(node.location, "$unit is not allowed in design code")
            elif node.kind == T.SystemIdentifier and node.valueText not in ALLOWED_SYSTEM_NAMES:
                self.reject(node.location, f"{node.valueText} is not allowed in design code: simulation control, "
                                           "printing, file I/O and randomness belong to the testbench")
            return ps.ast.VisitAction.Advance
        kind = node.kind
        why = self.forbidden.get(kind)
        if why is not None:
            self.reject(node.getFirstToken().location, why)
        elif kind == K.HierarchyInstantiation:
            name = node.type.valueText
            if name not in self.modules:
                what = ("the golden reference model" if name == self.reference_module
                        else f"module {name}, which the design does not define")
                self.reject(node.getFirstToken().location,
                            f"the design instantiates {what}; a design may instantiate only its own modules "
                            "and gate primitives")
        elif kind == K.PrimitiveInstantiation and node.type.kind in self.bidirectional:
            self.reject(node.getFirstToken().location, f"the bidirectional switch {node.type.valueText} is not "
                                                       "allowed in design code: it can drive the testbench's nets")
        elif kind == K.ScopedName:
            self._scoped(node)
        elif kind == K.InvocationExpression and node.left.kind == K.IdentifierName:
            name = node.left.identifier.valueText
            if name not in self.functions:
                self.reject(node.getFirstToken().location,
                            f"the design calls {name}, which it does not define: {OUTSIDE}")
        return ps.ast.VisitAction.Advance

    def _scoped(self, node: Any) -> None:
        K, T = self.K, self.T
        if node.separator.kind == T.DoubleColon:
            self.reject(node.getFirstToken().location,
                        f"the scoped name {str(node).strip()} is not allowed in design code (packages and "
                        "classes are not part of a design)")
            return
        left = node.left
        while left.kind == K.ScopedName:
            left = left.left
        token = left.getFirstToken()
        if token is None or token.kind != T.Identifier:
            return
        root = token.valueText
        if root not in self.scope:
            self.reject(token.location, f"hierarchical name starting with '{root}' reaches outside the design: "
                                        f"{OUTSIDE}")

    def _declared(self, node: Any) -> tuple[set[str], set[str]]:
        """Names declared anywhere in ``node`` (signals, ports, instances, blocks, functions,
        types), and the functions and tasks among them."""
        ps, K = self.ps, self.K
        names: set[str] = set()
        functions: set[str] = set()

        def visit(n: Any) -> Any:
            if isinstance(n, ps.parsing.Token):
                return ps.ast.VisitAction.Skip
            k = n.kind
            if k in (K.Declarator, K.NamedBlockClause, K.ModuleHeader, K.ExplicitAnsiPort, K.TypedefDeclaration):
                names.add(n.name.valueText)
            elif k == K.HierarchicalInstance and n.decl is not None:
                names.add(n.decl.name.valueText)
            elif k in (K.FunctionDeclaration, K.TaskDeclaration):
                functions.add(str(n.prototype.name).strip())
            return ps.ast.VisitAction.Advance

        node.visit(visit)
        return names | functions, functions



def _kind_words(kind: Any) -> str:
    """``SyntaxKind.PackageDeclaration`` -> ``a package declaration``."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", str(kind).rsplit(".", 1)[-1]).lower()
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _semantic_checks(ps: Any, tree: Any, sm: Any, engine: Any, where: Callable[[Any], tuple[str | None, int | None]],
                     reject: Callable[[Any, str], None], report: ScreenReport, *, top: str,
                     interface: Sequence[Sequence[Any]] | None, reference_ports: Mapping[str, str] | None,
                     exact: bool = True, selector: str | None = None) -> None:
    compilation = ps.ast.Compilation()
    compilation.addSyntaxTree(tree)
    undeclared = {ps.Diags.UndeclaredIdentifier, ps.Diags.TypoIdentifier, ps.Diags.UnknownModule,
                  ps.Diags.HierarchicalRefUnknownModule, ps.Diags.UnknownPrimitive}
    for diag in compilation.getSemanticDiagnostics():
        if diag.code in undeclared:
            reject(diag.location, f"{engine.formatMessage(diag)}: the design must declare every name it uses "
                                  f"({OUTSIDE})")
        elif diag.isError() and len(report.hints) < 8:
            file, line = where(diag.location)
            report.hints.append(f"line {line}: {engine.formatMessage(diag)}" if line else engine.formatMessage(diag))
    tops = [inst for inst in compilation.getRoot().topInstances if inst.name == top]
    if not tops:
        reject(None, f"the design does not define module {top}" if top not in _module_names(tree, ps)
               else f"module {top} is instantiated inside the design; it must be the top module")
        return
    body = tops[0].body
    ports = [p for p in body.portList if hasattr(p, "direction")]
    report.ports = [[p.name, direction_name(p.direction), p.type.bitWidth] for p in ports]
    _interface_checks(ports, where, reject, top, interface, reference_ports, sm, exact)
    analysis = ps.analysis.AnalysisManager()
    analysis.analyze(compilation)
    In = ps.ast.ArgumentDirection.In
    for port in ports:
        if port.direction != In or port.internalSymbol is None:
            continue
        for driver in analysis.getDrivers(port.internalSymbol):
            if not driver.isInputPort:
                reject(driver.sourceRange.start, f"input port '{port.name}' is driven inside the design; inputs "
                                                 "belong to the testbench")
                break
    races(ps, tree, analysis, tops[0], reject, lambda location: where(location)[1], selector)
    if selector is None:  # a schema's verdicts carry no driver lines (each is judged alone when shown)
        top_file = where(tops[0].location)[0]
        report.drivers = _driver_lines(ps, tree, where, {p.name for p in ports if p.direction != In}, top_file)


def top_members(tree: Any, ps: Any) -> list[Any]:
    """The top-level items (a text holding one module parses to that module, not to a unit)."""
    root = tree.root
    if root.kind == ps.syntax.SyntaxKind.CompilationUnit:
        return [m for m in root.members]
    return [root]


def _module_names(tree: Any, ps: Any) -> set[str]:
    return {m.header.name.valueText for m in top_members(tree, ps) if m.kind == ps.syntax.SyntaxKind.ModuleDeclaration}


def _interface_checks(ports: Any, where: Callable[[Any], tuple[str | None, int | None]],
                      reject: Callable[[Any, str], None], top: str, interface: Sequence[Sequence[Any]] | None,
                      reference_ports: Mapping[str, str] | None, sm: Any, exact: bool = True) -> None:
    location = ports[0].location if ports else None
    have = {p.name: (direction_name(p.direction), p.type.bitWidth, p.location) for p in ports}
    if interface and not exact:
        missing = [name for name, _, _ in interface if name not in have]
        if missing:
            reject(location, f"module {top} lacks port(s) {', '.join(missing)} that the testbench connects")
    elif interface:
        want = {name: (direction, width) for name, direction, width in interface}
        missing = [n for n in want if n not in have]
        extra = [n for n in have if n not in want]
        if missing:
            reject(location, f"module {top} lacks port(s) {', '.join(missing)} required by the interface")
        if extra:
            reject(have[extra[0]][2], f"module {top} has port(s) {', '.join(extra)} that are not in the interface")
        for name, (direction, width) in want.items():
            if name not in have:
                continue
            d, w, loc = have[name]
            if d != direction:
                reject(loc, f"port '{name}' is declared {d} but the interface declares it {direction}")
            elif w != width:
                reject(loc, f"port '{name}' is {w} bit(s) wide; the interface needs {width}")
    if reference_ports:
        for name, (d, _, loc) in have.items():
            expected = reference_ports.get(name)
            if expected is not None and d != expected:
                reject(loc, f"port '{name}' is declared {d} but the reference declares it {expected}")
            elif expected is None and d == "inout":
                reject(loc, f"inout port '{name}' is not a port of the reference")


def _driver_lines(ps: Any, tree: Any, where: Callable[[Any], tuple[str | None, int | None]], outputs: set[str],
                  top_file: str | None) -> dict[str, list[int]]:
    """Lines of the top module's file that assign each output (continuous, procedural,
    declaration)."""
    K = ps.syntax.SyntaxKind
    assignments = {K.AssignmentExpression, K.NonblockingAssignmentExpression, K.AddAssignmentExpression,
                   K.SubtractAssignmentExpression, K.OrAssignmentExpression, K.AndAssignmentExpression,
                   K.XorAssignmentExpression}
    found: dict[str, set[int]] = {}

    def names_in(node: Any) -> set[str]:
        names: set[str] = set()

        def walk(n: Any) -> Any:
            if isinstance(n, ps.parsing.Token):
                if n.kind == ps.parsing.TokenKind.Identifier:
                    names.add(n.valueText)
                return ps.ast.VisitAction.Advance
            if n.kind in (K.ElementSelect, K.SimpleRangeSelect, K.AscendingRangeSelect, K.DescendingRangeSelect):
                return ps.ast.VisitAction.Skip  # indices are not the target
            return ps.ast.VisitAction.Advance

        node.visit(walk)
        return names

    def note(names: set[str], location: Any) -> None:
        file, line = where(location)
        if line is None or file != top_file:
            return
        for name in names & outputs:
            found.setdefault(name, set()).add(line)

    def visit(node: Any) -> Any:
        if isinstance(node, ps.parsing.Token):
            return ps.ast.VisitAction.Skip
        if node.kind in assignments:
            note(names_in(node.left), node.left.getFirstToken().location)
        elif node.kind == K.Declarator and node.initializer is not None:
            note({node.name.valueText}, node.name.location)
        return ps.ast.VisitAction.Advance

    tree.root.visit(visit)
    return {name: sorted(lines) for name, lines in found.items()}
