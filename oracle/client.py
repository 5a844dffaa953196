"""The host side of the runner: start it (sandboxed when possible), talk to it, restart it.

One runner per configuration and process, shared by every :class:`oracle.Oracle` and event
loop in it. A dedicated thread starts the runner and reads its answers, so that the parent-death
signal that ends the sandbox refers to a thread that lives as long as the process. Requests
carry ids; an awaiting task that is cancelled sends ``cancel`` and waits (briefly) until the
runner says the run's processes are gone.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import json
import logging
import os
import re
import secrets
import subprocess
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from . import sandbox, scratch, vcdfast  # noqa: F401 - scratch first: its folder is removed after the runners stop
from .cocotb import Cocotb, find_cocotb
from .errors import OracleError
from .forking import INSIDE as FORK_INSIDE
from .forking import module_folder
from .process import inherited_memory_note
from .toolchain import Toolchain
from .verdict import Verdict
from .wire import BenchMessage, RunRequest

log = logging.getLogger("anvil.oracle")
START_TIMEOUT_S = 60.0
CANCEL_WAIT_S = 5.0


#: a request waiting for its answer: the event loop it waits on, and its future
_Entry = tuple[asyncio.AbstractEventLoop, "asyncio.Future[dict[str, Any]]"]


class RunnerDied(OracleError):
    """The runner ended while a request was in flight."""


class RunnerClient:
    def __init__(self, tools: Toolchain, *, mode: str = "auto", host_tmp: Path | None = None,
                 memory_bytes: int = 4 << 30) -> None:
        self.tools = tools
        self.mode = mode
        self.host_tmp = host_tmp
        self.memory_bytes = memory_bytes
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, _Entry] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._pid = os.getpid()
        self._benches: set[str] = set()
        self.sandboxed = False
        self.root = ""
        self.problem = ""  # why the sandbox is not in use, when it is not
        self.probe: dict[str, Any] = {}  # what the runner sees (network interfaces, the caller's paths)
        self._stderr: deque[str] = deque(maxlen=40)
        self.cocotb = find_cocotb()

    # -- life cycle ------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None and self._pid == os.getpid()

    def ensure_started(self) -> None:
        with self._lock:
            if self.alive:
                return
            if self._pid != os.getpid():  # a forked copy of this process: start its own runner
                self._pid = os.getpid()
                self._pending.clear()
            self._benches = set()
            attempts = [True, False] if self.mode == "auto" else [self.mode == "on"]
            reasons: list[str] = []
            for sandboxed in attempts:
                started = threading.Event()
                outcome: dict[str, str] = {}
                thread = threading.Thread(target=self._io, args=(sandboxed, started, outcome), daemon=True,
                                          name="anvil-oracle-runner")
                try:
                    thread.start()
                except RuntimeError as exc:  # no memory for a thread: an inherited limit, most likely
                    note = inherited_memory_note(self.memory_bytes)
                    raise OracleError(f"cannot start the oracle: {exc}" + (f" ({note})" if note else "")) from None
                if not started.wait(START_TIMEOUT_S):
                    outcome.setdefault("error", f"the runner did not start within {START_TIMEOUT_S:g} s")
                if "error" not in outcome:
                    self.sandboxed = sandboxed
                    self.root = outcome["root"]
                    if not sandboxed and reasons:
                        self.problem = reasons[0]
                        log.warning("simulations run WITHOUT a sandbox (%s): candidates are still elaborated "
                                    "alone and judged by what Icarus compiled, but the machine's files are not "
                                    "hidden from the tools; install bubblewrap, or set ANVIL_SANDBOX=on to refuse "
                                    "to run without it (anvil doctor)", self.problem)
                    return
                reasons.append(outcome["error"])
            note = inherited_memory_note(self.memory_bytes)
            raise OracleError("cannot start the oracle's runner: " + "; ".join(reasons)
                              + (f" ({note})" if note else ""))

    def _io(self, sandboxed: bool, started: threading.Event, outcome: dict[str, str]) -> None:
        """Thread body: start the runner, then read its answers until it ends."""
        try:
            binds = [(p, f"/anvil/site{i}") for i, p in enumerate(self.cocotb.paths)] \
                if self.cocotb is not None and sandboxed else []
            cocotb = self.cocotb.moved(binds) if self.cocotb is not None else None

            def shown(folder: Path | None, inside: str) -> str | None:
                """A C helper's folder as the runner sees it (shown read-only in the sandbox)."""
                if folder is None:
                    return None
                if not sandboxed:
                    return str(folder)
                binds.append((str(folder), inside))
                return inside

            fork_seen = shown(module_folder(self.tools), FORK_INSIDE)
            reader = shown(vcdfast.library_folder(), vcdfast.INSIDE)
            reader_seen = f"{reader}/{vcdfast.LIBRARY}" if reader is not None else None
            launch = sandbox.launch(sandboxed=sandboxed, tool_prefixes=self.tools.folders,
                                    root_name=f"anvil-runs-{run_tag()}-{secrets.token_hex(4)}", host_tmp=self.host_tmp,
                                    config_for=lambda root: self._config(root, cocotb, fork_seen, reader_seen),
                                    binds=binds)
            process = subprocess.Popen(list(launch.argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, cwd=launch.cwd, env=launch.env or None,
                                       start_new_session=True)
        except (OSError, sandbox.SandboxUnavailable) as exc:
            outcome["error"] = str(exc)
            started.set()
            return
        stderr: deque[str] = deque(maxlen=40)
        threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True,
                         name="anvil-oracle-runner-stderr").start()
        assert process.stdout is not None
        first = process.stdout.readline()
        try:
            hello = json.loads(first) if first else {}
        except ValueError:
            hello = {}
        if not hello.get("ready"):
            process.wait(timeout=10)
            tail = " | ".join(list(stderr)[-3:]) or f"exit code {process.returncode}"
            outcome["error"] = ("bubblewrap: " if sandboxed else "runner: ") + tail
            started.set()
            return
        self._process = process
        self._stderr = stderr
        outcome["root"] = hello.get("root", launch.root)
        self.probe = hello.get("probe", {})
        started.set()
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            entry = self._pending.pop(message.get("id"), None)
            if entry is not None:
                _resolve(entry, message)
        code = process.wait()
        tail = " | ".join(list(stderr)[-3:])
        died = RunnerDied(f"the oracle's runner ended (exit code {code}){': ' + tail if tail else ''}")
        for rid in list(self._pending):
            entry = self._pending.pop(rid, None)
            if entry is not None and entry[1] is not None:
                _fail(entry, died)

    def _config(self, root: str, cocotb: Cocotb | None, fork_module: str | None, vcd_library: str | None) -> str:
        probe_paths = ["/etc/passwd", os.getcwd(), "/proc/self/mountinfo"]
        return json.dumps({"tools": self.tools.to_wire(), "root": root, "memory_bytes": self.memory_bytes,
                           "probe_paths": probe_paths, "fork_module": fork_module, "vcd_library": vcd_library,
                           "cocotb": cocotb.to_wire() if cocotb is not None else None})

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None or self._pid != os.getpid():
            return
        try:
            if process.stdin:
                process.stdin.close()  # the runner kills its jobs, removes its files, exits
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()

    # -- requests --------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None:
            raise RunnerDied("the oracle's runner is not running")
        data = json.dumps(message).encode() + b"\n"
        with self._write_lock:
            try:
                process.stdin.write(data)
                process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as exc:
                raise RunnerDied(f"the oracle's runner is gone ({exc})") from None

    async def start(self) -> None:
        if not self.alive:
            await asyncio.get_running_loop().run_in_executor(None, self.ensure_started)

    async def run(self, request: RunRequest, bench: BenchMessage) -> Verdict | None:
        """Judge one design; the bench is sent first if this runner does not have it yet. None:
        the runner answered without a verdict."""
        return (await self.run_all(request, bench))[0]

    async def run_all(self, request: RunRequest, bench: BenchMessage) -> tuple[Verdict | None, list[Verdict] | None]:
        """Judge one design: its verdict, and for a schema (:mod:`oracle.variants`) one per choice
        when its choices ran."""
        await self.start()
        if bench.key not in self._benches:
            self._send(bench.to_wire())
            self._benches.add(bench.key)
        answer = await self.request(request.to_wire())
        verdict = Verdict.from_wire(answer["verdict"]) if "verdict" in answer else None
        variants = [Verdict.from_wire(v) for v in answer["variants"]] if "variants" in answer else None
        return verdict, variants

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer; cancelling waits for the runner's cleanup."""
        await self.start()
        loop = asyncio.get_running_loop()
        rid = next(self._ids)
        future = loop.create_future()
        self._pending[rid] = (loop, future)
        self._send({**message, "id": rid})
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if message.get("op") == "run" and not future.done():
                try:
                    self._send({"op": "cancel", "id": rid})
                    await asyncio.wait_for(asyncio.shield(future), CANCEL_WAIT_S)
                except (TimeoutError, RunnerDied, asyncio.CancelledError):
                    pass
            raise
        finally:
            self._pending.pop(rid, None)

    async def status(self) -> dict[str, Any]:
        """What the runner still has: runs going (``jobs``), run directories on disk (``files``)."""
        answer: dict[str, Any] = (await self.request({"op": "status"}))["status"]
        return answer


def run_tag() -> str:
    """Part of every run directory's name: ``$ANVIL_RUN_TAG`` (letters, digits, -_), else this
    process's id, so that one can tell whose simulations are running."""
    tag = re.sub(r"[^A-Za-z0-9_-]", "", os.environ.get("ANVIL_RUN_TAG", ""))[:40]
    return tag or str(os.getpid())


def _settle(future: asyncio.Future[dict[str, Any]], message: dict[str, Any] | None, exc: Exception | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(message or {})


def _resolve(entry: _Entry, message: dict[str, Any]) -> None:
    loop, future = entry
    try:
        loop.call_soon_threadsafe(_settle, future, message, None)
    except RuntimeError:  # that event loop is closed: nobody waits any more
        pass


def _fail(entry: _Entry, exc: Exception) -> None:
    loop, future = entry
    try:
        loop.call_soon_threadsafe(_settle, future, None, exc)
    except RuntimeError:
        pass


def _drain(stream: IO[bytes], tail: deque[str]) -> None:
    for raw in stream:
        line = raw.decode(errors="replace").rstrip()
        if line:
            tail.append(line)
            log.debug("runner: %s", line)


_CLIENTS: dict[tuple[Toolchain, str, str | None, int], RunnerClient] = {}
_CLIENTS_LOCK = threading.Lock()


def runner_for(tools: Toolchain, *, mode: str | None = None, host_tmp: Path | None = None,
               memory_bytes: int = 4 << 30) -> RunnerClient:
    """The shared runner for this configuration (started on first request)."""
    mode = mode or sandbox.mode_from_env()
    # where run directories go matters only without a sandbox (inside, they are on its tmpfs)
    key = (tools, mode, str(host_tmp) if host_tmp and mode == "off" else None, memory_bytes)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = RunnerClient(tools, mode=mode, host_tmp=host_tmp, memory_bytes=memory_bytes)
        return client


@atexit.register
def close_all() -> None:
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
    for client in clients:
        client.close()
