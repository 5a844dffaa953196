"""What Icarus compiled: checks on the compiled image (``sim.vvp``) and the compiler's warnings.

The screen (:mod:`oracle.screen`) judges the preprocessed text; this module judges what the
compiler made of it, so that a construct the two parsers read differently cannot slip through:

- every system task or function call whose source is a design file must be an allowed one;
- no thread of a design scope may ``force``, ``release``, ``assign`` or ``deassign``, nor read or
  write a variable that belongs to a testbench scope, nor ``disable`` one;
- no module defined in the testbench's files may be instantiated under a design scope;
- no input port of the design may have been coerced to an inout (Icarus warns when a design
  drives its input).

The vvp format: ``S_<id> .scope module, "inst" "type" FILE LINE, DEF_FILE DEF_LINE CELL, S_<parent>;``
starts a scope's declarations (``v0x.._N .var``/``.net``); in the code section ``.scope S_<id>;``
sets the scope of the thread code after it; ``%vpi_call FILE LINE "$name"`` names its source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .screen import ALLOWED_SYSTEM_NAMES
from .verdict import CompileError

_SCOPE = re.compile(r"^(S_0x[0-9a-f]+) \.scope (\w+), (.*)$")
_SCOPE_TAIL = re.compile(r"(\d+) (\d+)(?:, (\d+) (\d+) (\d+))?(?:, (S_0x[0-9a-f]+))?;\s*$")
_DECL = re.compile(r"^(v0x[0-9a-f]+_\d+) \.(\w+)")
_CODE_SCOPE = re.compile(r"^\s+\.scope (S_0x[0-9a-f]+);")
_VPI = re.compile(r"^\s+%vpi_(?:call|func)\S* (\d+) (\d+) \"(\$[\w$]+)\"")
_OPCODE = re.compile(r"^\s+%(\S+)(.*)$")
_LABEL = re.compile(r"\bv0x[0-9a-f]+_\d+\b")
_SCOPE_REF = re.compile(r"\bS_0x[0-9a-f]+\b")
_COERCED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): warning: input port (?P<port>\S+) is coerced to inout",
                      re.MULTILINE)
_NAME = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FORBIDDEN_OPS = ("force", "release", "cassign", "deassign")
MAX_PROBLEMS = 8


def coerced_inputs(compile_output: str, design_files: Mapping[str, str]) -> list[CompileError]:
    """Icarus's 'input port X is coerced to inout' warnings for design files."""
    out = []
    for m in _COERCED.finditer(compile_output):
        shown = design_files.get(m.group("file"))
        if shown is not None:
            out.append(CompileError(shown, int(m.group("line")), f"input port '{m.group('port')}' is driven inside "
                                                                 "the design; inputs belong to the testbench"))
    return out


def image_problems(lines: Iterable[str], design_files: Mapping[str, str]) -> list[CompileError]:
    """Problems found in a compiled image (its lines) for design files named as ``design_files``
    keys (the names the compiler saw) and shown under their values."""
    text = list(lines)
    names = _file_names(text)
    design_index = {i for i, n in enumerate(names) if n in design_files}
    shown = {i: design_files[n] for i, n in enumerate(names) if n in design_files}

    scopes: dict[str, tuple[str, str, int | None, str | None]] = {}  # id -> (kind, type, def file, parent)
    label_scope: dict[str, str] = {}
    current: str | None = None
    for line in text:
        m = _SCOPE.match(line)
        if m:
            sid, kind, rest = m.groups()
            tail = _SCOPE_TAIL.search(rest)
            quoted = _NAME.findall(rest)
            type_name = quoted[1] if len(quoted) > 1 else (quoted[0] if quoted else "")
            def_file = int(tail.group(3)) if tail and tail.group(3) else (int(tail.group(1)) if tail else None)
            parent = tail.group(6) if tail else None
            scopes[sid] = (kind, type_name, def_file, parent)
            current = sid
            continue
        d = _DECL.match(line)
        if d and current is not None:
            label_scope[d.group(1)] = current

    design_scopes = _design_scopes(scopes, design_index)
    problems: list[CompileError] = []

    def add(error: CompileError) -> bool:
        if error not in problems:
            problems.append(error)
        return len(problems) >= MAX_PROBLEMS

    for sid, (kind, type_name, def_file, parent) in scopes.items():
        if kind == "module" and sid not in design_scopes and parent in design_scopes:
            where = shown.get(scopes[parent][2]) if scopes.get(parent) else None
            if add(CompileError(where, None, f"the design instantiates {type_name}, a module of the testbench's "
                                             "files; a design may instantiate only its own modules")):
                return problems

    thread_scope: str | None = None
    for line in text:
        m = _CODE_SCOPE.match(line)
        if m:
            thread_scope = m.group(1)
            continue
        v = _VPI.match(line)
        if v:
            file, number, name = int(v.group(1)), int(v.group(2)), v.group(3)
            if file in design_index and name not in ALLOWED_SYSTEM_NAMES:
                if add(CompileError(shown[file], number, f"{name} is not allowed in design code: simulation "
                                                          "control, printing, file I/O and randomness belong to "
                                                          "the testbench")):
                    return problems
            continue
        if thread_scope not in design_scopes:
            continue
        op = _OPCODE.match(line)
        if not op:
            continue
        opcode, operands = op.groups()
        base = opcode.split("/", 1)[0]
        if base in _FORBIDDEN_OPS:
            if add(CompileError(_scope_file(scopes, thread_scope, shown), None,
                                f"the design uses {base} (compiled from its code): not allowed in design code")):
                return problems
        for label in _LABEL.findall(operands):
            owner = label_scope.get(label)
            if owner is not None and owner not in design_scopes:
                if add(CompileError(_scope_file(scopes, thread_scope, shown), None,
                                    "the design's code reads or writes a signal of the testbench "
                                    "(a hierarchical name): a design may reach the testbench only through its "
                                    "ports")):
                    return problems
                break
        if base in ("disable", "fork"):
            for target in _SCOPE_REF.findall(operands):
                if target in scopes and target not in design_scopes:
                    if add(CompileError(_scope_file(scopes, thread_scope, shown), None,
                                        f"the design's code uses {base} on a scope of the testbench")):
                        return problems
    return problems


def _file_names(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if line.startswith(":file_names"):
            count = int(line.split()[1].rstrip(";"))
            out = []
            for entry in lines[i + 1:i + 1 + count]:
                m = _NAME.search(entry)
                out.append(m.group(1).replace('\\"', '"') if m else "")
            return out
    return []


def _design_scopes(scopes, design_index: set[int]) -> set[str]:
    """Module scopes defined in design files, and every scope below them."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for sid, (kind, _, def_file, parent) in scopes.items():
            if sid in out:
                continue
            if (kind == "module" and def_file in design_index) or (kind != "module" and parent in out):
                out.add(sid)
                changed = True
    return out


def _scope_file(scopes, sid: str | None, shown: Mapping[int, str]) -> str | None:
    while sid is not None and sid in scopes:
        kind, _, def_file, parent = scopes[sid]
        if kind == "module":
            return shown.get(def_file)
        sid = parent
    return None
