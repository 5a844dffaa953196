"""The first look at a design's raw text, before any tool reads it: what no preprocessor may see.

Pure string work, linear in the text, run in the caller's process. Whole-text and deliberately
blunt (comments included), because its job is to keep directives away from *every*
preprocessor, whichever way each one lexes comments and strings:

- ```include`` and ```line`` read or name files of the machine at compile time, and so does
  Icarus's C-style ``#line "file" N`` at the start of a line;
- token pasting (````` `` `````) builds directive names out of pieces (and crashed Icarus's
  preprocessor when tried);
- control characters other than tab, CR and LF (the tools lex them differently: a vertical tab
  ends an escaped identifier for one parser and not for the other), and texts over
  :data:`MAX_DESIGN_BYTES`.

A UTF-8 byte order mark at the start is not part of the design (:func:`without_bom`).

Everything else is left to Icarus's own preprocessor and the screen of its output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .verdict import CompileError

#: far above any hand-written or generated design; keeps every later step small
MAX_DESIGN_BYTES = 1 << 20

_FORBIDDEN = re.compile(r"`(include|line)\b|``|^[ \t]*+#[ \t]*+(line)\b", re.MULTILINE)
#: every C0 control character but tab, LF and CR, and DEL
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BOM = "\ufeff"

_WHY = {
    "include": "`include is not allowed in design code: a design is self-contained, and `include "
               "reads files of the machine at compile time",
    "line": "`line is not allowed in design code: it renames the source of the lines after it",
    "#line": "#line is not allowed in design code: Icarus reads it as a line marker that renames the source "
             "of the lines after it",
    "``": "macro token pasting (``) is not allowed in design code",
}


def without_bom(text: str) -> str:
    """The text without a leading UTF-8 byte order mark."""
    return text[1:] if text.startswith(BOM) else text


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def raw_problems(name: str, text: str) -> tuple[CompileError, ...]:
    """Reasons the raw text may not be preprocessed at all (empty when it may)."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_DESIGN_BYTES:
        return (CompileError(name, None, f"the design is {size} bytes long; the limit is {MAX_DESIGN_BYTES}"),)
    problems = []
    for m in _CONTROL.finditer(text):
        byte = ord(m.group())
        what = "NUL byte" if byte == 0 else f"control character 0x{byte:02X}"
        problems.append(CompileError(name, line_of(text, m.start()), f"{what} in the design text: only tab, "
                                                                     "CR and LF may appear besides printable text"))
        break
    if BOM in text:
        problems.append(CompileError(name, line_of(text, text.index(BOM)),
                                     "a byte order mark (U+FEFF) inside the design text"))
    for m in _FORBIDDEN.finditer(text):
        key = m.group(1) or ("#line" if m.group(2) else "``")
        problems.append(CompileError(name, line_of(text, m.start()), _WHY[key]))
        if len(problems) >= 8:
            break
    return tuple(problems)


def check_sources(sources: Sequence[tuple[str, str]]) -> tuple[CompileError, ...]:
    """:func:`raw_problems` over several (name, text) design files."""
    out: list[CompileError] = []
    for name, text in sources:
        out.extend(raw_problems(name, text))
    return tuple(out)
