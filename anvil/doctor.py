"""``anvil doctor``: what is installed, what is missing, and how to install it."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from .common import EXIT_ERROR, EXIT_PASS


def run_doctor(args: argparse.Namespace) -> int:
    from engine.doctor import checks

    found = checks()
    if args.ray:
        from sweeps.distributed import cluster_checks

        found += cluster_checks(args.ray)
    if args.json:
        print(json.dumps([asdict(c) for c in found], indent=2))
    else:
        for c in found:
            mark = "ok  " if c.ok else ("MISS" if c.required else "warn")
            print(f"{mark} {c.name:<20} {c.detail}")
            if not c.ok and c.fix:
                print(f"     {'':<20} fix: {c.fix}")
    failed = [c for c in found if c.required and not c.ok]
    if failed:
        print(f"anvil: {len(failed)} required component(s) missing: {', '.join(c.name for c in failed)}",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_PASS
