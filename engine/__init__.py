"""Anvil's engine: prompts, providers, and the sample-simulate-repair loop.

Async only; depends on the oracle, never on pygls or lsprotocol. Adapters (CLI, language
server) listen to its events.
"""

from .designs import Design, DesignError, design_for, designs_in
from .loop import Budget, CallRecord, Candidate, Engine, RunResult, Strategy, solve
from .problem import Problem, SpecError
from .prompts import Feedback

__all__ = ["Budget", "CallRecord", "Candidate", "Design", "DesignError", "Engine", "Feedback", "Problem",
           "RunResult", "SpecError", "Strategy", "design_for", "designs_in", "solve"]
