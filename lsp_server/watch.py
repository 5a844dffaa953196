"""Watching the workspace with watchdog when the client cannot (no didChangeWatchedFiles)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

INTERESTING = (".sv", ".v", ".svh", ".md", ".txt", ".toml")


def start_observer(root: Path, loop: asyncio.AbstractEventLoop, on_change: Callable[[Path], None]) -> Any:
    """A started watchdog observer calling ``on_change`` on ``loop`` (stop it with ``.stop()``)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.is_directory or event.event_type not in ("modified", "created", "moved", "deleted"):
                return
            path = Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))
            if path.suffix in INTERESTING and "/." not in str(path):
                loop.call_soon_threadsafe(on_change, path)

    observer = Observer()
    observer.daemon = True
    observer.schedule(Handler(), str(root), recursive=True)
    observer.start()
    return observer
