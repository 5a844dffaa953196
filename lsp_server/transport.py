"""The server's side of the stdio stream: framing, limits, and an answer to every request.

pygls's own loop drops a request whose parameters do not validate (the editor then waits for
ever), has no bound on ``Content-Length`` (a huge one ends the server or leaves it deaf),
ignores requests after ``shutdown`` and exits 0 on ``exit`` whatever came before. This loop,
used by ``anvil serve`` instead:

- reads header lines of at most :data:`MAX_HEADER` bytes and bodies of at most
  :data:`MAX_MESSAGE`; a larger body is read and dropped (framing kept) with a log line;
- answers malformed JSON with ParseError (-32700), a message that is not a JSON-RPC request or
  notification with InvalidRequest (-32600), parameters that do not validate with InvalidParams
  (-32602), each with a message that says what was wrong;
- after ``shutdown``, answers every request but ``exit`` with InvalidRequest;
- on ``exit``, stops: the exit code is 0 after ``shutdown`` and 1 without it (LSP spec); output
  written after the stream is closed is dropped, not logged as a traceback per message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from .protocol import AnvilProtocol

log = logging.getLogger("anvil.lsp")

MAX_HEADER = 8 << 10
MAX_MESSAGE = 64 << 20
_CHUNK = 1 << 20
_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE)

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603


class Reader:
    """stdin, read by a daemon thread into an asyncio stream (a blocked read never holds up the
    loop or the interpreter's exit); lines are bounded."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._buffer: asyncio.StreamReader | None = None

    def _start(self) -> asyncio.StreamReader:
        loop = asyncio.get_running_loop()
        buffer = asyncio.StreamReader(limit=MAX_HEADER + 2, loop=loop)
        fd = self.stream.fileno()

        def pump() -> None:
            import os

            while True:
                try:
                    chunk = os.read(fd, 1 << 16)
                except OSError:
                    chunk = b""
                try:
                    if chunk:
                        loop.call_soon_threadsafe(buffer.feed_data, chunk)
                    else:
                        loop.call_soon_threadsafe(buffer.feed_eof)
                        return
                except RuntimeError:  # the loop is closed
                    return

        threading.Thread(target=pump, name="anvil-lsp-stdin", daemon=True).start()
        return buffer

    async def line(self) -> bytes:
        """One line (with its newline); a line over the limit comes back as its first part,
        without a newline; b"" at end of input."""
        if self._buffer is None:
            self._buffer = self._start()
        try:
            return await self._buffer.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial
        except asyncio.LimitOverrunError as exc:
            return await self._buffer.readexactly(exc.consumed)

    async def read(self, n: int) -> bytes:
        if self._buffer is None:
            self._buffer = self._start()
        try:
            return await self._buffer.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


class Writer:
    """pygls's writer interface over stdout; once closed (``exit``, or the client went away),
    writes are dropped with a single log line."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.closed = False
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            if self.closed:
                return
            try:
                self.stream.write(data)
                self.stream.flush()
            except (OSError, ValueError):
                self.closed = True
                log.warning("the client's end of the stream is gone; further output is dropped")

    def close(self) -> None:
        with self._lock:
            self.closed = True
            try:
                self.stream.flush()
            except (OSError, ValueError):
                pass


class Transport:
    def __init__(self, protocol: AnvilProtocol, stdin: BinaryIO | None = None,
                 stdout: BinaryIO | None = None) -> None:
        self.protocol = protocol
        self.reader = Reader(stdin or sys.stdin.buffer)
        self.writer = Writer(stdout or sys.stdout.buffer)
        self.exit_code: int | None = None
        self.on_exit: Callable[[], Awaitable[None]] | None = None  # run before the loop stops
        self.commands: set[str] = set()  # workspace/executeCommand names the server has

    # -- answering -------------------------------------------------------------------------

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})
        data = body.encode("utf-8")
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)

    # -- the loop --------------------------------------------------------------------------

    async def run(self) -> int:
        self.protocol.attach(self.writer)
        while self.exit_code is None:
            length = await self._headers()
            if length is None:
                break
            if length > MAX_MESSAGE:
                log.error("a message of %d bytes is over the limit of %d: dropped", length, MAX_MESSAGE)
                self.send_error(None, INVALID_REQUEST, f"a message of {length} bytes is over the limit of "
                                                       f"{MAX_MESSAGE}: dropped")
                if not await self._discard(length):
                    break
                continue
            body = await self._body(length)
            if body is None:
                break
            await self.handle(body)
        if self.exit_code is None:  # the client closed the stream without exit
            self.exit_code = 0 if self.protocol.shut_down else 1
        return self.exit_code

    async def _headers(self) -> int | None:
        """Header lines up to the blank one; the body's length (None at end of input)."""
        length = None
        while True:
            line = await self.reader.line()
            if not line:
                return None
            if not line.endswith(b"\n"):
                log.error("a header line over %d bytes: dropped", MAX_HEADER)
                while line and not line.endswith(b"\n"):
                    line = await self.reader.line()
                continue
            if not line.strip():
                if length is not None:
                    return length
                continue  # stray blank lines between messages
            m = _LENGTH.match(line.strip())
            if m:
                length = int(m.group(1))

    async def _body(self, length: int) -> bytes | None:
        chunks: list[bytes] = []
        got = 0
        while got < length:
            chunk = await self.reader.read(min(_CHUNK, length - got))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    async def _discard(self, length: int) -> bool:
        left = length
        while left:
            chunk = await self.reader.read(min(_CHUNK, left))
            if not chunk:
                return False
            left -= len(chunk)
        return True

    async def handle(self, body: bytes) -> None:
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("a message that is not JSON: %s", exc)
            self.send_error(None, PARSE_ERROR, f"the message is not JSON: {exc}")
            return
        except RecursionError:  # [[[[... 100,000 deep: refused, and the server goes on
            log.warning("a message nested too deeply to read: dropped")
            self.send_error(None, PARSE_ERROR, "the message is nested too deeply to read")
            return
        if not isinstance(raw, dict):
            self.send_error(None, INVALID_REQUEST, "a message must be a JSON object (batches are not part of LSP)")
            return
        msg_id = raw.get("id")
        method = raw.get("method")
        is_request = "id" in raw and "method" in raw
        if isinstance(msg_id, bool) or not (msg_id is None or isinstance(msg_id, (int, str))):
            self.send_error(None, INVALID_REQUEST, "the id must be a number or a string")
            return
        if raw.get("jsonrpc") != "2.0":
            if is_request:
                self.send_error(msg_id, INVALID_REQUEST, 'the message lacks "jsonrpc": "2.0"')
            return
        if ("method" in raw or "id" not in raw) and not isinstance(method, str):
            self.send_error(msg_id if "id" in raw else None, INVALID_REQUEST, "the method must be a string")
            return
        if method == "exit":
            self.exit_code = 0 if self.protocol.shut_down else 1
            if self.on_exit is not None:
                await self.on_exit()
            self.writer.close()
            return
        if self.protocol.shut_down and is_request:
            self.send_error(msg_id, INVALID_REQUEST, "the server is shutting down: only exit is accepted")
            return
        if is_request and isinstance(method, str) and _is_notification(method):
            self.send_error(msg_id, INVALID_REQUEST, f"{method} is a notification: it is sent without an id")
            return
        if is_request and method == "workspace/executeCommand" and self.commands:
            params = raw.get("params")
            command = params.get("command") if isinstance(params, dict) else None
            if not isinstance(command, str) or command not in self.commands:
                self.send_error(msg_id, INVALID_PARAMS, f"unknown command {str(command)[:80]!r}; the commands are "
                                                        f"{', '.join(sorted(self.commands))}")
                return
        try:
            message = self.protocol.parse(body)
        except Exception as exc:  # noqa: BLE001 - pygls raises its own and cattrs' errors
            reason = _first_line(exc.__cause__ or exc)
            if is_request:
                self.send_error(msg_id, INVALID_PARAMS, f"invalid parameters for {method}: {reason}")
            else:
                log.warning("a %s notification with invalid parameters was dropped: %s", method or "?", reason)
            return
        try:
            self.protocol.dispatch(message)
        except Exception as exc:  # noqa: BLE001 - pygls answers handler errors itself; this is its own
            log.error("cannot handle %s: %s", method, _first_line(exc))
            if is_request:
                self.send_error(msg_id, INTERNAL_ERROR, f"cannot handle {method}: {_first_line(exc)}")


def _is_notification(method: str) -> bool:
    from lsprotocol.types import METHOD_TO_TYPES

    kind = METHOD_TO_TYPES.get(method, (None,))[0]
    return kind is not None and kind.__name__.endswith("Notification")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    detail = text[0] if text else type(exc).__name__
    sub = getattr(exc, "exceptions", None)
    if sub:
        detail += ": " + "; ".join(_first_line(e) for e in sub[:3])
    return detail[:300]


__all__ = ["MAX_MESSAGE", "Transport"]
