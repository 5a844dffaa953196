"""Designs wrong in K places, made from a correct one by a lexical mutator of its own.

The mutator is independent of the patch search's templates (it works on characters and a small
token scan, not on the syntax tree the search edits): it swaps a binary operator for a sibling,
moves a number by one, negates an ``if`` condition or drops an inversion, at K distinct places
of the module bodies (never in comments, strings, declarations' ranges or the port list).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_SKIP = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"", re.DOTALL)
_SWAPS = {"+": "-", "-": "+", "&": "|", "|": "&", "^": "|", "==": "!=", "!=": "==", "&&": "||", "||": "&&",
          "<": ">", ">": "<"}
_TOKEN = re.compile(r"(?P<op>&&|\|\||==|!=|<<|>>|<=|>=|[+\-&|^<>])|(?P<num>\b\d+'[bdh][0-9a-fA-F]+\b|\b\d+\b)"
                    r"|(?P<if>\bif\s*\()|(?P<inv>~(?=[A-Za-z_(]))")


@dataclass(frozen=True)
class Mutation:
    start: int
    end: int
    replacement: str
    kind: str

    def describe(self, text: str) -> str:
        return f"{self.kind} {text[self.start:self.end]!r} -> {self.replacement!r}"


def _blanked(text: str) -> str:
    """The text with comments and strings blanked out (same length)."""
    return _SKIP.sub(lambda m: " " * len(m.group()), text)


def _bodies(text: str) -> list[tuple[int, int]]:
    """Spans of module bodies: after the header's closing ``);`` up to ``endmodule``."""
    spans = []
    for m in re.finditer(r"\bmodule\b", text):
        head = text.find(");", m.end())
        end = text.find("endmodule", m.end())
        if head != -1 and end != -1 and head < end:
            spans.append((head + 2, end))
    return spans


def mutations(text: str) -> list[Mutation]:
    """Every mutation the mutator can make in ``text``."""
    clean = _blanked(text)
    found: list[Mutation] = []
    for lo, hi in _bodies(clean):
        for m in _TOKEN.finditer(clean, lo, hi):
            line_start = clean.rfind("\n", 0, m.start()) + 1
            line = clean[line_start:m.start()]
            if "[" in line[line.rfind("]") + 1:] or re.match(r"\s*(input|output|wire|reg|logic|parameter|localparam|"
                                                            r"integer|genvar)\b", line):
                continue  # inside a range or a declaration
            if m.group("op"):
                op = m.group("op")
                if op in _SWAPS and clean[m.start() - 1:m.start()] not in "<>=!&|" and \
                        clean[m.end():m.end() + 1] not in "=<>&|":
                    found.append(Mutation(m.start(), m.end(), _SWAPS[op], "operator"))
            elif m.group("num"):
                num = m.group("num")
                if "'" in num:
                    size, rest = num.split("'")
                    base, digits = rest[0], rest[1:]
                    value = int(digits, {"b": 2, "d": 10, "h": 16}[base])
                    width = int(size)
                    new = (value + 1) % (1 << width) if width else value + 1
                    digits_new = {"b": format(new, "b"), "d": str(new), "h": format(new, "x")}[base]
                    found.append(Mutation(m.start(), m.end(), f"{size}'{base}{digits_new}", "literal"))
                elif clean[m.start() - 1:m.start()] not in "#'" and int(num) < 1 << 16:
                    found.append(Mutation(m.start(), m.end(), str(int(num) + 1), "literal"))
            elif m.group("if"):
                close = _matching(clean, m.end() - 1)
                if close is not None:
                    found.append(Mutation(m.end(), close, "!(" + text[m.end():close] + ")", "condition"))
            elif m.group("inv"):
                found.append(Mutation(m.start(), m.end(), "", "inversion"))
    return found


def _matching(text: str, open_at: int) -> int | None:
    depth = 0
    for i in range(open_at, min(len(text), open_at + 2000)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return None


def apply(text: str, chosen: list[Mutation]) -> str:
    for mut in sorted(chosen, key=lambda x: x.start, reverse=True):
        text = text[:mut.start] + mut.replacement + text[mut.end:]
    return text


def pick(text: str, k: int, rng: random.Random) -> list[Mutation] | None:
    """K mutations at places that do not overlap (None: the design has fewer)."""
    pool = mutations(text)
    rng.shuffle(pool)
    chosen: list[Mutation] = []
    for mut in pool:
        if all(mut.end <= c.start or mut.start >= c.end for c in chosen):
            chosen.append(mut)
        if len(chosen) == k:
            return chosen
    return None


__all__ = ["Mutation", "apply", "mutations", "pick"]
