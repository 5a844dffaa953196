#!/usr/bin/env python3
"""Write the run settings (engine.settings.RunSettings) into the VS Code extension's manifest.

    .venv/bin/python scripts/sync_settings.py [--check]

``contributes.configuration.properties`` gets one ``anvil.<key>`` entry per editor setting,
generated from RunSettings (type, default, limits, choices, description), followed by the
extension's own settings (``anvil.server.*``, ``anvil.trace.*``), kept as they are. ``--check``
changes nothing and exits 1 if the manifest differs (tests/test_settings.py does the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.settings import EDITOR_OWN, editor_schema  # noqa: E402

MANIFEST = ROOT / "vscode-client" / "package.json"


def synced(manifest: dict) -> dict:
    properties = manifest["contributes"]["configuration"]["properties"]
    own = {k: v for k, v in properties.items() if k.split(".")[1] in EDITOR_OWN}
    manifest["contributes"]["configuration"]["properties"] = {**editor_schema(), **own}
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="only say whether the manifest is in sync")
    args = parser.parse_args()
    text = MANIFEST.read_text(encoding="utf-8")
    wanted = json.dumps(synced(json.loads(text)), indent=2, ensure_ascii=False) + "\n"
    if wanted == text:
        print(f"{MANIFEST.relative_to(ROOT)}: in sync")
        return 0
    if args.check:
        print(f"{MANIFEST.relative_to(ROOT)}: out of sync with engine/settings.py (run scripts/sync_settings.py)")
        return 1
    MANIFEST.write_text(wanted, encoding="utf-8")
    print(f"{MANIFEST.relative_to(ROOT)}: updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
