"""A seeded generator of malformed LSP input, and a raw stdio client for the real server.

Used by tests/lsp/test_fuzz.py and scripts/fuzz_lsp.py. Every message is framed correctly (so a
response can be waited for); what is malformed is the JSON, the JSON-RPC envelope, or the
parameters of real methods, in the ways clients and careless scripts get them wrong.
"""

from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

METHODS = ["initialize", "shutdown", "textDocument/codeAction", "workspace/executeCommand", "textDocument/hover",
           "textDocument/didOpen", "textDocument/didChange", "workspace/didChangeConfiguration",
           "$/cancelRequest", "workspace/didChangeWatchedFiles", "nonexistent/method"]
COMMANDS = ["anvil.generate", "anvil.check", "anvil.cancel", "anvil.doctor", "anvil.insert", "anvil.nope"]


def weird(rng: random.Random, depth: int = 0):
    """A JSON value of a random kind, some of them hostile."""
    kind = rng.randrange(12 if depth < 2 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2 ** 63, 1e308, -0.5, 7])
    if kind == 3:
        return rng.choice(["", "x", "file:///", "file:///nope/x.md", "\udc80", "a" * 10_000, "file:///%00",
                           "http://example.com/x.md", "file:///" + "d/" * 500 + "x_tb.sv", "\\x00", "💥"])
    if kind == 4:
        return "file:///tmp/" + "".join(rng.choice("abc_./\\%") for _ in range(rng.randrange(1, 30)))
    if kind == 5:
        return rng.choice([[], {}, [None], {"uri": None}])
    if kind == 6:
        return {"uri": weird(rng, depth + 1)}
    if kind == 7:
        return {"job": weird(rng, depth + 1)}
    if kind == 8:
        return [weird(rng, depth + 1) for _ in range(rng.randrange(3))]
    if kind == 9:
        return {rng.choice(["textDocument", "range", "context", "command", "arguments", "settings"]):
                weird(rng, depth + 1) for _ in range(rng.randrange(1, 4))}
    if kind == 10:
        return {"textDocument": {"uri": weird(rng, depth + 1), "text": weird(rng, depth + 1), "version": 1,
                                 "languageId": "systemverilog"}}
    return {"command": rng.choice(COMMANDS), "arguments": weird(rng, depth + 1)}


def message(rng: random.Random, msg_id: int) -> tuple[bytes, bool]:
    """(body, expects an answer)."""
    roll = rng.random()
    if roll < 0.08:
        return rng.choice([b"{", b"not json", b"\xff\xfe\x00", b'{"jsonrpc": "2.0", "id": ', b"[1, 2"]), True
    if roll < 0.15:  # not a JSON-RPC message: each must be answered InvalidRequest
        body = rng.choice([[1, 2], "text", 42, None, {"jsonrpc": "1.0", "id": msg_id, "method": "initialize"},
                           {"id": msg_id, "method": "shutdown"}, {"jsonrpc": "2.0", "id": [1], "method": "x"},
                           {"jsonrpc": "2.0", "id": msg_id, "method": 7}])
        return json.dumps(body).encode(), True
    method = rng.choice(METHODS)
    if method == "workspace/executeCommand" and rng.random() < 0.7:
        params = {"command": rng.choice(COMMANDS), "arguments": rng.choice([[weird(rng)], weird(rng), []])}
    else:
        params = weird(rng)
    notify = rng.random() < 0.25 and method not in ("shutdown",)
    body = {"jsonrpc": "2.0", "method": method, "params": params}
    if not notify:
        body["id"] = msg_id
    if method == "shutdown":  # would end the session; keep it for the lifecycle tests
        body["method"] = "textDocument/codeAction"
    return json.dumps(body, ensure_ascii=True).encode("utf-8", errors="surrogatepass"), not notify


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawServer:
    """``anvil serve`` with a byte-level client: send anything, read what comes back."""

    def __init__(self, env: dict | None = None) -> None:
        import tempfile

        self.log = tempfile.TemporaryFile()  # a pipe would fill up with the server's log and stall it
        self.proc = subprocess.Popen([sys.executable, "-m", "anvil", "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, cwd=ROOT,
                                     env=env or dict(os.environ))
        self.buffer = b""
        self.messages: list[dict] = []
        os.set_blocking(self.proc.stdout.fileno(), False)

    def send(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def request(self, msg_id, method: str, params=None) -> None:
        body = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            body["params"] = params
        self.send(frame(json.dumps(body).encode()))

    def notify(self, method: str, params=None) -> None:
        self.send(frame(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode()))

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return
        self.buffer += chunk
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            if len(rest) < length:
                return
            self.messages.append(json.loads(rest[:length]))
            self.buffer = rest[length:]

    def response(self, msg_id, timeout: float = 20.0) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.messages:
                if m.get("id") == msg_id and ("result" in m or "error" in m):
                    self.messages.remove(m)
                    return m
            if self.proc.poll() is not None and not self._pending_output():
                return None
            self._pump(0.05)
        return None

    def _pending_output(self) -> bool:
        ready, _, _ = select.select([self.proc.stdout], [], [], 0)
        return bool(ready)

    def answer_server_requests(self) -> None:
        """Reply to the server's own requests (configuration, registrations, progress)."""
        self._pump(0.01)
        for m in list(self.messages):
            if "method" in m and "id" in m:
                self.messages.remove(m)
                result = [None] if m["method"] == "workspace/configuration" else None
                self.send(frame(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}).encode()))

    def initialize(self, folder: Path) -> dict:
        uri = folder.as_uri()
        self.request(1, "initialize", {"processId": os.getpid(), "rootUri": uri, "capabilities": {},
                                       "workspaceFolders": [{"uri": uri, "name": "ws"}]})
        answer = self.response(1)
        self.notify("initialized", {})
        return answer

    def close(self, timeout: float = 10) -> int:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def fuzz(folder: Path, seed: int, count: int) -> dict:
    """Send ``count`` malformed messages; the figures: answered / expected, errors by code,
    the server alive at the end, tracebacks in its log."""
    rng = random.Random(seed)
    server = RawServer()
    server.initialize(folder)
    expected = answered = 0
    codes: dict[str, int] = {}
    missing: list[str] = []
    for i in range(count):
        msg_id = 1000 + i
        body, expects = message(rng, msg_id)
        server.send(frame(body))
        server.answer_server_requests()
        if not expects:
            continue
        expected += 1
        answer = server.response(msg_id, timeout=20) if b'"id": %d' % msg_id in body or b'"id":%d' % msg_id in body \
            else server.response(None, timeout=20)
        if answer is None:
            missing.append(body[:200].decode(errors="replace"))
            continue
        answered += 1
        key = str(answer["error"]["code"]) if "error" in answer else "result"
        codes[key] = codes.get(key, 0) + 1
    alive = server.proc.poll() is None
    server.request(99, "shutdown")
    shut = server.response(99)
    server.notify("exit")
    code = server.close()
    log = server.stderr()
    return {"seed": seed, "sent": count, "expected": expected, "answered": answered, "codes": codes,
            "missing": missing[:5], "alive": alive, "shutdown": shut is not None and "result" in shut,
            "exit_code": code, "tracebacks": log.count("Traceback (most recent call last)")}
