"""The provider plug-in point: one async method, plus the error table shared by adapters.

    ProviderError               a model call failed; ``retryable`` says whether to try again
    +-- ProviderTimeout         no answer within the call's timeout (retryable)
    +-- ProviderUnavailable     connection refused, 5xx, overloaded, rate limited (retryable)
    +-- ProviderConfigError     bad key, unknown model, bad base URL, missing package (fatal)
    +-- ProviderRequestError    the request itself was rejected, e.g. too long (fatal)
    +-- ReplayMiss              the replay file has no answer for this request (fatal)
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

log = logging.getLogger("anvil.providers")
T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class CompletionRequest:
    messages: tuple[Message, ...]
    temperature: float = 0.8
    max_tokens: int = 1024
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }
        if self.stop:
            data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompletionRequest:
        return cls(tuple(Message(m["role"], m["content"]) for m in data["messages"]),
                   data.get("temperature", 0.8), data.get("max_tokens", 1024), data.get("seed"),
                   tuple(data.get("stop", ())))


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    model: str = ""
    finish_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "latency_s": self.latency_s,
                "model": self.model, "finish_reason": self.finish_reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Completion:
        return cls(data["text"], data.get("prompt_tokens", 0), data.get("completion_tokens", 0),
                   data.get("latency_s", 0.0), data.get("model", ""), data.get("finish_reason", ""))


@runtime_checkable
class Provider(Protocol):
    """Anything that turns a chat request into text."""

    name: str
    model: str

    async def complete(self, request: CompletionRequest) -> Completion: ...


class ProviderError(Exception):
    retryable = False

    def __init__(self, message: str, *, provider: str = "", status: int | None = None):
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.tries = 1  # attempts made before giving up (set by RetryPolicy)


class ProviderTimeout(ProviderError):
    retryable = True


class ProviderUnavailable(ProviderError):
    retryable = True


class ProviderConfigError(ProviderError):
    pass


class ProviderRequestError(ProviderError):
    pass


class ReplayMiss(ProviderError):
    pass


def classify_status(status: int, message: str, provider: str) -> ProviderError:
    """The retry table for HTTP status codes of hosted APIs and local servers."""
    if status in (401, 403):
        return ProviderConfigError(f"{provider}: not authorised ({status}): check the API key: {message}",
                                   provider=provider, status=status)
    if status == 404:
        return ProviderConfigError(f"{provider}: not found ({status}): check the model name and base URL: "
                                   f"{message}", provider=provider, status=status)
    if status in (408,):
        return ProviderTimeout(f"{provider}: request timeout ({status})", provider=provider, status=status)
    if status in (409, 425, 429) or status >= 500:
        return ProviderUnavailable(f"{provider}: unavailable ({status}): {message}", provider=provider,
                                   status=status)
    return ProviderRequestError(f"{provider}: request rejected ({status}): {message}", provider=provider,
                                status=status)


@dataclass
class RetryPolicy:
    attempts: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 20.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    async def run(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """Call, retrying retryable errors with exponential backoff and jitter."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await call()
            except ProviderError as exc:
                if not exc.retryable:
                    raise
                if attempt == self.attempts:
                    exc.tries = attempt
                    raise
                delay = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
                delay *= 0.5 + random.random() / 2
                log.warning("%s failed (%s); retry %d/%d in %.1f s", what, exc, attempt,
                            self.attempts - 1, delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start
