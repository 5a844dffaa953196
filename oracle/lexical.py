"""The first look at a design's raw text, before any tool reads it: what no preprocessor may see.

Pure string work, linear in the text, run in the caller's process. Whole-text and deliberately
blunt (comments included), because its job is to keep directives away from *every*
preprocessor, whichever way each one lexes comments and strings:

- ```include`` and ```line`` read or name files of the machine at compile time;
- token pasting (````` `` `````) builds directive names out of pieces (and crashed Icarus's
  preprocessor when tried);
- NUL bytes, and texts over :data:`MAX_DESIGN_BYTES`.

Everything else is left to Icarus's own preprocessor and the screen of its output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .verdict import CompileError

#: far above any hand-written or generated design; keeps every later step small
MAX_DESIGN_BYTES = 1 << 20

_FORBIDDEN = re.compile(r"`(include|line)\b|``")

_WHY = {
    "include": "`include is not allowed in design code: a design is self-contained, and `include "
               "reads files of the machine at compile time",
    "line": "`line is not allowed in design code: it renames the source of the lines after it",
    "``": "macro token pasting (``) is not allowed in design code",
}


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def raw_problems(name: str, text: str) -> tuple[CompileError, ...]:
    """Reasons the raw text may not be preprocessed at all (empty when it may)."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_DESIGN_BYTES:
        return (CompileError(name, None, f"the design is {size} bytes long; the limit is {MAX_DESIGN_BYTES}"),)
    problems = []
    nul = text.find("\0")
    if nul >= 0:
        problems.append(CompileError(name, line_of(text, nul), "NUL byte in the design text"))
    for m in _FORBIDDEN.finditer(text):
        key = m.group(1) or "``"
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
