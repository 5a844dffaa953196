"""The first-round samples a best-of-N recording holds for a problem, as the loop asks for them."""

from __future__ import annotations

from pathlib import Path

from engine.extract import extract_verilog
from engine.problem import Problem
from engine.prompts import first_request
from engine.providers.base import CompletionRequest, ReplayMiss
from engine.providers.replay import ReplayProvider
from engine.values import Strategy


async def recorded_samples(problem: Problem, recording: Path, samples: int,
                           strategy: Strategy = Strategy()) -> list[str | None]:
    """Sample ``i``'s code (None: no Verilog, or the recording has no answer for it)."""
    provider = ReplayProvider(recording)
    codes: list[str | None] = []
    for i in range(samples):
        request = CompletionRequest(first_request(problem.spec, top=problem.top, ports=problem.interface),
                                    temperature=strategy.temperature, max_tokens=strategy.max_tokens,
                                    seed=strategy.seed + i)
        try:
            codes.append(extract_verilog((await provider.complete(request)).text, problem.top))
        except ReplayMiss:
            codes.append(None)
    return codes
