"""Running one tool process with a hard deadline, bounded output and no leftovers.

Each process runs in its own session (process group) with stdin from /dev/null, so a
simulation that waits for input or ignores SIGTERM cannot stall us: at the deadline, or when
the awaiting task is cancelled, the whole group gets SIGKILL. Output is drained continuously
and only its head and tail are kept. Resource limits (address space, file size, CPU time) are
applied to the child right after it starts.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 30.0
    output_head: int = 1 << 20  # bytes kept from the start of the output
    output_tail: int = 64 << 10  # bytes kept from the end
    memory_bytes: int = 4 << 30
    file_bytes: int = 256 << 20


@dataclass(frozen=True)
class ProcessResult:
    returncode: int | None
    output: str
    output_bytes: int
    timed_out: bool
    elapsed_s: float

    @property
    def truncated(self) -> bool:
        return self.output_bytes > len(self.output.encode())


def _apply_limits(pid: int, limits: Limits) -> None:
    cpu = max(1, int(limits.timeout_s) + 2)
    for which, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_CPU, cpu),
    ):
        try:
            resource.prlimit(pid, which, (value, value))
        except (OSError, ValueError):  # the process already ended, or no permission
            pass


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _live_members(pgid: int) -> int:
    """Processes of the group that are not yet zombies (read from /proc)."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != b"Z":
            count += 1
    return count


async def _group_gone(pgid: int, limit_s: float = 2.0) -> None:
    """Wait until every process of the killed group has died: children of a killed tool die a
    moment after it, and a child caught between fork and exec still shows the tool's command
    line. Called while the leader is unreaped, so its pid (the group id) cannot be reused."""
    deadline = time.monotonic() + limit_s
    while _live_members(pgid) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


async def run_bounded(argv: Sequence[str], *, cwd: Path, limits: Limits) -> ProcessResult:
    """Run ``argv`` in ``cwd``; stdout and stderr merged. Never raises for the tool's failure.

    The child's exit is watched through a pidfd and its output through the event loop's
    selector: no helper thread per process (asyncio's default child watcher on Python 3.11
    starts one, which costs more than a small simulation).
    """
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _apply_limits(proc.pid, limits)
    assert proc.stdout is not None
    out_fd = proc.stdout.fileno()
    os.set_blocking(out_fd, False)
    pid_fd = os.pidfd_open(proc.pid)
    head = bytearray()
    tail: deque[bytes] = deque()
    tail_size = 0
    total = 0
    eof = loop.create_future()
    exited = loop.create_future()

    def on_output() -> None:
        nonlocal total, tail_size
        try:
            chunk = os.read(out_fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            loop.remove_reader(out_fd)
            if not eof.done():
                eof.set_result(None)
            return
        total += len(chunk)
        room = limits.output_head - len(head)
        if room > 0:
            head.extend(chunk[:room])
            chunk = chunk[room:]
        if chunk:
            tail.append(chunk)
            tail_size += len(chunk)
            while tail and tail_size - len(tail[0]) >= limits.output_tail:
                tail_size -= len(tail.popleft())

    def on_exit() -> None:
        loop.remove_reader(pid_fd)
        if not exited.done():
            exited.set_result(None)

    loop.add_reader(out_fd, on_output)
    loop.add_reader(pid_fd, on_exit)
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.gather(eof, exited)), limits.timeout_s)
    except asyncio.TimeoutError:
        timed_out = True
    finally:
        # kill the group whatever happened (deadline, cancellation, or stragglers); a process
        # that escaped the group and still holds the pipe is not waited for
        abnormal = not (eof.done() and exited.done())
        kill_group(proc.pid)
        if not exited.done():
            try:
                await asyncio.wait_for(asyncio.shield(exited), 5.0)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass
        loop.remove_reader(out_fd)
        loop.remove_reader(pid_fd)
        while True:  # whatever is still buffered in the pipe
            before = total
            on_output()
            if total == before:
                break
        os.close(pid_fd)
        proc.stdout.close()
        if abnormal:
            await _group_gone(proc.pid)
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL not yet delivered
            pass
    text = head.decode(errors="replace")
    if tail:
        rest = b"".join(tail)[-limits.output_tail:]
        skipped = total - len(head) - len(rest)
        if skipped > 0:
            text += f"\n[... {skipped} bytes of output skipped ...]\n"
        text += rest.decode(errors="replace")
    return ProcessResult(
        returncode=proc.returncode,
        output=text,
        output_bytes=total,
        timed_out=timed_out,
        elapsed_s=time.perf_counter() - start,
    )
