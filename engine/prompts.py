"""What the model is told: the first request for a design, and repair requests with feedback.

Feedback modes (for measuring what concrete feedback is worth):

- ``vectors``: the failing samples as a table (cycle, edge, inputs, signal, expected, actual),
  the testbench's hints, or the compile errors with the offending lines;
- ``summary``: how many samples fail and on which signals, or how many compile errors;
- ``none``: only that the design fails;
- ``focus``: for a small model, shorter and sharper: the first failing cycles and the lines
  that drive the failing outputs (the patch search's localisation), nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from oracle import Port, Status, TraceRow, Verdict

from .problem import has_clock
from .providers.base import Message


class Feedback(str, enum.Enum):
    VECTORS = "vectors"
    SUMMARY = "summary"
    NONE = "none"
    FOCUS = "focus"


SYSTEM = """You are an expert digital designer. You write correct, synthesizable Verilog that \
compiles with Icarus Verilog 11 (iverilog -g2012).

Rules:
- Implement one module named {top} with exactly the ports given: same names, directions and widths. \
Helper modules are allowed if you define them in the same answer.
- Declare ports and internal signals as `logic` (`input logic [3:0] a`, `output logic q`): a \
`logic` can be driven by `assign` or by an always block. Declare every signal before using it, and \
use only the ports listed.
{timing}
- No testbench, no `initial` blocks, no delays (#), no $display, $finish or other system tasks.
- Icarus 11 does not support enum casts like `State'(x)`, `inside`, streaming operators, \
`break`/`continue` or `signed'(x)`: use localparam constants for FSM states.
- Answer with the complete design in one ```verilog code block and nothing else."""

SEQUENTIAL = """- Sequential logic: `always @(posedge clk)` with non-blocking `<=`. A synchronous reset is tested \
inside that block; an asynchronous reset goes in the sensitivity list, e.g. \
`always @(posedge clk, posedge areset)`."""
COMBINATIONAL = """- Combinational logic: `assign`, or `always @(*)` with blocking `=` that assigns every output on \
every path."""
NO_CLOCK = """- This design has no clock input, so it is purely combinational: no `posedge`/`negedge`, no \
registers, no `clk` or reset signals."""

def system_prompt(top: str, ports: Sequence[Port]) -> str:
    """The rules; with a known interface and no clock, the model is told not to invent one (small
    models otherwise wrap combinational logic in ``always @(posedge clk)``)."""
    timing = NO_CLOCK if ports and not has_clock(ports) else SEQUENTIAL
    return SYSTEM.format(top=top, timing=f"{timing}\n{COMBINATIONAL}")


def interface_line(top: str, ports: Sequence[Port]) -> str:
    def decl(p: Port) -> str:
        width = f" [{p.width - 1}:0]" if p.width > 1 else ""
        return f"{p.direction} logic{width} {p.name}"

    return f"module {top} ({', '.join(decl(p) for p in ports)});"


def first_request(spec: str, *, top: str, ports: Sequence[Port]) -> tuple[Message, ...]:
    user = f"Specification:\n\n{spec.strip()}\n"
    if ports:
        user += f"\nThe module header must be equivalent to:\n{interface_line(top, ports)}\n"
    user += f"\nWrite the Verilog for {top}."
    return (Message("system", system_prompt(top, ports)), Message("user", user))


def _numbered(code: str, around: set[int] | None = None, radius: int = 1) -> str:
    lines = code.splitlines()
    keep = list(range(1, len(lines) + 1))
    if around:
        wanted = {n for a in around for n in range(a - radius, a + radius + 1)}
        keep = [n for n in keep if n in wanted]
    return "\n".join(f"{n:4d} | {lines[n - 1]}" for n in keep)


def _value(text: str | None) -> str:
    """``4'ha`` -> ``4'ha (10)``: decimal helps with arithmetic specs."""
    if not text or "'h" not in text:
        return text or "?"
    digits = text.split("'h", 1)[1]
    if all(c in "0123456789abcdef" for c in digits):
        return f"{text} ({int(digits, 16)})"
    return text


def repair_hints(verdict: Verdict, screen_hints: Sequence[str]) -> list[str]:
    """pyslang's messages for compile errors; the testbench's own ``Hint:`` lines for failures."""
    if verdict.status is Status.COMPILE_ERROR:
        return list(screen_hints)
    hints = []
    for line in verdict.log_tail.splitlines():
        line = line.strip()
        if line.startswith("Hint:") and "Total mismatched" not in line and "no mismatches" not in line:
            hints.append(line)
    return hints[:6]


def describe_failure(verdict: Verdict, code: str, mode: Feedback, *, hints: Sequence[str] = (),
                     design_file: str | None = None, waveform: bool = True, rows: int | None = None) -> str:
    """The feedback paragraph for a failing verdict (``waveform`` False: without the samples
    leading to the first mismatch; ``rows``: at most that many failing samples)."""
    status = verdict.status.value
    if mode is Feedback.NONE:
        return "This design does not pass the testbench."
    if status == "compile_error":
        errors = [e for e in verdict.compile_errors]
        if mode is Feedback.SUMMARY:
            return f"This design does not compile: {len(errors)} error(s)."
        own = [e for e in errors if design_file is None or e.file in (design_file, None)]
        lines = ["This design does not compile with Icarus Verilog 11. Errors:"]
        for e in errors[:8]:
            where = f"line {e.line}" if e in own and e.line else (f"{e.file}:{e.line}" if e.file else "")
            lines.append(f"- {where}: {e.message}" if where else f"- {e.message}")
        for hint in hints[:4]:
            lines.append(f"- (parser) {hint}")
        marked = {e.line for e in own if e.line}
        if marked:
            lines.append("\nThe lines concerned:\n" + _numbered(code, marked))
        return "\n".join(lines)
    if status == "timeout":
        return ("The simulation of this design never finished (killed after the time limit): there is "
                "probably a combinational loop, or a loop with no delay that never ends.")
    # functional failure
    if mode is Feedback.FOCUS:
        focused = _focused(verdict, code)
        if focused:
            return focused
    samples, bad = verdict.samples, verdict.mismatched_samples
    head = (f"This design compiles but fails the testbench: {bad} of {samples} samples do not match the "
            f"reference." if samples else f"This design compiles but fails the testbench ({bad} failures).")
    signals: dict[str, int] = {}
    for m in verdict.mismatches:
        if m.signal:
            signals[m.signal] = signals.get(m.signal, 0) + 1
    if mode is Feedback.SUMMARY:
        which = f" Wrong outputs include: {', '.join(signals)}." if signals else ""
        return head + which
    lines = [head]
    if verdict.trace and waveform:
        lines.append(_waveform(verdict.trace))
    table = [m for m in verdict.mismatches if m.signal is not None][:rows]
    if table and table[0].cycle is not None:
        lines.append("All failing samples so far ('expected' comes from the reference model):")
        lines.append("| cycle | time | edge | inputs | output | expected | actual |")
        lines.append("|---|---|---|---|---|---|---|")
        for m in table:
            inputs = ", ".join(f"{k}={_value(v)}" for k, v in m.inputs.items()) or "-"
            lines.append(f"| {m.cycle} | {m.time} | {m.edge} | {inputs} | {m.signal} | {_value(m.expected)} | "
                         f"{_value(m.actual)} |")
        if all(_unknown(m.actual) and not _unknown(m.expected) for m in table):
            lines.append(UNDRIVEN)
    else:
        lines.append("The testbench reported:")
        lines += [f"- {m.describe()}" for m in verdict.mismatches]
    for hint in hints:
        lines.append(hint)
    return "\n".join(lines)


def _focused(verdict: Verdict, code: str, rows: int = 3, lines: int = 6) -> str | None:
    """The first failing cycles and the most suspicious lines, or None if the code cannot be
    localised."""
    from .patch.fitness import weights
    from .patch.source import parse, ranked

    source = parse(code)
    table = [m for m in verdict.mismatches if m.signal is not None and m.cycle is not None][:rows]
    if source is None or not table:
        return None
    suspects: list[int] = []
    for a, _ in ranked(source, weights(verdict)):
        block = [source.line_of(source.span(a.block)[0])] if a.block is not None else []
        for line in [a.line, *(source.line_of(source.span(c)[0]) for c in a.conditions[-1:]), *block]:
            if line not in suspects:
                suspects.append(line)
    suspects = suspects[:lines]
    out = ["This design fails the testbench. The first failing cycles ('expected' is the reference model):",
           "| cycle | inputs | output | expected | actual |", "|---|---|---|---|---|"]
    for m in table:
        inputs = ", ".join(f"{k}={_value(v)}" for k, v in m.inputs.items()) or "-"
        out.append(f"| {m.cycle} | {inputs} | {m.signal} | {_value(m.expected)} | {_value(m.actual)} |")
    if suspects:
        out.append("\nThe bug is most likely in these lines (they drive the failing outputs):")
        out.append(_numbered(code, set(suspects), radius=0))
    return "\n".join(out)


UNDRIVEN = ("In every failing sample the design's output is x where the reference's is known: the output "
            "was never assigned at that time. Drive every output on every path; an `always @(*)` block "
            "runs only after one of its inputs changes, whereas `assign` is evaluated from time 0.")


def _unknown(value: str | None) -> bool:
    """Whether a sampled value has x or z bits (``x``, ``4'hx``, ``4'b10x1``)."""
    if not value:
        return False
    digits = value.split("'", 1)[1][1:] if "'" in value else value
    return any(c in "xXzZ" for c in digits)


def _waveform(trace: Sequence[TraceRow]) -> str:
    """The samples leading up to the first mismatch, as a table: inputs, then each output's
    expected and actual value, the failing row marked."""
    inputs = list(trace[-1].inputs)
    outputs = list(trace[-1].outputs)
    head = ["cycle", "time", "edge", *inputs] + [f"{o} expected" for o in outputs] + [f"{o} actual" for o in outputs]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, row in enumerate(trace):
        cells = [str(row.cycle), str(row.time), row.edge] + [_value(row.inputs.get(n)) for n in inputs]
        cells += [_value(row.outputs[o][0]) for o in outputs] + [_value(row.outputs[o][1]) for o in outputs]
        mark = " <- first mismatch" if i == len(trace) - 1 else ""
        rows.append("| " + " | ".join(cells) + " |" + mark)
    return ("Waveform up to the first mismatch (one row per clock edge; values sampled just before the "
            "edge, so an output shows what the design computed at earlier edges):\n" + "\n".join(rows))


#: characters per token assumed when a prompt is fitted to a context window: Verilog and English
#: run 3.3 to 4 characters a token with the local model's tokenizer, so this errs on the safe side
CHARS_PER_TOKEN = 3.0


def estimate_tokens(messages: Sequence[Message]) -> int:
    """A safe (high) estimate of a request's prompt tokens."""
    return int(sum(len(m.content) for m in messages) / CHARS_PER_TOKEN) + 8 * len(messages)


def fitted_repair(spec: str, code: str, verdict: Verdict, *, top: str, ports: Sequence[Port], mode: Feedback,
                  window: int | None, hints: Sequence[str] = (),
                  design_file: str | None = None) -> tuple[Message, ...] | None:
    """The repair request, made smaller until it fits ``window`` prompt tokens (None: no limit):
    without the waveform and with 8 failing samples at most, then only the lines that drive the
    failing outputs, then a summary. None when even that does not fit."""
    lighter: list[tuple[Feedback, bool, int | None]] = [(mode, True, None)]
    if mode in (Feedback.VECTORS, Feedback.FOCUS):
        lighter += [(mode, False, 8), (Feedback.FOCUS, False, 4)]
    lighter.append((Feedback.SUMMARY, False, 0))
    for feedback, waveform, rows in lighter:
        request = repair_request(spec, code, verdict, top=top, ports=ports, mode=feedback, hints=hints,
                                 design_file=design_file, waveform=waveform, rows=rows)
        if window is None or estimate_tokens(request) <= window:
            return request
    return None


def repair_request(spec: str, code: str, verdict: Verdict, *, top: str, ports: Sequence[Port],
                   mode: Feedback, hints: Sequence[str] = (), design_file: str | None = None,
                   waveform: bool = True, rows: int | None = None) -> tuple[Message, ...]:
    feedback = describe_failure(verdict, code, mode, hints=hints, design_file=design_file, waveform=waveform,
                                rows=rows)
    ask = ("Find the bug by comparing the design with the specification"
           + (" and the failing samples" if mode in (Feedback.VECTORS, Feedback.FOCUS) and verdict.mismatches else "")
           + f". The code above is wrong: change what causes the failure rather than repeating it. Answer "
           f"with the complete corrected {top} in one ```verilog code block.")
    return (*first_request(spec, top=top, ports=ports),
            Message("assistant", f"```verilog\n{code.strip()}\n```"),
            Message("user", f"{feedback}\n\n{ask}"))
