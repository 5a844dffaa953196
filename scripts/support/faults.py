"""A scripted OpenAI-compatible endpoint on 127.0.0.1 that fails in the ways real servers do.

    async with FaultServer("html") as server:  # server.url is the base URL (…/v1)
        ...

Modes: ``ok`` (a fenced answer), ``malformed`` (JSON cut short), ``bytes`` (random bytes),
``html`` (an error page with status 200), ``types`` (JSON of the wrong shape), ``empty``
(no choices), ``429``, ``500``, ``drop`` (the connection closes mid-answer), ``dribble`` (a
byte every 0.5 s, never finishing within a sane call timeout), ``hang`` (accepts and says
nothing); streamed answers (``"stream": true`` requests, as the local provider sends): ``trickle``
(the answer a few characters per chunk, ``delay_s`` apart), ``stall`` (two chunks, then silence),
``loop`` (a module whose body repeats one line forever). ``requests`` counts the calls it
received; ``closed`` how many streams the client closed before their end.
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
        self.choices: list[int] = []  # the answers each call asked for (its ``n``)
        self.closed = 0
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
        body_in = await reader.readexactly(length) if length else b""
        self.requests += 1
        index = self.requests - 1  # this request's answer, fixed on arrival (others arrive while it sleeps)
        mode = self.mode
        if mode == "hang":
            await asyncio.sleep(3600)
        if mode in ("trickle", "stall", "loop"):
            asked = json.loads(body_in or b"{}")
            self.choices.append(int(asked.get("n") or 1))
            await self._stream(writer, asked, index)
            return
        status, body, kind = 200, b"", "application/json"
        if mode == "ok":
            await asyncio.sleep(self.delay_s)
            body = _completion(self.answers[index % len(self.answers)])
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


    async def _stream(self, writer: asyncio.StreamWriter, request: dict, index: int) -> None:
        """Server-sent events, one chunk per piece of the answer."""
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")

        def event(delta: dict, finish: str | None = None, usage: dict | None = None, index: int = 0) -> bytes:
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fault",
                     "choices": [{"index": index, "delta": delta, "finish_reason": finish}] if usage is None else [],
                     "usage": usage}
            return b"data: " + json.dumps(chunk).encode() + b"\n\n"

        choices = int(request.get("n") or 1)  # several answers: the i-th is answers[i], interleaved
        texts = [self.answers[(index + i) % len(self.answers)] for i in range(choices)]
        pieces = [(i, text[j:j + 4]) for j in range(0, max(map(len, texts)), 4)
                  for i, text in enumerate(texts) if j < len(text)]
        if self.mode == "loop":
            pieces = [(0, "module TopModule(input a, output y);\n")] + [(0, "  assign y = a;\n")] * 100_000
        try:
            for n, (index, piece) in enumerate(pieces):
                if self.mode == "stall" and n == 2:
                    await asyncio.sleep(3600)
                writer.write(event({"content": piece}, index=index))
                await writer.drain()
                await asyncio.sleep(self.delay_s)
            for index in range(choices):
                writer.write(event({}, "stop", index=index))
            writer.write(event({}, usage={"prompt_tokens": 10, "completion_tokens": len(pieces),
                                          "total_tokens": 10 + len(pieces)}))
            writer.write(b"data: [DONE]\n\n")
            await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            self.closed += 1
            raise


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
