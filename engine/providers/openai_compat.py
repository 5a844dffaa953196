"""OpenAI-compatible chat completions: OpenAI, vLLM, llama.cpp, Ollama (``/v1/chat/completions``)."""

from __future__ import annotations

import asyncio
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

OPENAI_URL = "https://api.openai.com/v1"


class OpenAIProvider:
    name = "openai"

    def __init__(self, *, model: str, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float | None = None, retry: RetryPolicy | None = None) -> None:
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
        try:
            import openai  # heavy: imported only when this provider is used
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ProviderConfigError(f"openai: the 'openai' package is missing: {exc}", provider="openai") from None
        self._openai = openai
        self._client = openai.AsyncOpenAI(base_url=self.base_url, api_key=api_key, timeout=self.timeout_s,
                                          max_retries=0)

    async def complete(self, request: CompletionRequest) -> Completion:
        return await self.retry.run(lambda: self._once(request), f"{self.name} call")

    async def _once(self, request: CompletionRequest) -> Completion:
        oa = self._openai
        watch = Stopwatch()
        kwargs: dict[str, Any] = dict(model=self.model, temperature=request.temperature,
                                      messages=[{"role": m.role, "content": m.content} for m in request.messages],
                                      max_tokens=request.max_tokens)
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.stop:
            kwargs["stop"] = list(request.stop)
        try:
            # a wall-clock bound: the SDK's timeout restarts with every byte a slow server sends
            response = await asyncio.wait_for(self._client.chat.completions.create(**kwargs), self.timeout_s)
        except (TimeoutError, oa.APITimeoutError) as exc:
            raise ProviderTimeout(f"{self.name}: no answer within {self.timeout_s:g} s", provider=self.name) from exc
        except oa.APIConnectionError as exc:
            raise ProviderUnavailable(f"{self.name}: cannot connect to {self.base_url}: {exc}",
                                      provider=self.name) from exc
        except oa.APIStatusError as exc:
            raise classify_status(exc.status_code, _message(exc), self.name) from exc
        except oa.OpenAIError as exc:
            raise ProviderError(f"{self.name}: {exc}", provider=self.name) from exc
        except Exception as exc:
            raise malformed(self.name, self.base_url, exc) from exc
        try:
            choices = response.choices
            if not isinstance(choices, list):
                raise TypeError(f"choices is {type(choices).__name__}, not a list")
            if not choices:
                raise ProviderUnavailable(f"{self.name}: empty answer (no choices)", provider=self.name)
            choice = choices[0]
            text = choice.message.content
            if text is not None and not isinstance(text, str):
                raise TypeError(f"the message content is {type(text).__name__}, not text")
            usage = response.usage
            return Completion(
                text=text or "",
                prompt_tokens=_count(getattr(usage, "prompt_tokens", 0)),
                completion_tokens=_count(getattr(usage, "completion_tokens", 0)),
                latency_s=watch.elapsed,
                model=response.model if isinstance(response.model, str) and response.model else self.model,
                finish_reason=choice.finish_reason if isinstance(choice.finish_reason, str) else "",
            )
        except ProviderError:
            raise
        except Exception as exc:
            raise malformed(self.name, self.base_url, exc) from exc

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
