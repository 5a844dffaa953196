"""``anvil doctor``: what is installed, what is missing, and how to install it."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def simulator_checks() -> list[Check]:
    from oracle import SimulatorNotFound, find_tools

    try:
        tools = find_tools()
    except SimulatorNotFound as exc:
        return [Check("simulator", False, str(exc), "sudo apt-get install iverilog")]
    return [Check("simulator", True, f"{tools.version} ({tools.iverilog}, {tools.vvp})")]


def sandbox_checks() -> list[Check]:
    """Whether simulations run inside the sandbox (starts the oracle's runner to find out)."""
    from oracle import OracleError, find_tools
    from oracle.client import runner_for
    from oracle.sandbox import bwrap_version

    fix = "sudo apt-get install bubblewrap (scripts/setup.sh does it)"
    try:
        runner = runner_for(find_tools())
        runner.ensure_started()
    except OracleError as exc:
        return [Check("sandbox", False, str(exc), fix, required=False)]
    if runner.sandboxed:
        net = ", ".join(runner.probe.get("interfaces", [])) or "none"
        return [Check("sandbox", True, f"{bwrap_version()}: runs see only their folder and the tools (read-only), "
                                       f"a private /tmp, network interfaces: {net}")]
    why = runner.problem or "ANVIL_SANDBOX=off"
    return [Check("sandbox", False, f"not active ({why}); simulations run unsandboxed", fix, required=False)]


def python_checks() -> list[Check]:
    checks = []
    try:
        import pyslang  # noqa: F401

        checks.append(Check("pyslang", True, "importable"))
    except ImportError as exc:
        checks.append(Check("pyslang", False, str(exc), "pip install pyslang"))
    return checks


def run_doctor(args: argparse.Namespace) -> int:
    checks = simulator_checks() + python_checks()
    if checks[0].ok:
        checks += sandbox_checks()
    try:
        from engine.doctor import engine_checks
    except ImportError:
        engine_checks = None
    if engine_checks is not None:
        checks += [Check(**c) for c in engine_checks()]
    if args.json:
        print(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for c in checks:
            mark = "ok  " if c.ok else ("MISS" if c.required else "warn")
            print(f"{mark} {c.name:<20} {c.detail}")
            if not c.ok and c.fix:
                print(f"     {'':<20} fix: {c.fix}")
    failed = [c for c in checks if c.required and not c.ok]
    if failed:
        print(f"anvil: {len(failed)} required component(s) missing: {', '.join(c.name for c in failed)}",
              file=sys.stderr)
        return 2
    return 0
