"""What every edit template shares: the :class:`Edit` value, applying edits, and the helpers
that turn a span of the candidate's source into an edit (see :mod:`engine.patch.edits`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .source import Source, _ps


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str
    template: str
    line: int
    note: str
    score: float = 0.0

    def overlaps(self, other: Edit) -> bool:
        return self.start < other.end and other.start < self.end

    def describe(self) -> str:
        return f"line {self.line}: {self.template}: {self.note}"


def apply(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with every edit applied (they must not overlap)."""
    out = text
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[:e.start] + e.text + out[e.end:]
    return out


RESET_NAMES = re.compile(r"^(a?reset|a?rst|reset_?n|rst_?n|areset_?n|clear|clr|sr|ar)$", re.IGNORECASE)
CLOCK_NAMES = re.compile(r"(clk|clock)", re.IGNORECASE)


class TemplateBase:
    """The candidate's source and the helpers the templates share."""

    def __init__(self, source: Source) -> None:
        self.s = source
        self.ps = _ps()
        self.K = self.ps.syntax.SyntaxKind
        self.T = self.ps.parsing.TokenKind

    # -- helpers -------------------------------------------------------------------------------

    def edit(self, start: int, end: int, text: str, template: str, note: str, score: float) -> Edit:
        return Edit(start, end, text, template, self.s.line_of(start), note, score)

    def replace_node(self, node: Any, text: str, template: str, score: float, note: str | None = None) -> Edit:
        start, end = self.s.span(node)
        old = self.s.text[start:end]
        return self.edit(start, end, text, template, note or f"{_short(old)} -> {_short(text)}", score)

    def token_span(self, token: Any) -> tuple[int, int]:
        start = token.location.offset
        return start, start + len(token.rawText)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["CLOCK_NAMES", "Edit", "RESET_NAMES", "TemplateBase", "apply"]
