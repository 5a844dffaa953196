"""Recorded answers: any provider can record; ``replay`` serves the answers offline.

A recording is a JSONL file, one line per call: ``{"key", "request", "response"}``. The key
is a hash of the request (messages, temperature, max_tokens, seed); the same request asked
several times gets its recorded answers in order. A request with no recorded answer is a
:class:`ReplayMiss`, never a made-up answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict, deque
from pathlib import Path

from .base import Completion, CompletionRequest, Provider, ProviderConfigError, ReplayMiss


def request_key(request: CompletionRequest) -> str:
    blob = json.dumps(request.to_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class RecordingProvider:
    """Wraps a provider and appends every successful call to ``path``."""

    def __init__(self, inner: Provider, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        #: the wrapped model's context, so that prompts are fitted to it as without the recording
        self.context_tokens: int | None = getattr(inner, "context_tokens", None)
        self.path = Path(path)
        if self.path.is_dir():
            raise ProviderConfigError(f"--record {self.path} is a folder; give a file", provider=inner.name)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise ProviderConfigError(f"cannot record to {self.path}: {exc.strerror or exc}", provider=inner.name) \
                from None
        self._lock = asyncio.Lock()

    async def complete(self, request: CompletionRequest) -> Completion:
        completion = await self.inner.complete(request)
        line = json.dumps({"key": request_key(request), "request": request.to_dict(),
                           "response": completion.to_dict()}, ensure_ascii=False)
        async with self._lock:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        return completion

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


class ReplayProvider:
    """Serves answers recorded by :class:`RecordingProvider`; with a ``fallback``, asks it for
    the requests the recording has no (more) answers to (``--reuse``: a benchmark's arms share
    the samples they ask identically, and only the rest costs model time)."""

    name = "replay"

    def __init__(self, path: Path | str, *, model: str | None = None, fallback: Provider | None = None) -> None:
        self.path = Path(path)
        #: the fallback model's context (a recording alone does not say what it was)
        self.context_tokens: int | None = getattr(fallback, "context_tokens", None)
        if not self.path.is_file():
            raise ProviderConfigError(f"replay: recording not found: {self.path}"
                                      + (" (it is a folder)" if self.path.is_dir() else ""), provider="replay")
        self._answers: dict[str, deque[Completion]] = defaultdict(deque)
        models = []
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ProviderConfigError(f"replay: {self.path} is not a recording (not text)", provider="replay") from None
        except OSError as exc:
            raise ProviderConfigError(f"replay: cannot read {self.path}: {exc.strerror or exc}",
                                      provider="replay") from None
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                completion = Completion.from_dict(entry["response"])
                key = entry.get("key") or request_key(CompletionRequest.from_dict(entry["request"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise ProviderConfigError(f"replay: {self.path}:{number}: not a recording line ({exc})",
                                          provider="replay") from None
            self._answers[key].append(completion)
            models.append(completion.model)
        self.model = model or (models[0] if models else "replay")
        self.fallback = fallback
        if fallback is not None:
            self.name, self.model = fallback.name, fallback.model
        self.reused = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        queue = self._answers.get(request_key(request))
        if not queue and self.fallback is not None:
            return await self.fallback.complete(request)
        if queue and self.fallback is not None:
            self.reused += 1
        if not queue:
            raise ReplayMiss(f"replay: {self.path} has no recorded answer for this request "
                             "(were the spec, prompts or settings changed since recording?)", provider="replay")
        await asyncio.sleep(0)
        return queue.popleft()

    async def aclose(self) -> None:
        close = getattr(self.fallback, "aclose", None)
        if close is not None:
            await close()
