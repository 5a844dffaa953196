"""A longer, different test for a design that passed: does it hold, or did it fit the bench?

A patch (or a lucky sample) can pass the bench and still be wrong (CirFix reports 21 plausible vs
16 correct fixes of 32). :func:`holds` judges a design against the reference model with a
generated differential testbench: the same ports, a reset asserted at the start and now and
then, random inputs from another seed, ten times the original's cycles, compared on both clock
edges like the VerilogEval benches, so the oracle reads its mismatches the usual way.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.difftb import testbench
from oracle import Bench, Oracle, Port, SourceText, Verdict
from oracle.scratch import mkdtemp

DEFAULT_CYCLES = 200


@dataclass(frozen=True)
class Held:
    holds: bool | None  # None: could not be judged (no reference, inout ports...)
    reason: str
    verdict: Verdict | None = None


async def holds(oracle: Oracle, design: str, reference: Path, ports: Sequence[Port], *, original_samples: int | None,
                seed: int = 20261201, factor: int = 10) -> Held:
    """Judge ``design`` against ``reference`` (a file defining RefModule) on the longer test."""
    if not ports:
        return Held(None, "no interface to drive")
    cycles = max(DEFAULT_CYCLES, factor * (original_samples or 2 * DEFAULT_CYCLES // factor) // 2)
    try:
        text = testbench(ports, cycles=cycles, seed=seed)
    except ValueError as exc:
        return Held(None, f"no longer test: {exc}")
    folder = mkdtemp("difftest-")
    try:
        tb = folder / "anvil_diff_tb.sv"
        tb.write_text(text)
        bench = Bench(tb, (reference,))
        report = await oracle.check_bench(bench, timeout_s=max(oracle.timeout_s, 60.0))
        if not report.usable:
            why = report.verdict.reason if report.verdict else "no verdict"
            return Held(None, f"the longer test does not run the reference: {why}")
        verdict = await oracle.simulate(SourceText("design.sv", design), bench, timeout_s=max(oracle.timeout_s, 60.0))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if verdict.passed:
        return Held(True, f"{verdict.samples} samples, {cycles} cycles", verdict)
    return Held(False, verdict.reason, verdict)


__all__ = ["Held", "holds", "testbench"]
