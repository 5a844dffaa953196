"""The `anvil` configuration section: from initializationOptions and workspace/configuration.

camelCase keys as clients send them; an invalid value falls back to the default and is
reported (the server shows the messages to the user). API keys are never settings: ``apiKeyEnv``
names the environment variable that holds the key.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

PROVIDERS = ("local", "openai", "anthropic", "replay")
FEEDBACK = ("vectors", "summary", "none")


@dataclass(frozen=True)
class Settings:
    provider: str = "local"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    samples: int = 4
    rounds: int = 3
    repair_width: int = 2
    budget: int | None = None  # model calls; default samples + rounds * repairWidth
    timeout: float = 30.0  # simulation limit per candidate, seconds
    temperature: float = 0.8
    seed: int = 0
    feedback: str = "vectors"


_CAMEL = {"base_url": "baseUrl", "api_key_env": "apiKeyEnv", "repair_width": "repairWidth"}


def _key(name: str) -> str:
    return _CAMEL.get(name, name)


def _check(name: str, value: Any) -> Any:
    """The value converted to its type, or raise ValueError with the reason."""
    if name == "provider":
        if value not in PROVIDERS:
            raise ValueError(f"must be one of {', '.join(PROVIDERS)}")
        return value
    if name == "feedback":
        if value not in FEEDBACK:
            raise ValueError(f"must be one of {', '.join(FEEDBACK)}")
        return value
    if name in ("model", "base_url", "api_key_env"):
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ValueError("must be a string")
        return value
    if name in ("samples", "repair_width", "budget"):
        if name == "budget" and value in (None, 0, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("must be a whole number of at least 1")
        return value
    if name in ("rounds", "seed"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("must be a whole number of at least 0")
        return value
    if name in ("timeout", "temperature"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (
                name == "timeout" and value == 0):
            raise ValueError("must be a positive number" if name == "timeout" else "must be a number >= 0")
        return float(value)
    raise ValueError("unknown setting")


def parse_settings(raw: Any, base: Settings = Settings()) -> tuple[Settings, list[str]]:
    """Settings from a client's JSON object, and one message per value that was ignored."""
    problems: list[str] = []
    if raw is None:
        return base, problems
    if not isinstance(raw, dict):
        return base, [f"anvil settings must be an object, got {type(raw).__name__}; using defaults"]
    if isinstance(raw.get("anvil"), dict):  # {"anvil": {...}} as some clients send it
        raw = raw["anvil"]
    known = {_key(f.name): f.name for f in fields(Settings)}
    changes = {}
    for key, value in raw.items():
        name = known.get(key)
        if name is None:
            if key not in ("trace",):  # VS Code's own anvil.trace.server
                problems.append(f"unknown setting anvil.{key} ignored")
            continue
        try:
            changes[name] = _check(name, value)
        except ValueError as exc:
            problems.append(f"anvil.{key} = {value!r} {exc}; using {getattr(base, name)!r}")
    return replace(base, **changes), problems
