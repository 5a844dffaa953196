"""Ports and the module name as specs write them, in their common forms.

- declarations: ``input [7:0] d``, ``- output q (4 bits)``, ``input logic clk``;
- sections: a heading ``Input ports:`` / ``Outputs:`` / ``## Inputs`` / ``**Output ports**``,
  then one port a line: ``a[7:0]: 8-bit operand``, ``cin: carry in``, ``- `q` (4 bits)``,
  ``clk (input): clock``, ``a (input [31:0]): ...``, widths from ``[msb:lsb]`` or "N-bit" /
  "N bits" in the description;
- markdown tables with a name column and a direction column (and a width column, if any);
- ``Module name: adder_8bit``.

Names are kept as written; widths that are not numbers (``[N-1:0]``) are 0 (unknown).
"""

from __future__ import annotations

import re

from oracle import Port

_DECL = re.compile(
    r"^[ \t]*(?:[-*+][ \t]*)?`?(input|output|inout)[ \t]+(?:(?:wire|reg|logic|signed|unsigned)[ \t]+)*"
    r"(?:\[[ \t]*(\d+)[ \t]*:[ \t]*(\d+)[ \t]*\][ \t]*)?([A-Za-z_]\w*)`?[ \t]*(?:\((\d+)[ \t]*bits?\))?[ \t]*(.?)",
    re.IGNORECASE | re.MULTILINE)
_HEADING = re.compile(r"^[ \t]*(?:#+[ \t]*|\*\*)?(input|output|inout)s?(?:[ \t]+(?:ports?|signals?|pins?))?"
                      r"[ \t]*(?:\*\*)?[ \t]*[:：]?[ \t]*(?:\*\*)?[ \t]*$", re.IGNORECASE)
_OTHER_HEADING = re.compile(r"^[ \t]*(?:#+[ \t]*\S|\*\*[^*]+\*\*[ \t]*:?[ \t]*$|[A-Z][\w /-]{0,40}:[ \t]*$)")
_ITEM = re.compile(
    r"^[ \t]*(?:[-*+•][ \t]*|\d+[.)][ \t]*)?`?(?P<names>[A-Za-z_]\w*(?:`?[ \t]*,[ \t]*`?[A-Za-z_]\w*){0,16})`?[ \t]*"
    r"(?:\[[ \t]*(?P<msb>[^\]:]+?)[ \t]*:[ \t]*(?P<lsb>[^\]]+?)[ \t]*\])?`?[ \t]*"
    r"(?:\((?P<paren>[^)]*)\))?[ \t]*(?:[:\-–—：]|$)[ \t]*(?P<desc>.*)$")
_BITS = re.compile(r"\b(\d{1,5})[ \t]*-?[ \t]*bits?\b|\bwidth of[ \t]*(\d{1,5})\b", re.IGNORECASE)
_SYMBOLIC_RANGE = re.compile(r"\[[^\]:]*[A-Za-z_][^\]]*:[^\]]*\]")
_ONE_BIT = re.compile(r"\b(?:one|single)[ \t-]+bit\b", re.IGNORECASE)
_RANGE = re.compile(r"\[[ \t]*(\d+)[ \t]*:[ \t]*(\d+)[ \t]*\]")
_MODULE = re.compile(r"^[ \t]*(?:[-*][ \t]*)?(?:\*\*)?module[ \t]+name(?:\*\*)?[ \t]*:?[ \t]*(?:\*\*)?[ \t]*\n?[ \t]*"
                     r"`?([A-Za-z_]\w*)`?", re.IGNORECASE | re.MULTILINE)
_NOT_NAMES = frozenset({"ports", "port", "signals", "signal", "pins", "none", "input", "output", "inputs",
                        "outputs", "inout", "the", "and", "or", "note", "implementation", "parameters",
                        # English words prose puts after "input"/"output" ("the output of the first ...")
                        "of", "an", "to", "from", "with", "is", "are", "for", "at", "by", "as", "that", "this",
                        "which", "its", "be", "will", "should", "must"})


def ports_from_spec(spec: str) -> tuple[Port, ...]:
    """The ports a spec lists, in order of first mention."""
    ports: dict[str, Port] = {}
    for m in _DECL.finditer(spec):
        direction, msb, lsb, name, bits, after = m.groups()
        if name.lower() in _NOT_NAMES or after.isalnum():  # prose: "input combinations that ..."
            continue
        width = int(bits) if bits else (abs(int(msb) - int(lsb)) + 1 if msb is not None else 1)
        if after == ":" and not bits and msb is None:  # "input a: 8-bit operand": the description's width
            end = spec.find("\n", m.end())
            width = _width(None, None, spec[m.end():end if end >= 0 else None], default=1)
        ports.setdefault(name, Port(name, direction.lower(), width))
    for port in (*_sections(spec), *_tables(spec)):
        ports.setdefault(port.name, port)
    return tuple(ports.values())


_NAMED = re.compile(r"\bmodule\s+(?:named|called)\s+[`'\"*]*([A-Za-z_]\w*)", re.IGNORECASE)


def module_from_spec(spec: str) -> str | None:
    """The module name a spec gives (``Module name: x``, ``a module named `x```), if it gives one."""
    for pattern in (_MODULE, _NAMED):
        m = pattern.search(spec)
        if m and m.group(1).lower() not in ("is", "the", "should"):
            return m.group(1)
    return None


def _width(msb: str | None, lsb: str | None, text: str, default: int = 0) -> int:
    """From ``[msb:lsb]``, else a range or "N-bit" in ``text``; 0 for a symbolic range."""
    if msb is not None and lsb is not None:
        if msb.strip().isdigit() and lsb.strip().isdigit():
            return abs(int(msb) - int(lsb)) + 1
        return 0
    r = _RANGE.search(text)
    if r:
        return abs(int(r.group(1)) - int(r.group(2))) + 1
    if _SYMBOLIC_RANGE.search(text):
        return 0
    b = _BITS.search(text)
    if b:
        return int(b.group(1) or b.group(2))
    if _ONE_BIT.search(text):
        return 1
    return default


def _sections(spec: str) -> list[Port]:
    out: list[Port] = []
    direction: str | None = None
    blank = False
    for line in spec.splitlines():
        h = _HEADING.match(line)
        if h:
            direction, blank = h.group(1).lower(), False
            continue
        if direction is None:
            continue
        if not line.strip():
            blank = True
            continue
        item = _ITEM.match(line)
        names = [n.strip(" \t`") for n in item.group("names").split(",")] if item else []
        if item is None or names[0].lower() in _NOT_NAMES or (blank and not line[:1].isspace()):
            if _OTHER_HEADING.match(line) or blank:
                direction = None
            continue
        paren = item.group("paren") or ""
        d = direction
        said = re.match(r"[ \t]*(input|output|inout)\b", paren, re.IGNORECASE)
        if said:
            d = said.group(1).lower()
        width = _width(item.group("msb"), item.group("lsb"), paren + " " + item.group("desc"))
        out.extend(Port(name, d, width) for name in names if name.lower() not in _NOT_NAMES)
        blank = False
    return out


def _tables(spec: str) -> list[Port]:
    out: list[Port] = []
    header: list[str] | None = None
    for line in spec.splitlines():
        cells = [c.strip().strip("`*") for c in line.strip().strip("|").split("|")] if "|" in line else None
        if cells is None:
            header = None
            continue
        if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            continue
        lowered = [c.lower() for c in cells]
        if header is None:
            if any(c in ("name", "port", "signal", "port name", "signal name") for c in lowered) and \
                    any(c in ("direction", "dir", "type", "i/o", "io") for c in lowered):
                header = lowered
            continue
        row = dict(zip(header, cells))
        name = next((row[k] for k in ("name", "port", "signal", "port name", "signal name") if k in row), "")
        kind = next((row[k] for k in ("direction", "dir", "type", "i/o", "io") if k in row), "").lower()
        d = "input" if kind.startswith("in") and not kind.startswith("inout") else (
            "output" if kind.startswith("out") else ("inout" if kind.startswith("inout") else None))
        if not re.fullmatch(r"[A-Za-z_]\w*", name) or d is None:
            continue
        width_text = next((row[k] for k in ("width", "bits", "size", "width (bits)") if k in row), "")
        width = int(width_text) if width_text.isdigit() else _width(None, None, " ".join(cells[1:]))
        out.append(Port(name, d, width))
    return out
