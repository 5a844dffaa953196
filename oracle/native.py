"""The oracle's two C helpers, built on the host on first use: the fork module
(:mod:`oracle.forking`) and the waveform reader (:mod:`oracle.vcdfast`).

Each is compiled once per source (and, for the fork module, per Icarus installation) with the
host's ``gcc`` into a cache folder, which the sandbox shows the runner read-only. Without a C
compiler the oracle does without them: slower, the same verdicts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "anvil" / "vpi"


def build(source: Path, output: str, folder: Path, flags: Sequence[str] = ()) -> str:
    """Compile ``source`` into ``folder/output`` as a shared object (the folder appears whole or
    not at all); a reason when it could not, "" when it did (or another process did first)."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        return "no C compiler (gcc)"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        out = Path(tmp) / output
        try:
            done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", *flags, "-o", str(out), str(source)],
                                  capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{compiler}: {exc}"
        if done.returncode != 0 or not out.is_file():
            return f"{compiler} failed: {(done.stderr or done.stdout).strip()[:300]}"
        try:
            os.replace(tmp, folder)
        except OSError:  # another process built it first
            if not (folder / output).is_file():
                return f"cannot write {folder}"
        else:
            os.chmod(folder, 0o755)
            os.mkdir(tmp)  # for TemporaryDirectory's cleanup
    return ""


__all__ = ["build", "cache_dir"]
