"""Oracle verdicts to LSP diagnostics: the one place where engine values become LSP types."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from oracle import DEFAULT_TOP, Mismatch, Synthesis, Verdict

from .locate import driver_lines, module_line

SOURCE = "anvil"


def _line_range(text: str, line: int) -> lsp.Range:
    lines = text.splitlines()
    length = len(lines[line]) if 0 <= line < len(lines) else 0
    return lsp.Range(start=lsp.Position(line=line, character=0), end=lsp.Position(line=line, character=length))


def mismatch_message(m: Mismatch) -> str:
    if m.cycle is None or m.signal is None:
        return str(m.describe())
    text = f"cycle {m.cycle}: {m.signal} expected {m.expected}, got {m.actual}"
    extra = [f"t={m.time}", m.edge] if m.edge else [f"t={m.time}"]
    if m.inputs:
        extra.append(", ".join(f"{k}={v}" for k, v in m.inputs.items()))
    return f"{text} ({'; '.join(extra)})"


def verdict_diagnostics(verdict: Verdict, *, rtl_path: Path, rtl_text: str,
                        top: str = DEFAULT_TOP) -> dict[Path, list[lsp.Diagnostic]]:
    """Diagnostics per file. The RTL file always has an entry (empty when it passes)."""
    out: dict[Path, list[lsp.Diagnostic]] = {rtl_path: []}
    status = verdict.status.value
    header = module_line(rtl_text, top) or [0]
    if status == "functional_fail":
        for m in verdict.mismatches:
            line = (driver_lines(verdict, rtl_text, m.signal, top) or header)[0] if m.signal else header[0]
            out[rtl_path].append(lsp.Diagnostic(
                range=_line_range(rtl_text, line), message=mismatch_message(m), severity=lsp.DiagnosticSeverity.Error,
                code="mismatch", source=SOURCE))
        if not verdict.mismatches:
            out[rtl_path].append(lsp.Diagnostic(range=_line_range(rtl_text, header[0]), message=verdict.reason,
                                                severity=lsp.DiagnosticSeverity.Error, code="mismatch", source=SOURCE))
    elif status == "compile_error":
        for e in verdict.compile_errors:
            path = Path(e.file) if e.file else rtl_path
            if e.file is None or _same(path, rtl_path):
                line = (e.line - 1) if e.line else header[0]
                out[rtl_path].append(_error(rtl_text, line, e.message, "compile-error"))
                continue
            # an error reported in another file (testbench, reference): there, and on the RTL header,
            # since it is this design that made it fail
            if path.exists() and e.line:
                out.setdefault(path, []).append(_error(_read(path), e.line - 1, e.message, "compile-error"))
            out[rtl_path].append(_error(rtl_text, header[0], e.describe(), "compile-error"))
    elif status == "timeout":
        out[rtl_path].append(lsp.Diagnostic(range=_line_range(rtl_text, header[0]), message=verdict.reason,
                                            severity=lsp.DiagnosticSeverity.Error, code="timeout", source=SOURCE))
    return out


def synthesis_diagnostics(synthesis: Synthesis, *, rtl_text: str) -> list[lsp.Diagnostic]:
    """Latches, loops and lint warnings as warnings on their lines of the RTL; what synthesis
    drops as information (the verdict is unchanged: none is an error)."""
    out = []
    for finding in (*synthesis.latches, *synthesis.loops, *synthesis.lint, *synthesis.warnings):
        severity = lsp.DiagnosticSeverity.Information if finding.kind in ("dropped", "synthesis") else \
            lsp.DiagnosticSeverity.Warning
        code = f"lint-{finding.code}" if finding.kind == "lint" and finding.code else finding.kind
        line = (finding.line - 1) if finding.line else 0
        out.append(lsp.Diagnostic(range=_line_range(rtl_text, line), message=finding.message, severity=severity,
                                  code=code, source=SOURCE))
    return out


def _error(text: str, line: int, message: str, code: str) -> lsp.Diagnostic:
    return lsp.Diagnostic(range=_line_range(text, line), message=message, severity=lsp.DiagnosticSeverity.Error,
                          code=code, source=SOURCE)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
