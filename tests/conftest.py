"""Shared fixtures: the VerilogEval data in ../shared (skipped only where that folder is absent)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATASET = Path(os.environ.get("ANVIL_VERILOG_EVAL", ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl"))
DATA = Path(__file__).resolve().parent / "data"


#: suites left out of the fast loop (``scripts/test.sh --fast``, i.e. ``pytest -m "not slow"``):
#: real editors, Ray clusters, the local model, fuzzing, the hostile rounds and whole-dataset sweeps
SLOW_SUITES = {
    "tests/vscode/test_vscode.py": "a real VS Code in Chromium",
    "tests/lsp/test_neovim.py": "a real Neovim",
    "tests/lsp/test_fuzz.py": "fuzzing the server",
    "tests/engine/test_ray.py": "Ray clusters",
    "tests/engine/test_local_model.py": "the local model",
    "tests/oracle/test_adversarial.py": "hostile candidates",
    "tests/oracle/test_trust.py": "hostile candidates",
    "tests/oracle/test_round3.py": "hostile candidates",
    "tests/oracle/test_mutants.py": "mutants of every problem",
    "tests/oracle/test_references.py": "every problem of the dataset",
    "tests/oracle/test_vcd_agrees_with_testbench.py": "every problem of the dataset",
    "tests/engine/test_bench.py": "benchmark sweeps",
    "tests/engine/test_schema_exact.py": "every edit judged both ways",
    "tests/engine/test_provider_faults.py": "providers that fail slowly",
    "tests/lsp/test_e2e.py": "the language server over stdio",
    "tests/oracle/test_benches.py": "every kind of real testbench, cocotb included",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).relative_to(ROOT).as_posix() in SLOW_SUITES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def private_ledger(tmp_path, monkeypatch):
    """Runs in tests go to a ledger of their own, never to the user's."""
    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))


def interruptible() -> None:
    """preexec_fn for a child the test will Ctrl-C: SIGINT at its default, however the test run was
    started (a shell's background job starts with SIGINT ignored, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def shared_problems(every: int = 1) -> list[str]:
    """Names of the shared VerilogEval problems (every ``every``-th; none when they are absent)."""
    if not DATASET.is_dir():
        return []
    return sorted(p.name[: -len("_ref.sv")] for p in DATASET.glob("*_ref.sv"))[::every]


def run_anvil(*args, input: str | None = None, env: dict | None = None, cwd: Path = ROOT,
              timeout: float = 120, input_bytes: bytes | None = None) -> subprocess.CompletedProcess:
    """The `anvil` command line in a subprocess, as a user runs it (``input_bytes``: raw stdin)."""
    env = env or dict(os.environ, PYTHONPATH=str(ROOT))
    if input_bytes is not None:
        done = subprocess.run([sys.executable, "-m", "anvil", *map(str, args)], input=input_bytes,
                              capture_output=True, cwd=cwd, timeout=timeout, env=env)
        return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="replace"),
                                           done.stderr.decode(errors="replace"))
    return subprocess.run([sys.executable, "-m", "anvil", *map(str, args)], input=input, capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=env)

#: problems whose bench cannot judge here (the first three documented in ../shared/verilog-eval/README.md)
KNOWN_BROKEN = {
    "Prob053_m2014_q4d": "blind",  # its input is x at the first edge: the reference's output is x at 99 of 100 samples
    "Prob099_m2014_q6c": "compile_error",  # testbench uses ports Y2/Y4 the reference lacks
    "Prob141_count_clock": "timeout",  # testbench stops before its stimulus ends
    "Prob151_review2015_fsm": "compile_error",  # enum casts unsupported by Icarus 11
}


def dataset_problems() -> list[str]:
    if not DATASET.is_dir():
        return []
    return sorted(p.name[: -len("_test.sv")] for p in DATASET.glob("*_test.sv"))


@pytest.fixture
def dataset() -> Path:
    if not DATASET.is_dir():
        pytest.skip(f"VerilogEval data not present at {DATASET}")
    return DATASET


def problem_files(name: str) -> tuple[Path, Path, Path]:
    """(prompt, testbench, reference) of a shared problem; skips when the data is absent."""
    if not DATASET.is_dir():
        pytest.skip(f"VerilogEval data not present at {DATASET}")
    return (DATASET / f"{name}_prompt.txt", DATASET / f"{name}_test.sv", DATASET / f"{name}_ref.sv")


TOOLS = {"iverilog", "ivlpp", "ivl", "vvp", "sh"}


def tool_processes(marker: str) -> list[str]:
    """Live simulator processes (iverilog, ivlpp, ivl, vvp) whose command line mentions ``marker``."""
    return [c for c in processes_matching(marker) if Path(c.split(" ", 1)[0]).name in TOOLS]


def simulation_running(marker: str, timeout: float = 20.0, alive=lambda: True) -> bool:
    """Wait until a simulation (vvp) of ``marker``'s runs is up and stays up (a reference run
    ends quickly: it must still be there a moment later)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        if any("vvp" in p for p in tool_processes(marker)):
            time.sleep(0.3)
            if any("vvp" in p for p in tool_processes(marker)):
                return True
        time.sleep(0.05)
    return False


def processes_matching(*markers: str) -> list[str]:
    """Command lines of live processes that mention any of ``markers``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(m in cmdline for m in markers):
            found.append(cmdline)
    return found
