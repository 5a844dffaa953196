"""What kind of design a problem asks for, read from its reference (trusted text, not a candidate):
``combinational`` (no clock port), ``fsm`` (a state register stepped through named or numbered
states), ``counter`` (a register that adds or subtracts a constant), else ``sequential``. For
reporting a sweep per class; the order of the tests is the order of precedence."""

from __future__ import annotations

import re

CLASSES = ("combinational", "fsm", "counter", "sequential")

_CLOCK = re.compile(r"\binput\b[^;,)]*?\b(clk|clock)\b")
_STATE = re.compile(r"\b(state|next_state|next|ns|cs|current_state)\b")
_CASE_ON_STATE = re.compile(r"\bcase\s*\(\s*(state|current_state|cs|s)\s*\)")
_COUNT = re.compile(r"(\w+(?:\[[^\]]*\])?)\s*<=\s*\1\s*[+-]\s*(\d+'[dhb])?[0-9a-fA-F]+\b")


def design_class(reference: str) -> str:
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", reference, flags=re.DOTALL)
    if not _CLOCK.search(text):
        return "combinational"
    if _CASE_ON_STATE.search(text) or (_STATE.search(text) and re.search(r"\bparameter\b|\blocalparam\b", text)):
        return "fsm"
    if _COUNT.search(text):
        return "counter"
    return "sequential"


__all__ = ["CLASSES", "design_class"]
