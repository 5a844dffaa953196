"""Command-line options shared by `generate` and `bench`: provider, strategy, budget."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine import Budget, Feedback, Strategy
from engine.providers import PROVIDERS, ProviderSettings


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def add_provider_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model provider")
    group.add_argument("--provider", choices=sorted(PROVIDERS), default="local",
                       help="local (default: the embedded model), openai (any OpenAI-compatible endpoint: "
                            "OpenAI, vLLM, llama.cpp, Ollama), anthropic, replay (a recording)")
    group.add_argument("--model", help="model name; local: qwen2.5-coder-1.5b (default), qwen2.5-coder-0.5b or "
                                       "a .gguf path; replay: the recording file")
    group.add_argument("--base-url", help="endpoint, e.g. http://localhost:11434/v1 for Ollama")
    group.add_argument("--api-key-env", metavar="NAME",
                       help="environment variable holding the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY)")
    group.add_argument("--call-timeout", type=positive_float, metavar="S", help="per model call (default 180, local 600)")
    group.add_argument("--record", type=Path, metavar="FILE", help="append every model call to FILE (for replay)")


def add_strategy_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("strategy and budget")
    group.add_argument("--samples", type=positive_int, default=4, help="candidates sampled first (default 4)")
    group.add_argument("--rounds", type=non_negative_int, default=3, help="repair rounds (default 3)")
    group.add_argument("--repair-width", type=positive_int, default=2,
                       help="candidates repaired per round (default 2)")
    group.add_argument("--budget", type=positive_int, metavar="CALLS",
                       help="most model calls (default samples + rounds x repair width)")
    group.add_argument("--token-budget", type=positive_int, metavar="TOKENS", help="most tokens (prompt + answer)")
    group.add_argument("--time-budget", type=positive_float, metavar="S", help="most wall time for the run")
    group.add_argument("--temperature", type=float, default=0.8)
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--feedback", choices=[f.value for f in Feedback], default="vectors",
                       help="what repair prompts show: failing vectors (default), a summary, or nothing")
    group.add_argument("--max-tokens", type=positive_int, default=1024, help="answer length limit per call")
    group.add_argument("--timeout", type=positive_float, default=30.0, metavar="S",
                       help="simulation limit per candidate (default 30)")


def provider_settings(args: argparse.Namespace) -> ProviderSettings:
    return ProviderSettings(provider=args.provider, model=args.model, base_url=args.base_url,
                            api_key_env=args.api_key_env, timeout_s=args.call_timeout, record=args.record)


def strategy(args: argparse.Namespace) -> Strategy:
    return Strategy(samples=args.samples, rounds=args.rounds, repair_width=args.repair_width,
                    temperature=args.temperature, seed=args.seed, feedback=Feedback(args.feedback),
                    max_tokens=args.max_tokens)


def budget(args: argparse.Namespace) -> Budget:
    return Budget(calls=args.budget, tokens=args.token_budget, wall_s=args.time_budget)
