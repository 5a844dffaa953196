"""Watching the workspace with watchdog when the client cannot (no didChangeWatchedFiles)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

INTERESTING = (".sv", ".v", ".svh", ".md", ".txt", ".toml")


def start_observer(root: Path, loop: asyncio.AbstractEventLoop, on_change: Callable[[Path], None]):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.is_directory or event.event_type not in ("modified", "created", "moved", "deleted"):
                return
            path = Path(getattr(event, "dest_path", "") or event.src_path)
            if path.suffix in INTERESTING and "/." not in str(path):
                loop.call_soon_threadsafe(on_change, path)

    observer = Observer()
    observer.daemon = True
    observer.schedule(Handler(), str(root), recursive=True)
    observer.start()
    return observer
