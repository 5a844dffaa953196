"""Model providers and the registry that builds one from settings.

A provider implements ``async complete(CompletionRequest) -> Completion``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .base import (
    Completion,
    CompletionRequest,
    Message,
    Provider,
    ProviderConfigError,
    ProviderError,
    ProviderRequestError,
    ProviderTimeout,
    ProviderUnavailable,
    ReplayMiss,
    RetryPolicy,
)
from .replay import RecordingProvider, ReplayProvider


@dataclass(frozen=True)
class ProviderSettings:
    provider: str = "local"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None  # the *name* of the environment variable holding the key
    timeout_s: float | None = None
    record: Path | None = None  # append every call to this recording
    reuse: Path | None = None  # answer from this recording where it has the request, else ask the model


DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def _api_key(settings: ProviderSettings) -> str | None:
    env = settings.api_key_env or DEFAULT_KEY_ENV.get(settings.provider)
    return os.environ.get(env) if env else None


def _local(s: ProviderSettings) -> Provider:
    from .local import LocalProvider

    return LocalProvider(model=s.model, timeout_s=s.timeout_s)


def _openai(s: ProviderSettings) -> Provider:
    from .openai_compat import OpenAIProvider

    return OpenAIProvider(model=s.model or "", base_url=s.base_url, api_key=_api_key(s),
                          timeout_s=s.timeout_s)


def _anthropic(s: ProviderSettings) -> Provider:
    from .anthropic_provider import AnthropicProvider

    return AnthropicProvider(model=s.model, base_url=s.base_url, api_key=_api_key(s),
                             timeout_s=s.timeout_s)


def _replay(s: ProviderSettings) -> Provider:
    if not s.model:
        raise ProviderConfigError("replay: give the recording file as the model (--model FILE.jsonl)",
                                  provider="replay")
    return ReplayProvider(s.model)


PROVIDERS: dict[str, Callable[[ProviderSettings], Provider]] = {
    "local": _local,
    "openai": _openai,
    "anthropic": _anthropic,
    "replay": _replay,
}


def make_provider(settings: ProviderSettings) -> Provider:
    factory = PROVIDERS.get(settings.provider)
    if factory is None:
        raise ProviderConfigError(f"unknown provider '{settings.provider}'; choose one of "
                                  f"{', '.join(PROVIDERS)}")
    provider = factory(settings)
    if settings.reuse is not None:
        provider = ReplayProvider(settings.reuse, fallback=provider)
    if settings.record is not None:
        provider = RecordingProvider(provider, settings.record)
    return provider


def stop_local_models() -> None:
    """Stop the embedded model's server, if this process started one (it stops at exit anyway)."""
    import sys

    local = sys.modules.get(f"{__name__}.local")
    if local is not None:
        local.stop_all_servers()


async def close_provider(provider: Provider) -> None:
    close = getattr(provider, "aclose", None)
    if close is not None:
        await close()


__all__ = [
    "Completion", "CompletionRequest", "Message", "PROVIDERS", "Provider", "ProviderConfigError", "ProviderError",
    "ProviderRequestError", "ProviderSettings", "ProviderTimeout", "ProviderUnavailable", "RecordingProvider",
    "ReplayMiss", "ReplayProvider", "RetryPolicy", "close_provider", "make_provider", "stop_local_models",
]
