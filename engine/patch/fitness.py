"""How close a candidate is, for the patch search: CirFix-style, not the fraction of samples.

One wrong state transition makes every later sample of a sequential design fail, so the
fraction of matching samples says little about how near a design is. Larger is better:

1. the verdict's class (pass > functional failure > compile error > timeout);
2. how late the first mismatch comes (its time over the run's length);
3. the share of outputs that never mismatch;
4. the share of output bits that match, over every sample;
5. the share of samples that match.

For a combinational design the first mismatch is only the first input pattern it gets wrong,
so the share of matching bits comes first. A child counts as better (:func:`improves`) only if
it is fitter and matches nearly as many bits as its parent: a constant that delays the first
mismatch while getting everything else wrong is not progress.
"""

from __future__ import annotations

from oracle import Status, Verdict

_CLASS = {Status.PASS: 4, Status.FUNCTIONAL_FAIL: 3, Status.COMPILE_ERROR: 2, Status.TIMEOUT: 1, Status.ERROR: 0}


BIT_SLACK = 0.05
#: ordered: larger is fitter (a status class first, then the measures that class has)
Fitness = tuple[float, ...]


def fitness(verdict: Verdict, *, sequential: bool = True) -> Fitness:
    cls = _CLASS[verdict.status]
    if verdict.status is Status.PASS:
        return (cls, 1.0, 1.0, 1.0, 1.0)
    if verdict.status is Status.COMPILE_ERROR:
        return (cls, -len(verdict.compile_errors), 0.0, 0.0, 0.0)
    if verdict.status is not Status.FUNCTIONAL_FAIL:
        return (cls, 0.0, 0.0, 0.0, 0.0)
    a = verdict.agreement
    if a is None or not a.samples:
        return (cls, 0.0, 0.0, 0.0, verdict.score)
    end = a.end_time or 1
    late = 1.0 if a.first_time is None else min(1.0, a.first_time / end)
    outputs = a.outputs
    clean = sum(1 for o in outputs.values() if o.samples == 0) / len(outputs) if outputs else 0.0
    bits = a.bits
    if not sequential:
        return (cls, round(bits, 6), round(clean, 6), round(late, 6), verdict.score)
    return (cls, round(late, 6), round(clean, 6), round(bits, 6), verdict.score)


def bit_agreement(verdict: Verdict) -> float:
    """The share of output bits that match over every sample (0 when unknown)."""
    a = verdict.agreement
    if verdict.passed:
        return 1.0
    if a is None or not a.samples:
        return verdict.score
    return a.bits


def improves(child: Verdict, parent: Verdict, *, sequential: bool = True) -> bool:
    if fitness(child, sequential=sequential) <= fitness(parent, sequential=sequential):
        return False
    if child.passed or child.status is not parent.status:
        return True
    return bit_agreement(child) >= bit_agreement(parent) - BIT_SLACK


def weights(verdict: Verdict) -> dict[str, float]:
    """How much each output is to blame: its share of the wrong samples (from the agreement,
    else from the reported mismatches)."""
    a = verdict.agreement
    if a is not None and a.outputs:
        wrong = {k: v.samples for k, v in a.outputs.items() if v.samples}
    else:
        wrong = {}
        for m in verdict.mismatches:
            if m.signal:
                wrong[m.signal] = wrong.get(m.signal, 0) + 1
    total = sum(wrong.values())
    return {k: v / total for k, v in wrong.items()} if total else {}


__all__ = ["bit_agreement", "fitness", "improves", "weights"]
