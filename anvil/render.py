"""Rendering oracle verdicts for a terminal."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from oracle import Synthesis, Verdict

_LABEL = {
    "pass": "PASS",
    "compile_error": "COMPILE ERROR",
    "functional_fail": "FAIL",
    "timeout": "TIMEOUT",
    "error": "ERROR",
}


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _source_line(file: str | None, line: int | None) -> str | None:
    if not file or not line:
        return None
    try:
        lines = Path(file).read_text(errors="replace").splitlines()
    except OSError:
        return None
    return lines[line - 1].strip() if 0 < line <= len(lines) else None


def render_verdict(verdict: Verdict, *, readable: Collection[str] = ()) -> str:
    """Multi-line human summary: headline, then mismatches or compile errors. Source lines are
    quoted only from ``readable`` files (the inputs the user named), never from a file a
    message merely names."""
    head = f"{_LABEL[verdict.status.value]}"
    if verdict.samples:
        unit = "tests pass" if "cocotb" in verdict.simulator else "samples match"
        head += f"  {verdict.samples - verdict.mismatched_samples}/{verdict.samples} {unit}"
        head += f" (score {verdict.score:.3f})"
    if verdict.reason and not verdict.passed:
        head += f"  {verdict.reason}"
    head += f"  [{verdict.simulator}, {verdict.elapsed_s:.2f} s]"
    out = [head]
    structured = [m for m in verdict.mismatches if m.signal is not None and m.cycle is not None]
    if structured:
        rows = [["cycle", "time", "edge", "signal", "expected", "actual", "inputs"]]
        for m in structured:
            inputs = " ".join(f"{k}={v}" for k, v in m.inputs.items())
            rows.append([str(m.cycle), str(m.time), m.edge or "", m.signal or "", m.expected or "",
                         m.actual or "", inputs])
        out += _table(rows)
        if verdict.mismatched_samples > len({m.time for m in structured}):
            out.append(f"  ... first {len(structured)} shown; {verdict.mismatched_samples} samples mismatch in all")
    for m in verdict.mismatches:
        if m not in structured:
            out.append("  " + m.describe())
    for e in verdict.compile_errors:
        out.append("  " + e.describe())
        src = _source_line(e.file, e.line) if e.file in readable else None
        if src:
            out.append(f"      | {src}")
    return "\n".join(out)


def render_synthesis(synthesis: Synthesis, *, details: bool = False) -> str:
    """One line ("synthesis: 23 cells, 4 flip-flops, no latch, no loop, 0 lint warnings (Yosys 0.23,
    Verilator 5.006)"), then with ``details`` each latch, loop, dropped construct and lint warning
    on its line of the design."""
    tools = f" ({synthesis.tools})" if synthesis.tools else ""
    lines = [f"synthesis: {synthesis.summary()}{tools}"]
    found = (*synthesis.latches, *synthesis.loops, *synthesis.warnings, *synthesis.lint)
    if details:
        lines += [f"  {f.where() or '-'}: {f.kind}{f'-{f.code}' if f.code else ''}: {f.message}" for f in found]
    elif found:
        lines.append("  (each on its line with -v)")
    return "\n".join(lines)
