"""Anvil's engine: prompts, providers, the patch search, and the sample-simulate-repair loop.

Async only; depends on the oracle, never on pygls or lsprotocol. The one way in is
:class:`Runtime` (``engine.run``): it builds the provider, the oracle and the ledger from
:class:`RunSettings` and runs the loop; adapters (CLI, language server) and sweeps listen to its
events.
"""

from .designs import Design, DesignError, design_for, designs_in
from .problem import Problem, SpecError
from .prompts import Feedback
from .run import Runtime
from .settings import RunSettings
from .values import Budget, CallRecord, Candidate, Origin, Provenance, RunResult, RunStatus, Strategy

__all__ = ["Budget", "CallRecord", "Candidate", "Design", "DesignError", "Feedback", "Origin", "Problem", "Provenance",
           "RunResult", "RunSettings", "RunStatus", "Runtime", "SpecError", "Strategy", "design_for", "designs_in"]
