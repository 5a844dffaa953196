"""Judging a finished simulation from what the testbench printed and the waveform it dumped.

Only the testbench's own final result counts, cross-checked with the sample count the
reference model produces; the concrete failing samples come from ``wave.vcd``.
"""

from __future__ import annotations

import re
from pathlib import Path

from .simlog import parse_sim_log
from .vcd import scan
from .verdict import Mismatch, Status, Verdict, score_of

TRACE_WINDOW = 8  # samples shown up to the first mismatch
DUMP = "wave.vcd"  # where a VerilogEval-style bench writes its waveform
LOG_TAIL = 2000


def judge(output: str, returncode: int | None, dump: Path, expected_samples: int | None, limit: int,
          simulator: str) -> Verdict:
    result = parse_sim_log(output)
    common = dict(simulator=simulator, log_tail=output[-LOG_TAIL:])
    samples = result.samples or 0
    mismatched = result.mismatches or 0

    if result.testbench_timeout:
        return Verdict(Status.TIMEOUT, samples=samples, mismatched_samples=mismatched,
                       reason="the testbench's own time limit fired (TIMEOUT) before its stimulus ended",
                       **common)

    if result.samples is not None:
        if expected_samples is not None and result.samples != expected_samples:
            return Verdict(Status.FUNCTIONAL_FAIL, samples=samples, mismatched_samples=mismatched,
                           score=score_of(expected_samples, max(mismatched, expected_samples - samples)),
                           reason=f"the simulation ended after {samples} samples; "
                                  f"the reference produces {expected_samples}", **common)
        if mismatched == 0 and result.failure_count == 0:
            return Verdict(Status.PASS, samples=samples, score=1.0,
                           reason=f"0 mismatches in {samples} samples", **common)
        found, trace = scan(dump, limit, TRACE_WINDOW) if dump.exists() else ([], ())
        if not found:
            found = from_log(result, limit)
        return Verdict(Status.FUNCTIONAL_FAIL, samples=samples, mismatched_samples=mismatched,
                       score=score_of(samples, mismatched), mismatches=tuple(found), trace=trace,
                       reason=f"{mismatched} mismatches in {samples} samples", **common)

    if result.failure_count:
        return Verdict(Status.FUNCTIONAL_FAIL, mismatched_samples=result.failure_count,
                       mismatches=tuple(from_log(result, limit)),
                       reason=f"the testbench reported {result.failure_count} failure(s)", **common)
    if expected_samples is not None:
        return Verdict(Status.FUNCTIONAL_FAIL,
                       reason="the testbench printed no result line (the simulation ended early?)", **common)
    if result.passed_line and returncode == 0:
        return Verdict(Status.PASS, score=1.0, reason="the testbench reported PASS", **common)
    last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
    return Verdict(Status.ERROR,
                   reason="the testbench printed no result: it must print 'Mismatches: N in M samples' "
                          "or PASS/ERROR lines" + (f" (last output: {last[:200]})" if last else ""), **common)


def from_log(result, limit: int) -> list[Mismatch]:
    """Failures the testbench printed itself (hints, ERROR lines) when there is no dump."""
    out: list[Mismatch] = []
    for hint in result.hints:
        # Hint: Output 'q' has 12 mismatches. First mismatch occurred at time 160.
        if "has no mismatches" in hint or "mismatches" not in hint or "Output '" not in hint:
            continue
        signal = hint.split("Output '", 1)[1].split("'", 1)[0]
        at = hint.rsplit("time", 1)[-1].strip(" .")
        out.append(Mismatch(time=int(at) if at.isdigit() else None, cycle=None, edge=None, signal=signal,
                            expected=None, actual=None, text=hint))
    for at, line in result.failures:
        m = _EXPECTED_GOT.search(line)
        signal, expected, actual = m.groups() if m else (None, None, None)
        rest = line[m.end():] if m else ""
        inputs = {k: v for k, v in _ASSIGNMENT.findall(rest) if k.lower() not in ("exp", "act", "time", "t")}
        out.append(Mismatch(time=at, cycle=None, edge=None, signal=signal, expected=expected, actual=actual,
                            inputs=inputs, text=line))
    return out[:limit]


#: "q expected 4'h3 got 4'h5", "out: expected 1, but got 0", "sum exp=3 act=5"
_EXPECTED_GOT = re.compile(
    r"\b([A-Za-z_][\w.\[\]]*)\s*[:=]?\s*(?:expected|exp)\s*[:=]?\s*([\w']+?),?\s+"
    r"(?:but\s+)?(?:got|actual|act|is|was)\s*[:=]?\s*([\w']+)", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*([\w']+)")
