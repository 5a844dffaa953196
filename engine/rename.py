"""Renaming a source's modules apart, so that two designs that declare the same names can be
compiled together (a recombination's candidates, a reference beside the design it judges)."""

from __future__ import annotations

import re

from oracle.syntax import module_names

#: what a renaming leaves alone: comments and string literals
_OPAQUE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.DOTALL)


def rename_apart(code: str, suffix: str) -> tuple[str, dict[str, str]]:
    """The text with every module it declares renamed NAME -> NAME<suffix>, in its declarations
    and its instantiations (every use of the name as a word), and the renaming."""
    declared, _ = module_names(code)
    renames = {name: name + suffix for name in declared if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name)}
    if not renames:
        return code, {}
    word = re.compile(r"(?<![A-Za-z0-9_$`\\])(" + "|".join(map(re.escape, sorted(renames, key=len, reverse=True)))
                      + r")(?![A-Za-z0-9_$])")
    out, at = [], 0
    for opaque in _OPAQUE.finditer(code):  # rename between comments and strings only
        out.append(word.sub(lambda m: renames[m.group(1)], code[at:opaque.start()]))
        out.append(opaque.group(0))
        at = opaque.end()
    out.append(word.sub(lambda m: renames[m.group(1)], code[at:]))
    return "".join(out), renames


__all__ = ["rename_apart"]
