"""Where in the RTL a failing signal is driven, so a mismatch lands on a line the user can fix.

The oracle's screen finds the lines that assign each output (``Verdict.drivers``, parsed in the
sandbox from exactly the text that was simulated); without them, the line declaring the
signal, then the module header.
"""

from __future__ import annotations

import re

from oracle import DEFAULT_TOP, Verdict


def spec_line(lines: list[str], signal: str) -> int:
    """0-based line of a spec about ``signal``: the port list's line that declares it, else the
    first line that names it, else 0 ("Gray-code" in a title does not name the port ``code``)."""
    named = re.compile(rf"\b{re.escape(signal)}\b")
    port = re.compile(rf"\b(?:output|input)\b.*\b{re.escape(signal)}\b")
    return next((i for i, ln in enumerate(lines) if port.search(ln)),
                next((i for i, ln in enumerate(lines) if named.search(ln)), 0))


def driver_lines(verdict: Verdict, text: str, signal: str, top: str = DEFAULT_TOP) -> list[int]:
    """0-based lines that assign ``signal``, in order; else its declaration, else the header."""
    lines = verdict.drivers.get(signal)
    if lines:
        return [n - 1 for n in lines]
    return _declared(text, signal, top)


def _declared(text: str, signal: str, top: str) -> list[int]:
    pattern = re.compile(rf"\b(?:output|input|inout|reg|wire|logic)\b[^;\n]*\b{re.escape(signal)}\b")
    for number, line in enumerate(text.splitlines()):
        if pattern.search(line):
            return [number]
    return module_line(text, top)


def module_line(text: str, top: str = DEFAULT_TOP) -> list[int]:
    for number, line in enumerate(text.splitlines()):
        if re.search(rf"\bmodule\s+{re.escape(top)}\b", line):
            return [number]
    return []
