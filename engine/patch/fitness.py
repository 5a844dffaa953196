"""How close a candidate is, for the patch search: CirFix-style, not the fraction of samples.

One wrong state transition makes every later sample of a sequential design fail, so the
fraction of matching samples says little about how near a design is. Larger is better:

1. the verdict's class (pass > functional failure > compile error > timeout);
2. how late the first mismatch comes (its time over the run's length);
3. the share of outputs that never mismatch;
4. the share of output bits that match, over every sample;
5. the share of samples that match.
"""

from __future__ import annotations

from oracle import Status, Verdict

_CLASS = {Status.PASS: 4, Status.FUNCTIONAL_FAIL: 3, Status.COMPILE_ERROR: 2, Status.TIMEOUT: 1, Status.ERROR: 0}


def fitness(verdict: Verdict) -> tuple:
    cls = _CLASS[verdict.status]
    if verdict.status is Status.PASS:
        return (cls, 1.0, 1.0, 1.0, 1.0)
    if verdict.status is Status.COMPILE_ERROR:
        return (cls, -len(verdict.compile_errors), 0.0, 0.0, 0.0)
    if verdict.status is not Status.FUNCTIONAL_FAIL:
        return (cls, 0.0, 0.0, 0.0, 0.0)
    a = verdict.agreement
    if not a or not a.get("samples"):
        return (cls, 0.0, 0.0, 0.0, verdict.score)
    end = a.get("end_time") or 1
    first = a.get("first_time")
    late = 1.0 if first is None else min(1.0, first / end)
    outputs = a.get("outputs", {})
    clean = sum(1 for o in outputs.values() if o["samples"] == 0) / len(outputs) if outputs else 0.0
    bits_total = sum(o["width"] for o in outputs.values()) * a["samples"]
    bits = 1.0 - sum(o["bits"] for o in outputs.values()) / bits_total if bits_total else 0.0
    return (cls, round(late, 6), round(clean, 6), round(bits, 6), verdict.score)


def weights(verdict: Verdict) -> dict[str, float]:
    """How much each output is to blame: its share of the wrong samples (from the agreement,
    else from the reported mismatches)."""
    a = verdict.agreement
    if a and a.get("outputs"):
        wrong = {k: v["samples"] for k, v in a["outputs"].items() if v["samples"]}
    else:
        wrong = {}
        for m in verdict.mismatches:
            if m.signal:
                wrong[m.signal] = wrong.get(m.signal, 0) + 1
    total = sum(wrong.values())
    return {k: v / total for k, v in wrong.items()} if total else {}


__all__ = ["fitness", "weights"]
