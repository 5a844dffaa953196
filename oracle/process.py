"""Running tool processes with a hard deadline, bounded output and no leftovers.

Each process runs in its own session (process group) with stdin from /dev/null (or a pipe the
caller feeds), so a simulation that waits for input or ignores SIGTERM cannot stall us: at the
deadline, or when the awaiting task is cancelled, the whole group gets SIGKILL. Output is
drained continuously through the event loop and only its head and tail are kept; a process may
instead stream its standard output to the caller (``data``), up to a cap. Resource limits
(address space, file size, CPU time) are applied to the child right after it starts. The exit
is watched through a pidfd: no helper thread per process (asyncio's default child watcher on
Python 3.11 starts one, which costs more than a small simulation).
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
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


def within_inherited(which: int, value: int) -> int:
    """``value``, lowered to the limit this process inherited (a child cannot be given more)."""
    soft, hard = resource.getrlimit(which)
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            value = min(value, bound)
    return value


def inherited_memory_note(wanted: int) -> str:
    """Why runs have less memory than ``wanted``: "" when they do not."""
    got = within_inherited(resource.RLIMIT_AS, wanted)
    if got >= wanted:
        return ""
    return (f"the address-space limit this process inherited (ulimit -v) is {got >> 20} MB, below the "
            f"{wanted >> 20} MB a simulation may use; raise it")


def _apply_limits(pid: int, limits: Limits) -> None:
    cpu = max(1, int(limits.timeout_s) + 2)
    for which, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_CPU, cpu),
    ):
        value = within_inherited(which, value)
        try:
            resource.prlimit(pid, which, (value, value))
        except (OSError, ValueError):  # the process already ended, or no permission
            pass


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def _group_gone(pgid: int, limit_s: float = 2.0) -> None:
    """Wait until every process of the killed group has died: children of a killed tool die a
    moment after it, and a child caught between fork and exec escapes a single kill. Called once
    the leader is reaped: its pid (the group id) stays reserved while any member lives or while
    the leader's pidfd is open, so signalling the group reaches this group alone (no /proc)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        await asyncio.sleep(0.005)


class Capture:
    """Head and tail of a byte stream."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limits.output_head - len(self.head)
        if room > 0:
            self.head.extend(chunk[:room])
            chunk = chunk[room:]
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail and self.tail_size - len(self.tail[0]) >= self.limits.output_tail:
                self.tail_size -= len(self.tail.popleft())

    def text(self) -> str:
        text = self.head.decode(errors="replace")
        if self.tail:
            rest = b"".join(self.tail)[-self.limits.output_tail:]
            skipped = self.total - len(self.head) - len(rest)
            if skipped > 0:
                text += f"\n[... {skipped} bytes of output skipped ...]\n"
            text += rest.decode(errors="replace")
        return text


class Child:
    """One tool process in its own group.

    ``feed``: its stdin is a pipe written with :meth:`write` and closed with :meth:`close_input`.
    ``on_data``: its stdout is a data stream passed chunk by chunk to this callback (up to
    ``data_cap`` bytes, beyond which the process is killed and :attr:`overflow` set), and only
    stderr is the captured output; otherwise stdout and stderr are merged and captured."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, limits: Limits, env: dict[str, str] | None = None,
                 feed: bool = False, on_data: Callable[[bytes], None] | None = None,
                 data_cap: int = 1 << 30) -> None:
        self.loop = asyncio.get_running_loop()
        self.limits = limits
        self.start = time.perf_counter()
        self.on_data = on_data
        self.data_cap = data_cap
        self.data_bytes = 0
        self.overflow = False
        self.proc = subprocess.Popen(
            list(argv), cwd=cwd, env=env, start_new_session=True,
            stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE if on_data else subprocess.STDOUT)
        _apply_limits(self.proc.pid, limits)
        self.capture = Capture(limits)
        self.pid_fd = os.pidfd_open(self.proc.pid)
        self._exited = self.loop.create_future()
        self._streams: dict[int, asyncio.Future[None]] = {}
        self._pending = bytearray()
        self._input_closed = not feed
        self._close_after_write = False
        out = self.proc.stdout
        assert out is not None
        self._watch(out.fileno(), self._on_data if on_data else self.capture.add)
        if on_data is not None:
            assert self.proc.stderr is not None
            self._watch(self.proc.stderr.fileno(), self.capture.add)
        self.loop.add_reader(self.pid_fd, self._on_exit)
        if feed:
            assert self.proc.stdin is not None
            os.set_blocking(self.proc.stdin.fileno(), False)

    # -- streams ---------------------------------------------------------------------------

    def _watch(self, fd: int, sink: Callable[[bytes], None]) -> None:
        os.set_blocking(fd, False)
        done = self.loop.create_future()
        self._streams[fd] = done

        def readable() -> None:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if chunk:
                sink(chunk)
                return
            self.loop.remove_reader(fd)
            if not done.done():
                done.set_result(None)

        self.loop.add_reader(fd, readable)

    def _on_data(self, chunk: bytes) -> None:
        self.data_bytes += len(chunk)
        if self.data_bytes > self.data_cap:
            if not self.overflow:
                self.overflow = True
                kill_group(self.proc.pid)
            return
        assert self.on_data is not None
        self.on_data(chunk)

    def _on_exit(self) -> None:
        self.loop.remove_reader(self.pid_fd)
        if not self._exited.done():
            self._exited.set_result(None)

    # -- input -----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue ``data`` for the child's stdin (written as the pipe takes it)."""
        if self._input_closed or not data:
            return
        had = bool(self._pending)
        self._pending.extend(data)
        if not had:
            self._flush()

    def close_input(self) -> None:
        if self._input_closed:
            return
        if self._pending:
            self._close_after_write = True
        else:
            self._shut_input()

    def _flush(self) -> None:
        stdin = self.proc.stdin
        if stdin is None or self._input_closed:
            return
        fd = stdin.fileno()
        try:
            while self._pending:
                written = os.write(fd, self._pending[:1 << 16])
                del self._pending[:written]
        except BlockingIOError:
            self.loop.add_writer(fd, self._writable)
            return
        except OSError:  # the child stopped reading (exited): its own output says why
            self._pending.clear()
            self._shut_input()
            return
        self.loop.remove_writer(fd)
        if self._close_after_write:
            self._shut_input()

    def _writable(self) -> None:
        self._flush()

    def _shut_input(self) -> None:
        if self._input_closed:
            return
        self._input_closed = True
        stdin = self.proc.stdin
        if stdin is not None:
            try:
                self.loop.remove_writer(stdin.fileno())
            except (ValueError, OSError):
                pass
            try:
                stdin.close()
            except OSError:
                pass

    # -- waiting ---------------------------------------------------------------------------

    async def wait(self, timeout_s: float | None = None) -> ProcessResult:
        """Until the child exits and its output ends, or ``timeout_s`` (then killed); always
        leaves no member of its group running."""
        timeout_s = self.limits.timeout_s if timeout_s is None else timeout_s
        timed_out = False
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.gather(self._exited, *self._streams.values())),
                                   max(0.0, timeout_s))
        except TimeoutError:
            timed_out = True
        finally:
            await self._finish()
        return ProcessResult(returncode=self.proc.returncode, output=self.capture.text(),
                             output_bytes=self.capture.total, timed_out=timed_out,
                             elapsed_s=time.perf_counter() - self.start)

    async def _finish(self) -> None:
        # kill the group whatever happened (deadline, cancellation, or stragglers); a process
        # that escaped the group and still holds a pipe is not waited for
        abnormal = not (self._exited.done() and all(f.done() for f in self._streams.values()))
        kill_group(self.proc.pid)
        if not self._exited.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._exited), 5.0)
            except (TimeoutError, asyncio.CancelledError):
                pass
        self._shut_input()
        for fd in list(self._streams):
            self.loop.remove_reader(fd)
        self.loop.remove_reader(self.pid_fd)
        for fd in list(self._streams):  # whatever is still buffered in the pipes
            try:
                while chunk := os.read(fd, 1 << 16):
                    (self._on_data if (self.on_data and self.proc.stdout and fd == self.proc.stdout.fileno())
                     else self.capture.add)(chunk)
            except (BlockingIOError, OSError):
                pass
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        try:
            self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL not yet delivered
            pass
        if abnormal:
            await _group_gone(self.proc.pid)
        os.close(self.pid_fd)

    def kill(self) -> None:
        kill_group(self.proc.pid)


async def run_bounded(argv: Sequence[str], *, cwd: Path, limits: Limits,
                      env: dict[str, str] | None = None) -> ProcessResult:
    """Run ``argv`` in ``cwd``; stdout and stderr merged. Never raises for the tool's failure."""
    return await Child(argv, cwd=cwd, limits=limits, env=env).wait()
