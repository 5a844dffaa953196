"""What every subcommand shares: exit codes, the usage error, file checks."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TypeAlias

#: what a subcommand's ``register`` adds its parser to
SubCommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
#: spec-only mode: an answer most candidates agree on, which nothing verified
EXIT_UNVERIFIED = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad arguments or input files: exit 2 with the message."""


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise UsageError(f"{what} not found: {path}")
    return path


def write_output(path: Path, code: str, *, force: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.anvil-tmp")
    tmp.write_text(code, encoding="utf-8")
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if the file appeared meanwhile: never overwrite silently
    finally:
        tmp.unlink(missing_ok=True)
