"""A scripted stand-in for a model (unit tests only): answers from a list or a function."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engine.providers.base import Completion, CompletionRequest


class ScriptedProvider:
    name = "scripted"
    model = "scripted-model"

    def __init__(self, answers: list[str] | Callable[[CompletionRequest, int], str], *, delay_s: float = 0.0,
                 delays: list[float] | None = None, tokens: int = 10, errors: dict[int, Exception] | None = None):
        self.answers = answers
        self.delay_s = delay_s
        self.delays = delays
        self.tokens = tokens
        self.errors = errors or {}
        self.requests: list[CompletionRequest] = []
        self.cancelled = 0
        self.active = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        index = len(self.requests)
        self.requests.append(request)
        self.active += 1
        try:
            delay = self.delays[index] if self.delays and index < len(self.delays) else self.delay_s
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active -= 1
        if index in self.errors:
            raise self.errors[index]
        if callable(self.answers):
            text = self.answers(request, index)
        else:
            text = self.answers[index % len(self.answers)]
        return Completion(text, prompt_tokens=self.tokens, completion_tokens=self.tokens, latency_s=delay,
                          model=self.model)


def fenced(code: str) -> str:
    return f"Here is the design:\n```verilog\n{code.strip()}\n```\n"


class Solver:
    """A run through the engine's one way in (:class:`engine.run.Runtime`) with a given provider
    and oracle, as the tests need it: ``await Solver(provider, oracle, strategy=...).solve(problem)``.
    Nothing is recorded unless a ledger is given."""

    def __init__(self, provider, oracle=None, *, strategy=None, budget=None, listener=None, ledger=None):
        from engine.values import Budget, Strategy
        from oracle import Oracle

        self.provider = provider
        self.oracle = oracle or Oracle()
        self.strategy = strategy or Strategy()
        self.budget = budget or Budget()
        self.listener = listener
        self.ledger = ledger

    async def solve(self, problem):
        from engine.run import Runtime
        from engine.settings import RunSettings

        async with Runtime(RunSettings(), oracle=self.oracle, provider=self.provider, ledger=self.ledger,
                           record=self.ledger is not None) as runtime:
            return await runtime.run(problem, strategy=self.strategy, budget=self.budget,
                                     listeners=[self.listener])
