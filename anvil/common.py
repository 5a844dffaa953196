"""What every subcommand shares: exit codes, the usage error, file checks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TypeAlias

#: what a subcommand's ``register`` adds its parser to
SubCommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad arguments or input files: exit 2 with the message."""


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise UsageError(f"{what} not found: {path}")
    return path
