"""``--prefer area``: of the distinct passing candidates, the one with the fewest cells.

Each passing candidate is synthesised (:meth:`oracle.Oracle.synthesise`: Yosys' generic cells,
latches, loops; Verilator's lint); its verdict gains the figures and is recorded again, so the
ledger keeps them for every passing candidate. Latch- and loop-free candidates come first, then
fewer cells, then the earlier candidate. Where synthesis cannot run (no yosys), the first pass
stays the answer and the figures say why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from oracle import Oracle, SourceText, Synthesis

from .values import Candidate


async def synthesised(oracle: Oracle, candidates: Sequence[Candidate], top: str) -> list[Candidate]:
    """``candidates`` with the synthesis figures in their verdicts (twins synthesised once)."""
    gate = asyncio.Semaphore(max(1, oracle.workers))  # Yosys is one process per design: as many as simulations

    async def one(c: Candidate, code: str) -> Synthesis:
        async with gate:
            return await oracle.synthesise(SourceText(f"candidate{c.id}.sv", code), top)

    by_code: dict[str, asyncio.Task[Synthesis]] = {}
    for c in candidates:
        if c.code is not None and c.code not in by_code:
            by_code[c.code] = asyncio.ensure_future(one(c, c.code))
    await asyncio.gather(*by_code.values())
    out = []
    for c in candidates:
        figures = by_code[c.code].result() if c.code is not None else None
        out.append(replace(c, verdict=replace(c.verdict, synthesis=figures)) if figures is not None else c)
    return out


def smallest(candidates: Sequence[Candidate]) -> Candidate | None:
    """The passing candidate ``--prefer area`` answers with (None if none passes)."""
    passing = [c for c in candidates if c.passed]
    if not passing:
        return None
    return min(passing, key=lambda c: (*(c.verdict.synthesis.area_key() if c.verdict.synthesis else (1, 1 << 30)),
                                       c.id))


__all__ = ["smallest", "synthesised"]
