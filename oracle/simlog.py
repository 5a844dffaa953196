"""Reading what Icarus and the testbench printed: compile errors and the simulation result.

What a testbench must print to work with Anvil (see README, "Testbenches"):

- ``Mismatches: N in M samples`` as its last result line (VerilogEval style), N = 0 meaning
  pass; or
- a line containing ``PASS``/``PASSED`` when every check passed, and for each failure a line
  starting with ``ERROR``/``FAIL``/``FAILED`` or a ``$error``/``$fatal`` call.

Only the last ``Mismatches:`` line counts; a testbench line ``TIMEOUT`` means the testbench gave up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
_FAIL_LINE = re.compile(r"^\s*(?:\*+\s*)?(?:ERROR|FAIL|FAILED|FATAL)\b", re.IGNORECASE)
_PASS_LINE = re.compile(r"\b(?:PASS|PASSED)\b")
_TIME = re.compile(r"(?:\btime\s*[=:]?\s*|@\s*|\bt\s*=\s*)(\d+)", re.IGNORECASE)
_ICARUS_ASSERT_TIME = re.compile(r"^\s*Time:\s*(\d+)\s+Scope:")


@dataclass(frozen=True)
class SimResult:
    """What the testbench said about the run."""

    mismatches: int | None  # from the last "Mismatches: N in M samples"
    samples: int | None
    failures: tuple[tuple[int | None, str], ...]  # (time if printed, line): the first few
    failure_count: int  # all failure lines
    passed_line: bool  # printed PASS/PASSED
    testbench_timeout: bool  # printed TIMEOUT
    hints: tuple[str, ...]  # VerilogEval "Hint:" lines


def parse_sim_log(output: str, max_failures: int = 64) -> SimResult:
    mismatches = samples = None
    failures: list[tuple[int | None, str]] = []
    failure_count = 0
    passed_line = False
    tb_timeout = False
    hints: list[str] = []
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = _RESULT.search(line)
        if m:
            mismatches, samples = int(m.group(1)), int(m.group(2))
            continue
        stripped = line.strip()
        if stripped == "TIMEOUT":
            tb_timeout = True
        elif stripped.startswith("Hint:"):
            hints.append(stripped)
        elif _FAIL_LINE.match(line):
            failure_count += 1
            if len(failures) < max_failures:
                time = None
                tm = _TIME.search(line)
                if tm:
                    time = int(tm.group(1))
                elif i + 1 < len(lines):
                    am = _ICARUS_ASSERT_TIME.match(lines[i + 1])
                    if am:
                        time = int(am.group(1))
                failures.append((time, stripped))
        elif _PASS_LINE.search(line):
            passed_line = True
    return SimResult(mismatches, samples, tuple(failures), failure_count, passed_line, tb_timeout, tuple(hints))
