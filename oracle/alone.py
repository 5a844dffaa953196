"""The design elaborated alone: Icarus itself decides what the design is.

Before the bench sees a design, Icarus compiles the design's files (the same preprocessed bytes,
the same flags) under a neutral top that instantiates only the design's top module, with the
parameters the bench gives it, under names the design cannot know. Whatever the design cannot
resolve on its own fails there, however it is spelled: an upward or hierarchical reference into
the bench, ``$root``, a name the bench's instances carry, an instance of a bench module.

Then the compiled image of the design alone is judged, line by line, by what it contains, never
by which file or line the compiler attributes it to (a ``#line`` cannot hide anything):

- every system task or function call (``%vpi_call``, ``%vpi_func``) must be a pure one
  (:data:`ALLOWED_SYSTEM_NAMES`): no printing, simulation control, file access or randomness;
- no ``force``/``release``, procedural ``assign``/``deassign``;
- nothing but parameters, enumerations and functions outside the design's modules (the
  compilation unit is shared with the bench), and none named like anything of the bench;
- no input port coerced to an inout (Icarus warns when a design drives its input).

Reading is linear in the image: one pass, fixed-position fields, no backtracking patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from .verdict import CompileError

#: System functions a design may call: pure functions of their arguments or of time.
ALLOWED_SYSTEM_NAMES = frozenset(
    """
    $signed $unsigned $clog2 $bits $size $left $right $low $high $increment $dimensions
    $unpacked_dimensions $countones $countbits $onehot $onehot0 $isunknown $cast $typename
    $floor $ceil $ln $log10 $exp $sqrt $pow $rtoi $itor $realtobits $bitstoreal
    $shortrealtobits $bitstoshortreal $time $stime $realtime
    """.split()
)
_FORBIDDEN_OPCODES = ("%force", "%release", "%cassign", "%deassign")
MAX_PROBLEMS = 8
#: the pseudo file the neutral top is attributed to in messages
ELABORATION = "anvil-elaboration"


def neutral_top(top: str, params: Mapping[str, str], token: str) -> tuple[str, str]:
    """(the neutral top's name, its text): one instance of ``top`` with the bench's parameters."""
    name = f"anvil_alone_{token}"
    overrides = f"#({', '.join(f'.{k}({v})' for k, v in params.items())}) " if params else ""
    text = (f'\n`resetall\n`line 1 "{ELABORATION}" 0\nmodule {name};\n'
            f"  {top} {overrides}anvil_design_{token} ();\nendmodule\n")
    return name, text


def alone_problems(lines: Iterable[str], compile_output: str, design_files: Mapping[str, str],
                   bench_names: frozenset[str] = frozenset()) -> list[CompileError]:
    """What the design-alone image (its lines) and the compiler's warnings show that a design may
    not do. ``design_files``: names the compiler saw -> names to report."""
    problems: list[tuple[int | str | None, int | None, str]] = []
    unit: str | None = None  # the scope id of the compilation unit ($unit)
    in_unit = False
    names: list[str] = []
    reading_names = 0

    def add(file: int | str | None, line: int | None, message: str) -> bool:
        if (file, line, message) not in problems:
            problems.append((file, line, message))
        return len(problems) >= MAX_PROBLEMS

    for raw in lines:
        if reading_names:
            names.append(_quoted(raw) or "")
            reading_names -= 1
            continue
        text = raw.strip()
        if not text:
            continue
        if raw.startswith("S_0x") and " .scope " in raw:
            kind = raw.split(" .scope ", 1)[1].split(",", 1)[0]
            parent = raw.rstrip().rstrip(";").rsplit(", ", 1)[-1]
            if kind == "package" and '"$unit"' in raw:
                unit, in_unit = raw.split(" ", 1)[0], True
                continue
            in_unit = False
            if unit is not None and parent == unit:  # a function or task of the compilation unit
                name = _quoted(raw.split(" .scope ", 1)[1]) or ""
                if name in bench_names and add(None, None, _shared(name)):
                    break
            continue
        if text.startswith(":file_names"):
            reading_names = _int(text.split()[1].rstrip(";")) or 0
            continue
        if text.startswith("%vpi_"):
            parts = text.split(None, 3)
            if len(parts) == 4:
                name = _quoted(parts[3]) or "?"
                if name not in ALLOWED_SYSTEM_NAMES and add(_int(parts[1]), _int(parts[2]), _system(name)):
                    break
            continue
        if text.startswith(_FORBIDDEN_OPCODES):
            op = text.split(None, 1)[0].split("/", 1)[0][1:]
            what = {"cassign": "procedural assign", "deassign": "deassign"}.get(op, op)
            if add(None, None, f"the design uses {what}: not allowed in design code"):
                break
            continue
        if in_unit and not text.startswith((".timescale", ";")):
            declared = text.split(None, 2)
            if len(declared) >= 2 and declared[1] in (".var", ".net", ".net8", ".net/s", ".var/s", ".var/2s",
                                                      ".var/2u", ".var/real", ".var/str", ".var/i", ".array"):
                if add(None, None, "variables and nets outside a module are not allowed in design code: the "
                                   "compilation unit is shared with the testbench"):
                    break
            else:
                label = _quoted(text)
                if label and label in bench_names and add(None, None, _shared(label)):
                    break
    for warning in _coerced(compile_output):
        if len(problems) >= MAX_PROBLEMS:
            break
        problems.append(warning)
    out = []
    for file, line, message in problems:
        shown = None
        if isinstance(file, int) and 0 <= file < len(names):
            shown = design_files.get(names[file], None)
        elif isinstance(file, str):
            shown = design_files.get(file)
        out.append(CompileError(shown, line if shown else None, message))
    return out


def _system(name: str) -> str:
    return (f"{name} is not allowed in design code: simulation control, printing, file I/O and randomness "
            "belong to the testbench")


def _shared(name: str) -> str:
    return (f"'{name}' is declared outside the design's modules and the testbench uses that name too; declare it "
            "inside the module")


def _quoted(text: str) -> str | None:
    start = text.find('"')
    if start < 0:
        return None
    end = text.find('"', start + 1)
    return text[start + 1:end] if end > start else None


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _coerced(output: str) -> Iterator[tuple[str, int | None, str]]:
    """Icarus's "FILE:LINE: warning: input port X is coerced to inout" lines (the design alone
    is compiled, so every such warning is the design's)."""
    for line in output.splitlines():
        marker = ": warning: input port "
        at = line.find(marker)
        if at < 0 or not line.endswith(" is coerced to inout"):
            continue
        head, port = line[:at], line[at + len(marker):-len(" is coerced to inout")]
        file, _, number = head.rpartition(":")
        yield (file, _int(number), f"input port '{port[:80]}' is driven inside the design; inputs belong to "
                                   "the testbench")
