"""Every temporary file of an Anvil process lives under one folder of its own:
``$TMPDIR/anvil-<uid>/<pid>-<random>/``.

The process holds a lock on that folder for its whole life and removes the folder when it exits.
A process killed before it could (SIGKILL, a crash) leaves it behind unlocked, and the next
Anvil process that makes its own folder removes it: nothing of a run, and no copy of a bench,
outlives the process that made it by more than that.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

_LOCK = ".owner"
_state: dict[str, object] = {}
_guard = threading.Lock()


def base() -> Path:
    return Path(tempfile.gettempdir()) / f"anvil-{os.getuid()}"


def process_dir() -> Path:
    """This process's folder (made, locked and its dead siblings swept on first use)."""
    with _guard:
        folder = _state.get("dir")
        if folder is not None and _state.get("pid") == os.getpid():
            return folder  # type: ignore[return-value]
        root = base()
        root.mkdir(mode=0o700, exist_ok=True)
        sweep(root)
        folder = root / f"{os.getpid()}-{secrets.token_hex(4)}"
        folder.mkdir(mode=0o700)
        fd = os.open(folder / _LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _state.update(dir=folder, pid=os.getpid(), fd=fd)
        return folder


def mkdtemp(prefix: str) -> Path:
    """A new temporary folder inside this process's folder."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=process_dir()))


def sweep(root: Path) -> list[Path]:
    """Remove the folders under ``root`` whose owner is gone (its lock is free); returns them."""
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for folder in entries:
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            fd = os.open(folder / _LOCK, os.O_RDWR)
        except FileNotFoundError:  # being made right now, or never locked: leave it unless it is old
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its owner lives
            os.close(fd)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
        removed.append(folder)
    return removed


@atexit.register
def remove() -> None:
    folder = _state.get("dir")
    if folder is None or _state.get("pid") != os.getpid():
        return
    shutil.rmtree(folder, ignore_errors=True)  # type: ignore[arg-type]
    try:
        os.close(_state["fd"])  # type: ignore[arg-type]
    except OSError:
        pass
    try:
        base().rmdir()  # only when no other process has a folder there
    except OSError:
        pass
    _state.clear()
