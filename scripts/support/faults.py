"""A scripted OpenAI-compatible endpoint on 127.0.0.1 that fails in the ways real servers do.

    async with FaultServer("html") as server:  # server.url is the base URL (…/v1)
        ...

Modes: ``ok`` (a fenced answer), ``malformed`` (JSON cut short), ``bytes`` (random bytes),
``html`` (an error page with status 200), ``types`` (JSON of the wrong shape), ``empty``
(no choices), ``429``, ``500``, ``drop`` (the connection closes mid-answer), ``dribble`` (a
byte every 0.5 s, never finishing within a sane call timeout), ``hang`` (accepts and says
nothing). ``requests`` counts the calls it received.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading

ANSWER = "```verilog\nmodule TopModule(input a, output y);\n  assign y = a;\nendmodule\n```\n"


def _completion(text: str) -> bytes:
    return json.dumps({
        "id": "x", "object": "chat.completion", "created": 0, "model": "fault",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}).encode()


class FaultServer:
    def __init__(self, mode: str, answer: str | list[str] = ANSWER, *, delay_s: float = 0.0) -> None:
        self.mode = mode
        self.answers = [answer] if isinstance(answer, str) else list(answer)
        self.delay_s = delay_s  # ok: seconds before each answer (to watch progress)
        self.requests = 0
        self._server: asyncio.base_events.Server | None = None
        self.url = ""

    async def __aenter__(self) -> FaultServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._respond(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    async def _respond(self, reader, writer) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length")), 0)
        if length:
            await reader.readexactly(length)
        self.requests += 1
        mode = self.mode
        if mode == "hang":
            await asyncio.sleep(3600)
        status, body, kind = 200, b"", "application/json"
        if mode == "ok":
            await asyncio.sleep(self.delay_s)
            body = _completion(self.answers[(self.requests - 1) % len(self.answers)])
        elif mode == "malformed":
            body = _completion(self.answers[0])[:40]
        elif mode == "bytes":
            body = bytes(random.Random(self.requests).randrange(256) for _ in range(300))
        elif mode == "html":
            body, kind = b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"
        elif mode == "types":
            body = json.dumps({"choices": "nope", "usage": [1, 2], "model": 5}).encode()
        elif mode == "empty":
            body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "fault",
                               "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 0,
                                                        "total_tokens": 1}}).encode()
        elif mode in ("429", "500"):
            status, body = int(mode), json.dumps({"error": {"message": f"scripted {mode}"}}).encode()
        elif mode == "drop":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\"")
            await writer.drain()
            return
        elif mode == "dribble":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            await writer.drain()
            for _ in range(10_000):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.5)
            return
        reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}[status]
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + body)
        await writer.drain()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadedFaultServer:
    """A FaultServer on its own thread and loop, for synchronous tests (Playwright, subprocesses)
    that change its delay between steps."""

    def __init__(self, answers: list[str], delay_s: float) -> None:
        self.server = FaultServer("ok", answers, delay_s=delay_s)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.__aenter__(), self.loop).result(10)
        self.url = self.server.url

    def close(self) -> None:
        try:  # answers still sleeping are abandoned
            asyncio.run_coroutine_threadsafe(self.server.__aexit__(None, None, None), self.loop).result(5)
        except TimeoutError:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


__all__ = ["ANSWER", "FaultServer", "ThreadedFaultServer", "free_port"]
