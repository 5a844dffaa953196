"""OpenAI-compatible chat completions: OpenAI, vLLM, llama.cpp, Ollama (``/v1/chat/completions``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from .base import (
    Completion,
    CompletionRequest,
    ProviderConfigError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RetryPolicy,
    Stopwatch,
    classify_status,
)
from .guard import runaway, trim

log = logging.getLogger("anvil.providers")

OPENAI_URL = "https://api.openai.com/v1"


class OpenAIProvider:
    name = "openai"

    def __init__(self, *, model: str, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float | None = None, retry: RetryPolicy | None = None,
                 stall_s: float | None = None) -> None:
        """``stall_s``: stream the answer and cut a call only when no token has come for that
        long (the first after ``timeout_s``), not when the whole answer takes longer; an answer
        that loops or runs on into a testbench is cut where it starts wasting tokens."""
        if not model:
            raise ProviderConfigError("openai: no model given (--model, or the 'model' setting)", provider="openai")
        self.model = model
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        if api_key is None:
            if self.base_url == OPENAI_URL:
                raise ProviderConfigError("openai: no API key: set OPENAI_API_KEY, or name another variable "
                                          "with --api-key-env", provider="openai")
            api_key = "not-needed"  # local servers (vLLM, llama.cpp, Ollama) accept any key
        self.timeout_s = timeout_s or 180.0
        self.retry = retry or RetryPolicy()
        self.stall_s = stall_s
        try:
            import openai  # heavy: imported only when this provider is used
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ProviderConfigError(f"openai: the 'openai' package is missing: {exc}", provider="openai") from None
        self._openai = openai
        self._client = openai.AsyncOpenAI(base_url=self.base_url, api_key=api_key, timeout=self.timeout_s,
                                          max_retries=0)

    async def complete(self, request: CompletionRequest) -> Completion:
        return (await self.retry.run(lambda: self._once(request), f"{self.name} call"))[0]

    def _translate(self, exc: Exception, waited_s: float) -> ProviderError:
        """The provider error for what the SDK (or the wait around it) raised."""
        oa = self._openai
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, (TimeoutError, oa.APITimeoutError)):
            return ProviderTimeout(f"{self.name}: no answer within {waited_s:g} s", provider=self.name)
        if isinstance(exc, oa.APIConnectionError):
            return ProviderUnavailable(f"{self.name}: cannot connect to {self.base_url}: {exc}", provider=self.name)
        if isinstance(exc, oa.APIStatusError):
            return classify_status(exc.status_code, _message(exc), self.name)
        if isinstance(exc, oa.OpenAIError):
            return ProviderError(f"{self.name}: {exc}", provider=self.name)
        return malformed(self.name, self.base_url, exc)

    async def _once(self, request: CompletionRequest, n: int = 1,
                    on_choice: Callable[[int, Completion], None] | None = None) -> list[Completion]:
        watch = Stopwatch()
        kwargs: dict[str, Any] = dict(model=self.model, temperature=request.temperature,
                                      messages=[{"role": m.role, "content": m.content} for m in request.messages],
                                      max_tokens=request.max_tokens)
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if n > 1:
            kwargs["n"] = n
        if self.stall_s is not None:
            return await self._streamed(kwargs, watch, n, on_choice)
        try:
            # a wall-clock bound: the SDK's timeout restarts with every byte a slow server sends
            response = await asyncio.wait_for(self._client.chat.completions.create(**kwargs), self.timeout_s)
        except Exception as exc:
            raise self._translate(exc, self.timeout_s) from exc
        try:
            choices = response.choices
            if not isinstance(choices, list):
                raise TypeError(f"choices is {type(choices).__name__}, not a list")
            if not choices:
                raise ProviderUnavailable(f"{self.name}: empty answer (no choices)", provider=self.name)
            if len(choices) < n:
                raise ProviderUnavailable(f"{self.name}: {len(choices)} answers where {n} were asked for",
                                          provider=self.name)
            usage = response.usage
            answers = []
            for choice in choices[:n]:
                text = choice.message.content
                if text is not None and not isinstance(text, str):
                    raise TypeError(f"the message content is {type(text).__name__}, not text")
                answers.append(Completion(
                    text=text or "",
                    prompt_tokens=_count(getattr(usage, "prompt_tokens", 0)),
                    completion_tokens=_count(getattr(usage, "completion_tokens", 0)) // n,
                    latency_s=watch.elapsed,
                    model=response.model if isinstance(response.model, str) and response.model else self.model,
                    finish_reason=choice.finish_reason if isinstance(choice.finish_reason, str) else ""))
                if on_choice is not None:
                    on_choice(len(answers) - 1, answers[-1])
            return answers
        except ProviderError:
            raise
        except Exception as exc:
            raise malformed(self.name, self.base_url, exc) from exc

    async def complete_many(self, request: CompletionRequest, n: int, *,
                            on_choice: Callable[[int, Completion], None] | None = None) -> list[Completion]:
        """``n`` answers to one request from one call (the server reads the prompt once); with
        streaming, ``on_choice`` hears each answer as soon as it is finished."""
        return await self.retry.run(lambda: self._once(request, n, on_choice), f"{self.name} call")

    async def _streamed(self, kwargs: dict[str, Any], watch: Stopwatch, n: int,
                        on_choice: Callable[[int, Completion], None] | None) -> list[Completion]:
        """The answers read as a stream, bounded by progress rather than by their length. An answer
        the server finishes is handed on with the usage the server sends right after it (or at the
        end of the stream); one cut as waste is handed on at once."""
        assert self.stall_s is not None
        parts: list[list[str]] = [[] for _ in range(n)]
        chars = [0] * n
        tokens = [0] * n  # the server streams a token per chunk
        seen = [0] * n
        pending: dict[int, str] = {}  # finished by the server, waiting for its usage: finish reason
        done: dict[int, Completion] = {}
        prompt_tokens = 0
        model = self.model
        bound = self.timeout_s  # the prompt is read before the first token: the longer wait

        def finish(index: int, text: str, reason: str) -> None:
            done[index] = Completion(text=text, prompt_tokens=prompt_tokens, completion_tokens=tokens[index],
                                     latency_s=watch.elapsed, model=model, finish_reason=reason)
            if on_choice is not None:
                on_choice(index, done[index])

        def settle() -> None:
            for index, reason in pending.items():
                finish(index, "".join(parts[index]), reason)
            pending.clear()

        try:
            stream = await asyncio.wait_for(self._client.chat.completions.create(
                **kwargs, stream=True, stream_options={"include_usage": True}), bound)
            try:
                chunks = stream.__aiter__()
                while len(done) < n:
                    try:
                        chunk = await asyncio.wait_for(chunks.__anext__(), bound)
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        raise ProviderTimeout(f"{self.name}: no progress for {bound:g} s ({sum(chars)} characters "
                                              "so far)", provider=self.name) from None
                    bound = self.stall_s
                    if isinstance(getattr(chunk, "model", None), str) and chunk.model:
                        model = chunk.model
                    usage = getattr(chunk, "usage", None)
                    if usage is not None:
                        prompt_tokens = _count(getattr(usage, "prompt_tokens", 0))
                        if len(pending) == 1:  # the usage of the answer just finished
                            index = next(iter(pending))
                            tokens[index] = _count(getattr(usage, "completion_tokens", 0)) or tokens[index]
                        settle()
                    for choice in chunk.choices or ():
                        i = choice.index if isinstance(choice.index, int) and 0 <= choice.index < n else 0
                        if i in done or i in pending:
                            continue  # cut earlier: what the server still sends is waste
                        delta = getattr(choice.delta, "content", None)
                        if isinstance(delta, str) and delta:
                            parts[i].append(delta)
                            chars[i] += len(delta)
                            tokens[i] += 1
                        if isinstance(choice.finish_reason, str) and choice.finish_reason:
                            pending[i] = choice.finish_reason
                        elif chars[i] - seen[i] >= 64:  # look for waste every few tokens
                            seen[i] = chars[i]
                            text = "".join(parts[i])
                            reason = runaway(text)
                            if reason is not None:
                                log.info("%s: answer cut (%s) after %d characters", self.name, reason, chars[i])
                                finish(i, trim(text, reason), reason)
            finally:
                await stream.close()
        except ProviderError:
            raise
        except Exception as exc:
            raise self._translate(exc, bound) from exc
        settle()
        for i in range(n):
            if i not in done:
                finish(i, "".join(parts[i]), "")
        return [done[i] for i in range(n)]

    async def aclose(self) -> None:
        await self._client.close()


def malformed(provider: str, url: str, exc: BaseException) -> ProviderUnavailable:
    """An answer that is not the API's (retryable: proxies and overloaded servers send these)."""
    detail = " ".join(str(exc).split())[:160] or type(exc).__name__
    return ProviderUnavailable(f"{provider}: the answer from {url} is not a chat completion ({detail})",
                               provider=provider)


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
    return str(exc)[:300]
