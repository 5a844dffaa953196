"""After the simulation: what synthesis (Yosys) and a linter (Verilator) say of a design.

A design that passes its testbench can still be one a hardware engineer rejects: an inferred
latch, a combinational loop, constructs only a simulator honours (delays, ``initial`` blocks,
``$display``), twice the area of another. :func:`synthesise` runs both tools on the design alone
(never the bench) and returns a :class:`Synthesis`: generic cells after ``synth``, flip-flops,
latches (signal and line), loops (lines), what synthesis drops or rejects (lines), Verilator's
``--lint-only -Wall`` warnings (lines, codes) and the tools' versions. It never changes the
simulation verdict.

The design is hostile input here as in the simulator: the raw-text screen runs first (no
```include``, no ```line``), and each tool runs in the same bubblewrap sandbox as simulations
(the design read-only, no network, no other file), in its own process group, killed at the
deadline. Without bubblewrap (``ANVIL_SANDBOX=auto``) the tools run as plain children; with
``ANVIL_SANDBOX=on`` they do not run at all. A missing tool is reported as skipped, with why.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from .lexical import check_sources
from .process import Limits, ProcessResult, run_bounded
from .sandbox import bwrap, mode_from_env, sandbox_argv
from .scratch import mkdtemp
from .syntax import SourceText
from .synthesis import Finding, Synthesis

#: where the design's files are seen inside the sandbox
INSIDE = "/design"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
#: Verilator checks that say nothing about the design's function or synthesis
_LINT_OFF = ("DECLFILENAME", "EOFNEWLINE")


_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"", re.DOTALL)
_SIM_ONLY = (
    (re.compile(r"\binitial\b"), "an initial block: synthesis keeps at most the initial values of registers, "
                                  "which an ASIC flow drops"),
    (re.compile(r"(?<![\w$'])#\s*(?:\d|\()"), "a delay: synthesis ignores it"),
    (re.compile(r"\$(?:display|write|strobe|monitor|finish|stop|fatal|error|warning|info|random|urandom|time|"
                r"realtime|fopen|fclose|fdisplay|fwrite|readmem[hb])\b"), "a system task: synthesis ignores it"),
    (re.compile(r"\b(?:force|release|wait|fork)\b"), "a simulation-only statement"),
)


def dropped(sources: Sequence[SourceText]) -> list[Finding]:
    """Constructs only a simulator honours, each kind once per file, on its first line."""
    out = []
    for source in sources:
        text = _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source.text)
        for pattern, why in _SIM_ONLY:
            m = pattern.search(text)
            if m:
                line = text.count("\n", 0, m.start()) + 1
                out.append(Finding("dropped", f"{m.group(0).strip()}: {why}", source.name, line))
    return out


@cache
def tool_versions() -> str:
    """"Yosys 0.23, Verilator 5.006" (what is installed; empty when neither is)."""
    import subprocess

    found = []
    for tool, flag, pattern in (("yosys", "-V", r"Yosys [\d.]+"), ("verilator", "--version", r"Verilator [\d.]+")):
        path = shutil.which(tool)
        if path is None:
            continue
        try:
            out = subprocess.run([path, flag], capture_output=True, text=True, timeout=20,
                                 stdin=subprocess.DEVNULL).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        match = re.search(pattern, out)
        found.append(match.group(0) if match else tool)
    return ", ".join(found)


async def synthesise(sources: Sequence[SourceText], top: str, *, timeout_s: float = 60.0,
                     lint: bool = True) -> Synthesis:
    """Synthesise ``sources`` (the design's files, not the bench) with ``top`` as the top module,
    and lint them; never raises for what the design or the tools do."""
    started = time.perf_counter()
    if not _IDENT.fullmatch(top):
        return Synthesis("skipped", reason=f"the top module name {top[:40]!r} is not a plain identifier")
    problems = check_sources([(s.name, s.text) for s in sources])
    if problems:  # `include, `line...: no tool reads the design
        return Synthesis("error", reason=problems[0].message, tools=await asyncio.to_thread(tool_versions))
    if shutil.which("yosys") is None:
        return Synthesis("skipped", reason="yosys is not installed (scripts/setup.sh installs it)")
    mode = mode_from_env()
    sandboxed = mode != "off" and bwrap() is not None
    if mode == "on" and not sandboxed:
        return Synthesis("skipped", reason="ANVIL_SANDBOX=on and bubblewrap is not installed")
    folder = mkdtemp("synth-")
    try:
        names = {}
        for i, source in enumerate(sources):
            local = f"f{i}.sv"
            (folder / local).write_text(source.text, encoding="utf-8", errors="surrogatepass")
            names[local] = source.name
        where = INSIDE if sandboxed else str(folder)
        files = [f"{where}/{n}" for n in names]
        limits = Limits(timeout_s=timeout_s, output_head=2 << 20, output_tail=256 << 10)
        script = (f"read_verilog -sv {' '.join(files)}; hierarchy -check -top {top}; proc; flatten; check; "
                  f"synth -top {top}; stat -json")
        runs = [_tool(["yosys", "-Q", "-T", "-p", script], folder, sandboxed, limits)]
        if lint and shutil.which("verilator") is not None:
            runs.append(_tool(["verilator", "--lint-only", "-Wall", "-Wno-fatal", "--no-timing",
                               *(f"-Wno-{w}" for w in _LINT_OFF), "--top-module", top, *files],
                              folder, sandboxed, limits))
        done = await asyncio.gather(*runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = _yosys(done[0], where, names)
    reason = result.reason
    if lint and len(done) == 1 and result.status == "ok":
        reason = "verilator is not installed: no lint (scripts/setup.sh installs it)"
    return replace(result, warnings=(*dropped(sources), *result.warnings),
                   lint=tuple(_lint(done[1].output, where, names)) if len(done) > 1 else (),
                   tools=await asyncio.to_thread(tool_versions), elapsed_s=round(time.perf_counter() - started, 3),
                   reason=reason)


async def _tool(argv: list[str], folder: Path, sandboxed: bool, limits: Limits) -> ProcessResult:
    path = shutil.which(argv[0]) or argv[0]
    if not sandboxed:
        return await run_bounded([path, *argv[1:]], cwd=folder, limits=limits)
    # Yosys finds its files through /proc/self/exe; the sandbox has no procfs (it would show the
    # host's paths), so that one link is all of /proc there
    options = ["--tmpfs", "/proc", "--symlink", os.path.realpath(path), "/proc/self/exe"]
    wrapped = sandbox_argv(bwrap() or "bwrap", tool_prefixes=(), root="/tmp", command=[path, *argv[1:]],
                           binds=[(str(folder), INSIDE)], options=options)
    return await run_bounded(wrapped, cwd=folder, limits=limits, env={})


#: Yosys's latch message; for an always_comb block it is an ERROR, and the run stops there
_LATCH = re.compile(r"Latch inferred for signal `\\\S+?\.\\?(\S+?)' from (always_comb )?process "
                    r"`\S*?\$proc\$([^:$]+):(\d+)\$")
_SRC = re.compile(r"\$(?:[\w.]*?/)?(f\d+\.sv):(\d+)")
_FLOP = re.compile(r"DFF|SDFF|ADFF|ALDFF|DFFSR", re.IGNORECASE)
_LATCH_CELL = re.compile(r"DLATCH|SR_", re.IGNORECASE)


def _yosys(run: ProcessResult, where: str, names: dict[str, str]) -> Synthesis:
    log = run.output.replace(where + "/", "")
    if run.timed_out:
        return Synthesis("timeout", reason=f"yosys did not finish within {run.elapsed_s:.0f} s")
    error = next((ln for ln in log.splitlines() if re.match(r"(?:\S+:\d+: )?ERROR: ", ln)), None)
    if error is not None or run.returncode != 0:
        comb = _LATCH.search(error or "")
        if comb:  # a latch in always_comb: yosys stops there
            file, line = names.get(comb.group(3), comb.group(3)), int(comb.group(4)) or None
            latch = Finding("latch", f"latch inferred for {comb.group(1)} in an always_comb block (yosys rejects it)",
                            file, line, comb.group(1))
            return Synthesis("error", latches=(latch,), reason=f"yosys rejects a latch on {comb.group(1)} in "
                                                               "always_comb", warnings=tuple(_warnings(log, names)))
        return Synthesis("error", reason=_rename(error or f"yosys exited with {run.returncode}", names)[:300],
                         warnings=tuple(_warnings(log, names)))
    latches = {}
    for m in _LATCH.finditer(log):
        key = (m.group(1), m.group(3), int(m.group(4)))
        latches[key] = Finding("latch", f"latch inferred for {m.group(1)} (not every path of the combinational "
                                        "block assigns it)", names.get(m.group(3), m.group(3)), key[2], m.group(1))
    loops = {}
    for block in re.finditer(r"Warning: found logic loop in module \S+:\n((?:    .*\n?)+)", log):
        lines = sorted({(f, int(n)) for f, n in _SRC.findall(block.group(1))})
        for f, n in lines[:1]:
            loops[(f, n)] = Finding("loop", "combinational loop: " + ", ".join(
                f"line {k}" for _, k in lines[:6]), names.get(f, f), n)
    stats = _stats(log)
    if stats is None:
        return Synthesis("error", reason="yosys printed no statistics")
    types = tuple(sorted((str(k), int(v)) for k, v in stats.get("num_cells_by_type", {}).items()))
    latch_cells = sum(n for t, n in types if _LATCH_CELL.search(t))
    if latch_cells and not latches:  # a latch yosys made without saying where
        latches[("?", "", 0)] = Finding("latch", f"{latch_cells} latch cell(s) after synthesis")
    return Synthesis("ok", int(stats.get("num_cells", 0)), sum(n for t, n in types if _FLOP.search(t)),
                     tuple(latches.values()), tuple(loops.values()), tuple(_warnings(log, names)), (), types)


def _stats(log: str) -> dict[str, Any] | None:
    start = log.rfind('{\n   "creator"')
    if start < 0:
        return None
    try:
        data = json.JSONDecoder().raw_decode(log[start:])[0]
    except ValueError:
        return None
    design = data.get("design") or next(iter(data.get("modules", {}).values()), None)
    return design if isinstance(design, dict) else None


def _warnings(log: str, names: dict[str, str]) -> list[Finding]:
    """Yosys's warnings other than loops (those have their own list), once each."""
    out: dict[str, Finding] = {}
    for line in log.splitlines():
        if not line.startswith("Warning:") or "found logic loop" in line:
            continue
        text = _rename(line.removeprefix("Warning:").strip(), names)
        where = re.search(r"(f\d+\.sv):(\d+)", line)
        out.setdefault(text, Finding("synthesis", text[:300], names.get(where.group(1)) if where else None,
                                     int(where.group(2)) if where else None))
    return list(out.values())


_LINT = re.compile(r"^%(Warning|Error)(?:-(\w+))?: (f\d+\.sv):(\d+):(?:\d+:)? (.*)$", re.MULTILINE)


def _lint(output: str, where: str, names: dict[str, str]) -> list[Finding]:
    text = output.replace(where + "/", "")
    out = []
    for kind, code, file, line, message in _LINT.findall(text):
        out.append(Finding("lint", _rename(message, names)[:300], names.get(file, file), int(line),
                           code=code or ("error" if kind == "Error" else "")))
    return out


def _rename(text: str, names: dict[str, str]) -> str:
    for local, real in names.items():
        text = text.replace(local, real)
    return text


__all__ = ["Finding", "Synthesis", "dropped", "synthesise", "tool_versions"]
