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
