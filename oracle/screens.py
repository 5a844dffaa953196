"""Screen workers: warm pyslang processes forked from the runner, one screen at a time each.

A screen takes about 0.5 ms in a warm process; forking a fresh child per screen costs several
times that (copy-on-write faults of everything pyslang touches), so the runner keeps a small
pool. A worker's address space is limited; a screen that outlives its deadline has its worker
killed (and replaced), and that is a timeout verdict; one that crashes the parser or exhausts
the memory limit is a compile error saying so. The worker reads its requests from a pipe
(length-prefixed JSON), with its standard input on /dev/null.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import struct
from collections.abc import Callable
from typing import Any

from .process import inherited_memory_note, within_inherited
from .screen import ScreenReport
from .verdict import CompileError, Status, Verdict

_HEADER = struct.Struct("!I")


def _read_exact(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _serve(requests: int, answers: int, memory_bytes: int, work: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The worker's loop (in the forked child); never returns."""
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        limit = within_inherited(resource.RLIMIT_AS, memory_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        while True:
            size, = _HEADER.unpack(_read_exact(requests, _HEADER.size))
            request = json.loads(_read_exact(requests, size))
            try:
                answer = work(request)
            except MemoryError:
                answer = {"crash": "the screen ran out of memory"}
                code = 4
            except BaseException as exc:  # noqa: BLE001 - a parser failure is an answer
                answer = {"crash": f"{type(exc).__name__}: {exc}"[:500]}
            data = json.dumps(answer).encode()
            _write_all(answers, _HEADER.pack(len(data)) + data)
            if code:
                break
    except EOFError:
        pass
    except BaseException:  # noqa: BLE001
        code = 3
    finally:
        os._exit(code)


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


class _Worker:
    def __init__(self, pid: int, requests: int, answers: int) -> None:
        self.pid = pid
        self.requests = requests
        self.answers = answers
        os.set_blocking(answers, False)
        self.buffer = bytearray()

    def kill(self) -> None:
        for fd in (self.requests, self.answers):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


class ScreenPool:
    """Warm screen workers, forked on demand from this (single-threaded) process."""

    def __init__(self, work: Callable[[dict[str, Any]], dict[str, Any]], memory_bytes: int,
                 size: int | None = None) -> None:
        self.work = work
        self.memory_bytes = memory_bytes
        #: why screens have less memory than asked for (an inherited limit), if they do
        self.constrained = inherited_memory_note(memory_bytes)
        self.size = size or max(2, (os.cpu_count() or 2) + 1)
        self.idle: list[_Worker] = []
        self.busy: set[_Worker] = set()
        self._freed = asyncio.Event()

    def _spawn(self) -> _Worker:
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(req_w)
            os.close(ans_r)
            _serve(req_r, ans_w, self.memory_bytes, self.work)
        os.close(req_r)
        os.close(ans_w)
        return _Worker(pid, req_w, ans_r)

    def prestart(self, count: int = 1) -> None:
        while len(self.idle) < count:
            self.idle.append(self._spawn())

    async def _acquire(self) -> _Worker:
        while True:
            if self.idle:
                worker = self.idle.pop()
            elif len(self.busy) < self.size:
                worker = self._spawn()
            else:
                self._freed.clear()
                await self._freed.wait()
                continue
            self.busy.add(worker)
            return worker

    def _release(self, worker: _Worker, healthy: bool) -> None:
        self.busy.discard(worker)
        if healthy:
            self.idle.append(worker)
        else:
            worker.kill()
        self._freed.set()

    async def screen(self, request: dict[str, Any], timeout_s: float) -> ScreenReport | Verdict:
        worker = await self._acquire()
        healthy = False
        try:
            data = json.dumps(request).encode()
            _write_all(worker.requests, _HEADER.pack(len(data)) + data)
            answer = await asyncio.wait_for(self._answer(worker), timeout_s)
            healthy = True
        except TimeoutError:
            return Verdict(Status.TIMEOUT, reason=f"screening the design did not finish within {timeout_s:.3g} s")
        except (EOFError, OSError):
            answer = {"crash": "the screen ended without an answer (killed by its memory limit?)"}
        finally:
            self._release(worker, healthy)
        if "crash" in answer and self.constrained and "memory" in answer["crash"]:
            # not the design's fault: the machine's limit is lower than a screen may need
            return Verdict(Status.ERROR, reason=f"the screen ran out of memory: {self.constrained}")
        if "crash" in answer:
            message = f"the design could not be screened: {answer['crash']}"
            return Verdict(Status.COMPILE_ERROR, compile_errors=(CompileError(None, None, message),), reason=message)
        return ScreenReport.from_dict(answer)

    async def _answer(self, worker: _Worker) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        while True:
            if len(worker.buffer) >= _HEADER.size:
                size, = _HEADER.unpack_from(worker.buffer)
                if len(worker.buffer) >= _HEADER.size + size:
                    payload = bytes(worker.buffer[_HEADER.size:_HEADER.size + size])
                    del worker.buffer[:_HEADER.size + size]
                    answer: dict[str, Any] = json.loads(payload)
                    return answer
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(worker.answers, _wake, ready)
            try:
                await ready
            finally:
                loop.remove_reader(worker.answers)
            try:
                chunk = os.read(worker.answers, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                raise EOFError
            worker.buffer.extend(chunk)

    def close(self) -> None:
        for worker in [*self.idle, *self.busy]:
            worker.kill()
        self.idle.clear()
        self.busy.clear()
