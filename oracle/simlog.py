"""Reading what Icarus and the testbench printed: compile errors and the simulation result.

What a testbench prints (see README, "Testbenches"): ``Mismatches: N in M samples`` as its last
result line (VerilogEval style, N = 0 meaning pass; only the last one counts), or pass and
failure lines in the forms :mod:`oracle.results` recognises. A line ``TIMEOUT`` means the
testbench gave up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .results import LINE_CHARS, Rule, Said, Values, read_line, values_in
from .verdict import CompileError

_DIAG = re.compile(
    r"^(?P<file>[^:\s][^:]*?):(?P<line>\d+):\s*(?:(?P<kind>error|syntax error|sorry|warning)\s*:?\s*)?(?P<msg>.*)$"
)
_BARE_ERROR = re.compile(r"^(?:error|sorry):\s*(?P<msg>.+)$")
_NOISE = re.compile(r"^(?:\d+ error\(s\) during elaboration\.|Elaboration failed|I give up\.|"
                    r"\s*:\s*Perhaps ``-s .*)$")


def parse_compile_errors(output: str) -> tuple[CompileError, ...]:
    """Errors (and 'sorry: not yet supported') from iverilog output; warnings are dropped."""
    errors: list[CompileError] = []
    last_kept = False
    for raw in output.splitlines():
        line = raw.rstrip()
        if not line or _NOISE.match(line):
            last_kept = False
            continue
        m = _DIAG.match(line)
        if m:
            kind = m.group("kind") or ""
            msg = m.group("msg").strip()
            if kind == "warning" or (not kind and msg.startswith("warning")):
                last_kept = False
                continue
            if msg.startswith(":") and errors and last_kept:
                # continuation printed with a location, e.g. "cand.sv:4:      : It was declared here"
                prev = errors[-1]
                errors[-1] = CompileError(prev.file, prev.line, f"{prev.message} {msg.lstrip(': ').strip()}")
                continue
            if kind == "syntax error":
                msg = "syntax error" + (f": {msg}" if msg else "")
            elif kind == "sorry":
                msg = "sorry: " + msg
            elif not kind and not msg:
                msg = "error"
            errors.append(CompileError(m.group("file"), int(m.group("line")), msg))
            last_kept = True
            continue
        m = _BARE_ERROR.match(line)
        if m:
            errors.append(CompileError(None, None, line))
            last_kept = True
            continue
        stripped = line.strip()
        if last_kept and errors and (raw[:1].isspace() or stripped.startswith(":")):
            prev = errors[-1]
            errors[-1] = CompileError(prev.file, prev.line, f"{prev.message} {stripped.lstrip(': ').strip()}")
            continue
        if "Module" in line and "was already declared here" in line:
            errors.append(CompileError(None, None, line))
            last_kept = True
            continue
        last_kept = False
    if not errors and output.strip():
        # a failed compile we cannot parse: keep its last meaningful line as evidence
        tail = [ln for ln in output.splitlines() if ln.strip()]
        errors.append(CompileError(None, None, tail[-1].strip()))
    return tuple(errors)


_RESULT = re.compile(r"Mismatches:\s*(\d+)\s+in\s+(\d+)\s+samples")
_ICARUS_ASSERT_TIME = re.compile(r"^\s*Time:\s*(\d+)\s+Scope:")
#: lines whose values are read (each costs at most a few hundred microseconds)
VALUE_LINES = 256


@dataclass(frozen=True)
class Failure:
    """One failure line the testbench printed, with what it says about values."""

    line: str
    values: Values


@dataclass(frozen=True)
class SimResult:
    """What the testbench said about the run."""

    mismatches: int | None  # from the last "Mismatches: N in M samples"
    samples: int | None
    failures: tuple[Failure, ...]  # the first few failure lines
    failure_count: int  # failures: the largest count a line states ("3 failures"), else the failure lines
    passed_line: bool  # printed a pass line (results.read_line)
    testbench_timeout: bool  # printed TIMEOUT
    hints: tuple[str, ...]  # VerilogEval "Hint:" lines
    #: the total a count line states ("3 / 100 failures": 100), if any
    total: int | None = None


def parse_sim_log(output: str, max_failures: int = 64, *, rule: Rule = Rule(),
                  ports: Mapping[str, str] | None = None) -> SimResult:
    """Read the bench's output under the result-line rule (:mod:`oracle.results`); ``ports``
    (name -> direction) helps name the signal of a value-carrying failure line."""
    mismatches = samples = None
    failures: list[Failure] = []
    failure_lines = 0
    stated: int | None = None
    total: int | None = None
    passed_line = False
    tb_timeout = False
    hints: list[str] = []
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = _RESULT.search(line[:LINE_CHARS])
        if m:
            mismatches, samples = int(m.group(1)), int(m.group(2))
            continue
        stripped = line.strip()
        if stripped == "TIMEOUT":
            tb_timeout = True
            continue
        if stripped.startswith("Hint:"):
            hints.append(stripped[:LINE_CHARS])
            continue
        reading = read_line(line, rule)
        if reading.said is Said.PASS:
            passed_line = True
        elif reading.said is Said.FAIL:
            failure_lines += 1
            if reading.count is not None:
                stated = max(stated or 0, reading.count)
                total = reading.total or total
            if len(failures) < max_failures:
                values = (values_in(stripped, ports) if len(failures) < VALUE_LINES
                          else Values(None, None, None, {}, None))
                if values.time is None and i + 1 < len(lines):
                    am = _ICARUS_ASSERT_TIME.match(lines[i + 1][:LINE_CHARS])
                    if am:
                        values = replace(values, time=int(am.group(1)))
                failures.append(Failure(stripped[:LINE_CHARS], values))
    count = stated if stated is not None else failure_lines
    return SimResult(mismatches, samples, tuple(failures), count, passed_line, tb_timeout, tuple(hints), total)
