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
