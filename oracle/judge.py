"""Judging a finished simulation from what the testbench printed and the waveform it dumped.

Only the testbench's own final result counts, cross-checked with the sample count the
reference model produces; the concrete failing samples come from ``wave.vcd``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .results import Rule
from .simlog import SimResult, parse_sim_log
from .vcd import read_run
from .verdict import Mismatch, RunLog, Status, Verdict, score_of

TRACE_WINDOW = 8  # samples shown up to the first mismatch
DUMP = "wave.vcd"  # where a VerilogEval-style bench writes its waveform
LOG_TAIL = 2000


def judge(output: str, returncode: int | None, dump: Path, expected_samples: int | None, limit: int,
          simulator: str, *, rule: Rule = Rule(), ports: Mapping[str, str] | None = None,
          until: float | None = None, agreement: bool = False) -> Verdict:
    """The verdict of a finished run from the bench's output (``rule``: the design's pass and
    failure patterns; ``ports``: the design's port directions, to name signals in failure lines;
    ``until``: when reading the waveform for failing samples stops, ``time.monotonic()``;
    ``agreement``: a failing run's verdict also carries the agreement figures, read in the same
    pass over the waveform)."""
    result = parse_sim_log(output, rule=rule, ports=ports)
    common: RunLog = {"simulator": simulator, "log_tail": output[-LOG_TAIL:]}
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
        # with ``agreement``, the figures over the whole run from the same reading of the waveform
        found, trace, agree = read_run(dump, limit, TRACE_WINDOW, until, whole=agreement)
        if not found:
            found = from_log(result, limit)
        return Verdict(Status.FUNCTIONAL_FAIL, samples=samples, mismatched_samples=mismatched,
                       score=score_of(samples, mismatched), mismatches=tuple(found), trace=trace, agreement=agree,
                       reason=f"{mismatched} mismatches in {samples} samples", **common)

    if result.failure_count:
        total = result.total or 0
        first = result.failures[0].line if result.failures else ""
        return Verdict(Status.FUNCTIONAL_FAIL, samples=total, mismatched_samples=result.failure_count,
                       score=score_of(total, result.failure_count) if total >= result.failure_count else 0.0,
                       mismatches=tuple(from_log(result, limit)),
                       reason=f"the testbench reported {result.failure_count} failure(s)"
                              + (f": {first[:160]}" if first else ""), **common)
    if expected_samples is not None:
        return Verdict(Status.FUNCTIONAL_FAIL,
                       reason="the testbench printed no result line (the simulation ended early?)", **common)
    if result.passed_line and returncode == 0:
        return Verdict(Status.PASS, score=1.0, reason="the testbench reported a pass and no failure", **common)
    if result.passed_line:
        return Verdict(Status.FUNCTIONAL_FAIL, reason=f"the simulator exited with code {returncode} after the "
                                                      "testbench reported a pass", **common)
    last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
    return Verdict(Status.FUNCTIONAL_FAIL,
                   reason="the testbench printed no pass or failure line in this run (did the simulation end "
                          "before its checks?)" + (f"; its last line: {last[:200]}" if last else ""), **common)


def from_log(result: SimResult, limit: int) -> list[Mismatch]:
    """Failures the testbench printed itself (hints, failure lines) when there is no dump."""
    out: list[Mismatch] = []
    for hint in result.hints:
        # Hint: Output 'q' has 12 mismatches. First mismatch occurred at time 160.
        if "has no mismatches" in hint or "mismatches" not in hint or "Output '" not in hint:
            continue
        signal = hint.split("Output '", 1)[1].split("'", 1)[0]
        at = hint.rsplit("time", 1)[-1].strip(" .")
        out.append(Mismatch(time=int(at) if at.isdigit() else None, cycle=None, edge=None, signal=signal,
                            expected=None, actual=None, text=hint))
    for failure in result.failures:
        v = failure.values
        out.append(Mismatch(time=v.time, cycle=None, edge=None, signal=v.signal, expected=v.expected,
                            actual=v.actual, inputs=dict(v.inputs), text=failure.line))
    return out[:limit]
