"""When to stop reading a streamed answer early: a small model's ways of wasting a slow CPU.

- ``repetition``: the answer has fallen into a loop, the same stretch of text over and over
  (a degenerate sample; it would otherwise run to ``max_tokens``);
- ``testbench``: the design is written and the model goes on with a testbench of its own
  (``endmodule`` followed by ``module tb``/``test``/``bench``), which Anvil never uses.

Both only cut text a finished answer would have to discard; the cut answer keeps what came
before the waste.
"""

from __future__ import annotations

import re

#: a repetition is a stretch of 1..MAX_PERIOD characters repeated back to back at least
#: MIN_REPEATS times and covering at least MIN_SPAN characters at the end of the answer
MAX_PERIOD = 240
MIN_REPEATS = 4
MIN_SPAN = 600

_BENCH_AFTER_DESIGN = re.compile(
    r"\bendmodule\b\s*(?://[^\n]*\n\s*)*(?:`timescale[^\n]*\n\s*)?module\s+(?:(?:tb|test|bench)\w*|\w*_(?:tb|test|testbench|bench))\b",
    re.IGNORECASE)


def repetition(text: str) -> int | None:
    """The period of a loop the answer ends in (None: it does not end in one)."""
    tail = text[-(MAX_PERIOD * MIN_REPEATS + MIN_SPAN):]
    n = len(tail)
    if n < MIN_SPAN:
        return None
    for period in range(1, MAX_PERIOD + 1):
        repeats = max(MIN_REPEATS, -(-MIN_SPAN // period))
        span = period * repeats
        if span > n:
            break
        unit = tail[n - period:]
        if tail[n - span:] == unit * repeats:
            return period
    return None


def runaway(text: str) -> str | None:
    """Why the answer should stop here ("repetition", "testbench"), or None to read on."""
    if repetition(text) is not None:
        return "repetition"
    if _BENCH_AFTER_DESIGN.search(text):
        return "testbench"
    return None


def trim(text: str, reason: str) -> str:
    """The useful part of an answer cut for ``reason``: a loop is kept once, a bench dropped."""
    if reason == "testbench":
        match = _BENCH_AFTER_DESIGN.search(text)
        if match:
            end = text.find("endmodule", match.start()) + len("endmodule")
            return text[:end] + "\n"
    if reason == "repetition":
        period = repetition(text)
        if period:
            while len(text) >= 2 * period and text[-period:] == text[-2 * period:-period]:
                text = text[:-period]
    return text


__all__ = ["MAX_PERIOD", "MIN_REPEATS", "MIN_SPAN", "repetition", "runaway", "trim"]
