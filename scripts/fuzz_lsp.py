#!/usr/bin/env python3
"""Malformed LSP input against the real server: figures per seed.

    .venv/bin/python scripts/fuzz_lsp.py [--seeds 1,2,3] [--count 1000]

For each seed, ``count`` messages from scripts/support/lspfuzz.py's generator (bad JSON, bad JSON-RPC
envelopes, real methods with hostile parameters) go to a fresh ``anvil serve``; it prints how
many requests were answered of those that must be, the answers by error code, whether the
server lived, shut down and exited 0, and how many tracebacks its log holds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.support.lspclient import make_workspace  # noqa: E402
from scripts.support.lspfuzz import fuzz  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    bad = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="anvil-fuzz-"))
        start = time.monotonic()
        r = fuzz(make_workspace(folder), seed, args.count)
        codes = ", ".join(f"{k} {v}" for k, v in sorted(r["codes"].items()))
        print(f"seed {seed}: {r['sent']} sent, {r['answered']}/{r['expected']} requests answered ({codes}); "
              f"alive {r['alive']}, shutdown {r['shutdown']}, exit {r['exit_code']}, tracebacks {r['tracebacks']} "
              f"({time.monotonic() - start:.1f} s)")
        bad += r["answered"] != r["expected"] or not r["alive"] or r["exit_code"] != 0 or r["tracebacks"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
