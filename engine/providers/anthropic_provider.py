"""Anthropic Messages API (``/v1/messages``); llama.cpp's server speaks it too."""

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
from .openai_compat import _count, _message, malformed

DEFAULT_MODEL = "claude-sonnet-4-6"


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, *, model: str | None = None, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float | None = None, retry: RetryPolicy | None = None) -> None:
        self.model = model or DEFAULT_MODEL
        if api_key is None:
            if base_url is None:
                raise ProviderConfigError("anthropic: no API key: set ANTHROPIC_API_KEY, or name another "
                                          "variable with --api-key-env", provider="anthropic")
            api_key = "not-needed"
        self.base_url = base_url
        self.timeout_s = timeout_s or 180.0
        self.retry = retry or RetryPolicy()
        try:
            import anthropic  # heavy: imported only when this provider is used
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ProviderConfigError(f"anthropic: the 'anthropic' package is missing: {exc}",
                                      provider="anthropic") from None
        self._anthropic = anthropic
        self._send_temperature = True
        self._client = anthropic.AsyncAnthropic(base_url=base_url, api_key=api_key, timeout=self.timeout_s,
                                                max_retries=0)

    async def complete(self, request: CompletionRequest) -> Completion:
        return await self.retry.run(lambda: self._once(request), f"{self.name} call")

    async def _once(self, request: CompletionRequest) -> Completion:
        an = self._anthropic
        watch = Stopwatch()
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        messages = [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"]
        kwargs: dict[str, Any] = dict(model=self.model, messages=messages, max_tokens=request.max_tokens)
        if self._send_temperature:
            # the SDK no longer has a temperature argument; servers that honour it read it from the body
            kwargs["extra_body"] = {"temperature": min(1.0, request.temperature)}
        if system:
            kwargs["system"] = system
        if request.stop:
            kwargs["stop_sequences"] = list(request.stop)
        try:
            response = await asyncio.wait_for(self._client.messages.create(**kwargs), self.timeout_s)
        except (TimeoutError, an.APITimeoutError) as exc:
            raise ProviderTimeout(f"{self.name}: no answer within {self.timeout_s:g} s", provider=self.name) from exc
        except an.APIConnectionError as exc:
            raise ProviderUnavailable(f"{self.name}: cannot connect to {self.base_url or 'api.anthropic.com'}: "
                                      f"{exc}", provider=self.name) from exc
        except an.APIStatusError as exc:
            if exc.status_code == 400 and self._send_temperature and "temperature" in _message(exc).lower():
                self._send_temperature = False  # this model fixes its own sampling: ask again without
                return await self._once(request)
            raise classify_status(exc.status_code, _message(exc), self.name) from exc
        except an.AnthropicError as exc:
            raise ProviderError(f"{self.name}: {exc}", provider=self.name) from exc
        except Exception as exc:
            raise malformed(self.name, self.base_url or "api.anthropic.com", exc) from exc
        try:
            content = response.content
            if not isinstance(content, list):
                raise TypeError(f"content is {type(content).__name__}, not a list")
            text = "".join(t for t in (getattr(block, "text", "") for block in content) if isinstance(t, str))
            usage = response.usage
            return Completion(
                text=text,
                prompt_tokens=_count(getattr(usage, "input_tokens", 0)),
                completion_tokens=_count(getattr(usage, "output_tokens", 0)),
                latency_s=watch.elapsed,
                model=response.model if isinstance(response.model, str) and response.model else self.model,
                finish_reason=response.stop_reason if isinstance(response.stop_reason, str) else "",
            )
        except Exception as exc:
            raise malformed(self.name, self.base_url or "api.anthropic.com", exc) from exc

    async def aclose(self) -> None:
        await self._client.close()
