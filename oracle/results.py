"""What a testbench's printed lines say: pass, failure, or nothing (the result-line rule).

Real benches print their own verdicts. Each line of the simulation's output is read once, in
linear time (at most :data:`LINE_CHARS` characters of it), case-insensitively, after stripping
banner characters (``=*#~+!<>|[]:-_`` and spaces) from both ends:

1. **Counts.** ``N failures`` / ``N errors`` / ``N mismatches`` / ``N tests failed`` /
   ``N / M failures`` / ``N of M vectors failed`` and ``errors: N`` / ``failures = N`` / ``error count: N``: a failure
   line when N > 0, a pass line when N = 0 ("Test completed with 0 failures", "no errors").
2. **Failure lines.** The line starts with ``error``, ``fail``, ``failed``, ``failure``,
   ``fatal``, ``mismatch``, ``wrong`` or ``incorrect`` (``$error`` and ``$fatal`` print
   ``ERROR:``/``FATAL:``); or has one of ``FAIL``, ``FAILED``, ``FAILURE``, ``ERROR``,
   ``FATAL``, ``MISMATCH`` in capitals anywhere; or says that a test, check, case, vector or
   assertion failed or mismatched ("Test failed: A = 3"); or "does not match"; or it carries an
   expected and an actual value that differ ("q expected 4'h3, got 4'h5").
3. **Pass lines.** ``PASS``, ``PASSED``, ``SUCCESS`` in capitals anywhere; a line starting with
   ``pass``, ``passed``, ``success``; a design, test, simulation, check or "all ..." that
   passed or succeeded ("Your Design Passed", "All tests passed"); a zero count.

Precedence: any failure line beats every pass line; no pass and no failure line is no result.
A design's own settings (``anvil.toml``: ``pass`` and ``fail``, regular expressions) replace
the built-in pass or failure patterns for that bench; counts still apply.

Failure lines that carry values become mismatches: ``expected=00f6, got=faf1``, ``q expected 5
got 3``, ``exp 5 act 3``, ``out=0101 (expected 1101)``, with the other ``name=value`` pairs as
inputs and the time when the line (or Icarus's ``Time: N`` line after ``$error``) gives one.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: characters of a line that are looked at (a longer line is cut: the rule stays linear)
LINE_CHARS = 1000
BANNER = " \t=*#~+!<>|[]:-_."


class Said(enum.Enum):
    NOTHING = "nothing"
    PASS = "pass"
    FAIL = "fail"


@dataclass(frozen=True)
class Rule:
    """Per-design overrides: regular expressions (case-insensitive) that replace the built-in
    pass or failure patterns; empty keeps the built-in ones."""

    passes: tuple[str, ...] = ()
    fails: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for pattern in (*self.passes, *self.fails):
            re.compile(pattern)  # a bad pattern is the caller's error, raised here

    @property
    def default(self) -> bool:
        return not self.passes and not self.fails

    def to_wire(self) -> dict[str, list[str]]:
        return {"pass": list(self.passes), "fail": list(self.fails)}

    @classmethod
    def from_wire(cls, data: Mapping[str, Sequence[str]] | None) -> Rule:
        data = data or {}
        return cls(tuple(data.get("pass", ())), tuple(data.get("fail", ())))


@dataclass(frozen=True)
class Reading:
    """What one line says, with the count it states (N of "N failures") and the total ("/100")."""

    said: Said
    count: int | None = None
    total: int | None = None


_WORD = r"(?:errors?|failures?|failed|fails|mismatch(?:es)?|mismatched)"
_COUNT_BEFORE = re.compile(r"(?<![\w.])(\d{1,12})[ \t]*+(?:(?:/|of|out[ \t]+of)[ \t]*+(\d{1,12})[ \t]*+)?"
                           r"(?:(?:tests?|checks?|vectors?|cases?"
                           r"|samples?|comparisons?|outputs?)[ \t]++)?" + _WORD + r"\b")
_COUNT_AFTER = re.compile(r"\b(?:error|fail|failure|failed|mismatch)(?:es|s)?+(?:[ \t]*+count)?+[ \t]*+[:=][ \t]*+"
                          r"(\d{1,12})\b")
_NO_COUNT = re.compile(r"\b(?:no|without|zero)[ \t]++(?:errors|failures|mismatches)\b")
_FAIL_START = re.compile(r"^(?:error|errors|fail|failed|failure|fatal|mismatch|mismatches|wrong|incorrect)\b")
_FAIL_CAPS = re.compile(r"\b(?:FAIL|FAILED|FAILURE|FAILURES|ERROR|ERRORS|FATAL|MISMATCH|MISMATCHES)\b")
_FAIL_PHRASE = re.compile(r"\b(?:test|tests|check|checks|case|cases|vector|vectors|assertion|sample|comparison"
                          r"|testcase)\b"
                          r"[^.;]{0,60}?\b(?:fail|failed|fails|failure|mismatch|mismatched)\b"
                          r"|\b(?:does|did)\s*(?:not|n't)\s+match\b")
_PASS_CAPS = re.compile(r"\b(?:PASS|PASSED|SUCCESS|SUCCEEDED|SUCCESSFUL)\b")
_PASS_START = re.compile(r"^(?:pass|passed|success|succeeded|successful)\b")
_PASS_PHRASE = re.compile(r"\b(?:design|test|tests|testbench|simulation|all|everything|checks?|vectors?|cases?)\b"
                          r"[^.;]{0,60}?\b(?:passed|pass|passes|succeeded|successful|successfully)\b")


def read_line(line: str, rule: Rule = Rule()) -> Reading:
    """What ``line`` says under the rule (see the module docstring)."""
    raw = line[:LINE_CHARS]
    text = raw.strip(BANNER)
    if not text:
        return Reading(Said.NOTHING)
    low = text.lower()
    count = _count(low)
    if count is not None:
        n, total = count
        return Reading(Said.FAIL if n > 0 else Said.PASS, n, total)
    if rule.fails:
        failed = any(re.search(p, raw, re.IGNORECASE) for p in rule.fails)
    else:
        failed = bool(_FAIL_START.match(low) or _FAIL_CAPS.search(text) or _FAIL_PHRASE.search(low)
                      or _differs(text))
    if failed:
        return Reading(Said.FAIL)
    if rule.passes:
        passed = any(re.search(p, raw, re.IGNORECASE) for p in rule.passes)
    else:
        passed = bool(_PASS_CAPS.search(text) or _PASS_START.match(low) or _PASS_PHRASE.search(low))
    return Reading(Said.PASS) if passed else Reading(Said.NOTHING)


def _count(low: str) -> tuple[int, int | None] | None:
    m = _COUNT_BEFORE.search(low)
    if m:
        return int(m.group(1)), int(m.group(2)) if m.group(2) else None
    m = _COUNT_AFTER.search(low)
    if m:
        return int(m.group(1)), None
    if _NO_COUNT.search(low):
        return 0, None
    return None


# -- values in failure lines ---------------------------------------------------------------------

_VALUE = (r"(?:-?\d{0,6}+'[sS]?[bodhBODH][ \t]?+[0-9a-fA-FxXzZ_?]{1,80}+|0[xX][0-9a-fA-F_]{1,80}+"
          r"|-?[0-9a-fA-FxXzZ_]{1,80}+)")
_NAME = r"[A-Za-z_][\w.]{0,63}+(?:\[[^\]\s]{1,20}+\])?+"
_EXP_WORD = r"(?:expected|expect|exp|should[ \t]+be|golden|ref(?:erence)?)\b"
_ACT_WORD = r"(?:got|actual|act|received|observed|read|is|was|dut|output)\b"
#: optional blanks, an optional ':' or '=', optional blanks: possessive, so that no two of these
#: can share out a run of blanks between them (the patterns stay linear)
_SEP = r"[ \t]*+(?:[:=][ \t]*+)?+"
_GAP = r"[ \t]*+[(),;|]?+[ \t]*+"
#: [signal] expected[ word] [=:] X [,] [but] got|actual [=:] Y
_EXPECTED_FIRST = re.compile(
    r"(?:\b(?P<sig>" + _NAME + r")" + _SEP + r"[(,]?+[ \t]*+)?\b" + _EXP_WORD
    + r"(?:[ \t]++(?P<what>[A-Za-z_]\w{0,63}))?"
    + _SEP + r"(?P<exp>" + _VALUE + r")" + _GAP + r"(?:but[ \t]++)?\b" + _ACT_WORD
    + r"(?:[ \t]++[A-Za-z_]\w{0,63})?" + _SEP + r"(?P<act>" + _VALUE + r")\b", re.IGNORECASE)
#: got|actual [=:] Y [,] expected [=:] X
_ACTUAL_FIRST = re.compile(
    r"\b(?:got|actual|act|received|observed)\b" + _SEP + r"(?P<act>" + _VALUE + r")" + _GAP
    + r"(?:but[ \t]++|while[ \t]++)?\b" + _EXP_WORD + _SEP + r"(?P<exp>" + _VALUE + r")\b", re.IGNORECASE)
#: signal=Y (expected X)
_PAIR_THEN_EXPECTED = re.compile(
    r"\b(?P<sig>" + _NAME + r")[ \t]*+[:=][ \t]*+(?P<act>" + _VALUE + r")" + _GAP + r"\(?+[ \t]*+"
    + _EXP_WORD + _SEP + r"(?P<exp>" + _VALUE + r")\b", re.IGNORECASE)
_PAIR = re.compile(r"\b(" + _NAME + r")[ \t]*+[:=][ \t]*+(" + _VALUE + r")(?![\w'])(?![ \t]*+[:=])")
_TIME = re.compile(r"(?:\bat[ \t]++time" + _SEP + r"|\btime[ \t]*+[:=][ \t]*+|@[ \t]*+|\bt[ \t]*+=[ \t]*+)(\d{1,15})",
                   re.IGNORECASE)
_NOT_SIGNALS = frozenset("""expected expect exp got actual act received observed read is was time t at error
    errors fail failed failure test case vector check value result but the of and output input should
    golden ref reference dut""".split())


@dataclass(frozen=True)
class Values:
    """What a failure line says about one output: its name (when known), expected and actual
    values, the other ``name=value`` pairs, and the time."""

    signal: str | None
    expected: str | None
    actual: str | None
    inputs: dict[str, str]
    time: int | None


def values_in(line: str, ports: Mapping[str, str] | None = None) -> Values:
    """Expected and actual values in a failure line; ``ports`` (name -> direction) names the
    design's outputs and inputs when known."""
    text = line[:LINE_CHARS]
    ports = ports or {}
    lower_ports = {k.lower(): k for k in ports}
    outputs = [k for k, d in ports.items() if d == "output"]
    signal = expected = actual = None
    used: set[str] = set()
    m = _EXPECTED_FIRST.search(text) or _ACTUAL_FIRST.search(text)
    if m:
        expected, actual = m.group("exp"), m.group("act")
        groups = m.groupdict()
        for candidate in (groups.get("sig"), groups.get("what")):
            if candidate and candidate.lower() not in _NOT_SIGNALS:
                signal = lower_ports.get(candidate.lower(), candidate if not ports else None)
                if signal:
                    break
    else:
        m = _PAIR_THEN_EXPECTED.search(text)
        if m and m.group("sig").lower() not in _NOT_SIGNALS:
            signal, actual, expected = m.group("sig"), m.group("act"), m.group("exp")
    if signal is None and expected is not None and len(outputs) == 1:
        signal = outputs[0]
    if signal is not None:
        used.add(signal.lower())
    inputs: dict[str, str] = {}
    for name, value in _PAIR.findall(text):
        key = name.lower()
        if key in _NOT_SIGNALS or key in used or key.startswith(("expected", "exp_", "golden")):
            continue
        if ports and ports.get(lower_ports.get(key, ""), "") != "input":
            continue
        inputs[lower_ports.get(key, name)] = value
        if len(inputs) >= 12:
            break
    tm = _TIME.search(text)
    return Values(signal, expected, actual, inputs, int(tm.group(1)) if tm else None)


def _differs(text: str) -> bool:
    """The line states an expected and an actual value, and they differ."""
    if "xpect" not in text and "XPECT" not in text and "exp" not in text.lower():
        return False
    v = values_in(text)
    return v.expected is not None and v.actual is not None and _norm(v.expected) != _norm(v.actual)


def _norm(value: str) -> str:
    v = value.lower().replace("_", "")
    if "'" in v:
        v = v.split("'", 1)[1].lstrip("s")[1:].strip()
    elif v.startswith("0x"):
        v = v[2:]
    return v.lstrip("0") or "0"


# -- what a bench can print -----------------------------------------------------------------------

_PRINT = re.compile(r"\$(display|write|strobe|monitor|error|fatal|info|warning)[bhod]?\s*\(\s*(?:[^\"(),;]*,\s*)?"
                    r"\"((?:[^\"\\\n]|\\.){0,500})\"")
_FORMAT = re.compile(r"%-?\d*[a-zA-Z%]")


def recognisable(bench_text: str, rule: Rule = Rule()) -> bool:
    """Whether the bench can print a line the rule reads as a pass or a failure: a
    ``Mismatches:`` line, ``$error``/``$fatal``, or a printed string the rule recognises (format
    specifiers read as 0)."""
    if "Mismatches:" in bench_text:
        return True
    for m in _PRINT.finditer(bench_text):
        if m.group(1) in ("error", "fatal"):
            return True
        if read_line(_FORMAT.sub("0", m.group(2)), rule).said is not Said.NOTHING:
            return True
    return False


def printed_strings(bench_text: str) -> Sequence[str]:
    """The strings the bench prints (for messages)."""
    return [m.group(2) for m in _PRINT.finditer(bench_text)]
