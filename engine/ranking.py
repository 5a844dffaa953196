"""Ordering candidates: pass, then score, then compile errors, then timeouts."""

from __future__ import annotations

from typing import Any

from oracle import Status, Verdict

Rank = tuple[int, float, int]

_ORDER = {Status.PASS: 4, Status.FUNCTIONAL_FAIL: 3, Status.COMPILE_ERROR: 2, Status.TIMEOUT: 1, Status.ERROR: 0}


def rank(verdict: Verdict) -> Rank:
    """Larger is better."""
    if verdict.status is Status.FUNCTIONAL_FAIL:
        return (_ORDER[verdict.status], verdict.score, -verdict.mismatched_samples)
    if verdict.status is Status.COMPILE_ERROR:
        return (_ORDER[verdict.status], 0.0, -len(verdict.compile_errors))
    return (_ORDER[verdict.status], 0.0, 0)


#: the adaptive policy samples more while the best candidate gets fewer output bits right than this
FAR_BITS = 0.6


def far_from_passing(verdict: Verdict) -> bool:
    """Nothing that simulates, or fewer than ``FAR_BITS`` of the output bits right (a compile
    error is not far: its repair is concrete)."""
    if verdict.status is Status.COMPILE_ERROR:
        return False
    if verdict.status is not Status.FUNCTIONAL_FAIL:
        return True
    a = verdict.agreement
    return (a.bits if a is not None and a.samples else verdict.score) < FAR_BITS


def signature(verdict: Verdict) -> tuple[Any, ...]:
    """What a failure looks like, to tell apart candidates that fail the same way."""
    if verdict.status is Status.COMPILE_ERROR:
        return (verdict.status.value, tuple(e.message for e in verdict.compile_errors[:3]))
    if verdict.status is Status.FUNCTIONAL_FAIL:
        return (verdict.status.value, verdict.mismatched_samples,
                tuple((m.time, m.signal, m.actual) for m in verdict.mismatches[:4]))
    return (verdict.status.value,)
