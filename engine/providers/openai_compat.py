"""OpenAI-compatible chat completions: OpenAI, vLLM, llama.cpp, Ollama (``/v1/chat/completions``)."""

from __future__ import annotations

from .base import (Completion, CompletionRequest, ProviderConfigError, ProviderError, ProviderTimeout,
                   ProviderUnavailable, RetryPolicy, Stopwatch, classify_status)

OPENAI_URL = "https://api.openai.com/v1"


class OpenAIProvider:
    name = "openai"

    def __init__(self, *, model: str, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float = 180.0, retry: RetryPolicy | None = None) -> None:
        if not model:
            raise ProviderConfigError("openai: no model given (--model, or the 'model' setting)", provider="openai")
        self.model = model
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        if api_key is None:
            if self.base_url == OPENAI_URL:
                raise ProviderConfigError("openai: no API key: set OPENAI_API_KEY, or name another variable "
                                          "with --api-key-env", provider="openai")
            api_key = "not-needed"  # local servers (vLLM, llama.cpp, Ollama) accept any key
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        try:
            import openai  # heavy: imported only when this provider is used
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ProviderConfigError(f"openai: the 'openai' package is missing: {exc}", provider="openai")
        self._openai = openai
        self._client = openai.AsyncOpenAI(base_url=self.base_url, api_key=api_key, timeout=timeout_s,
                                          max_retries=0)

    async def complete(self, request: CompletionRequest) -> Completion:
        return await self.retry.run(lambda: self._once(request), f"{self.name} call")

    async def _once(self, request: CompletionRequest) -> Completion:
        oa = self._openai
        watch = Stopwatch()
        kwargs = dict(model=self.model, messages=[{"role": m.role, "content": m.content} for m in request.messages],
                      temperature=request.temperature, max_tokens=request.max_tokens)
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.stop:
            kwargs["stop"] = list(request.stop)
        try:
            response = await self._client.chat.completions.create(**kwargs)
        except oa.APITimeoutError as exc:
            raise ProviderTimeout(f"{self.name}: no answer within {self.timeout_s:g} s", provider=self.name) from exc
        except oa.APIConnectionError as exc:
            raise ProviderUnavailable(f"{self.name}: cannot connect to {self.base_url}: {exc}",
                                      provider=self.name) from exc
        except oa.APIStatusError as exc:
            raise classify_status(exc.status_code, _message(exc), self.name) from exc
        except oa.OpenAIError as exc:
            raise ProviderError(f"{self.name}: {exc}", provider=self.name) from exc
        if not response.choices:
            raise ProviderUnavailable(f"{self.name}: empty answer", provider=self.name)
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            latency_s=watch.elapsed,
            model=response.model or self.model,
            finish_reason=choice.finish_reason or "",
        )

    async def aclose(self) -> None:
        await self._client.close()


def _message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
    return str(exc)[:300]
