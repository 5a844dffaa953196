"""The oracle's two C helpers, built on the host on first use: the fork module
(:mod:`oracle.forking`) and the waveform reader (:mod:`oracle.vcdfast`).

Each is compiled once per source (and, for the fork module, per Icarus installation) with the
host's ``gcc`` into a cache folder, which the sandbox shows the runner read-only. Without a C
compiler the oracle does without them: slower, the same verdicts.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

_built: dict[str, Path | None] = {}
_problems: dict[str, str] = {}


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "anvil" / "vpi"


def cached(key: str, output: str, make: Callable[[Path], str], without: str) -> tuple[Path | None, str]:
    """(the cache folder ``key`` holding ``output``, "") once ``make(folder)`` has built it there
    (it returns a reason when it cannot), on first use in this process; (None, the reason) when
    it cannot be built here, said once in the log after ``without`` (what is done instead)."""
    if key not in _built:
        folder: Path | None = cache_dir() / key
        assert folder is not None
        if not (folder / output).is_file():
            try:
                problem = make(folder)
            except OSError as exc:  # the cache folder cannot be written
                problem = f"cannot write {folder}: {exc}"
            if problem:
                log.info("%s (%s)", without, problem)
                _problems[key], folder = problem, None
        _built[key] = folder
    return _built[key], _problems.get(key, "")


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


__all__ = ["build", "cache_dir", "cached"]
