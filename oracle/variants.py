"""Variants of one design judged with one compilation (mutant schemata).

A *schema* is a design in which several variants of some statements sit side by side, each
guarded by a comparison with a *selector*: a 32-bit variable the oracle names and declares with
a random marker as its initial value (:class:`Selector`). The schema goes through every check a
design does (preprocessor, the design alone under a neutral top, its image read, the screen):
every variant's code is in it, so what the schema may do bounds what any variant may. Then its
image is run once per choice with the marker's initial value replaced by the choice (the
simulator's ``select``): the variable holds the choice before any process starts, never
changes, and each run is judged as an ordinary one. Choice 0 selects no variant.

Which statements may carry variants, and how, is the caller's business (the patch search's
:mod:`engine.patch.schema`); the oracle only promises that choice ``k`` runs the code under
``k`` and that every run keeps the oracle's guarantees (sandbox, deadline, judgement).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

#: at most this many choices in one schema (each is one simulation)
MAX_VARIANTS = 512


@dataclass(frozen=True)
class Selector:
    name: str
    marker: int  # the initial value in the compiled image, replaced per run

    @classmethod
    def fresh(cls) -> Selector:
        return cls(f"anvil_choice_{secrets.token_hex(6)}", (1 << 30) + secrets.randbelow(1 << 30))

    def declaration(self) -> str:
        """The line that declares the selector, once in each module that has variants."""
        return f"reg [31:0] {self.name} = 32'd{self.marker};"

    def test(self, choice: int) -> str:
        """An expression true in the run of ``choice`` alone."""
        return f"({self.name} == 32'd{choice})"


def choice_of(text: str) -> int | None:
    m = re.fullmatch(r"\d+", text.strip())
    return int(m.group()) if m else None


__all__ = ["MAX_VARIANTS", "Selector", "choice_of"]
