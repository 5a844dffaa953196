"""The one way into the engine: build what runs share from :class:`RunSettings`, run, record.

    async with Runtime(settings) as runtime:
        result = await runtime.run(runtime.problem(design), listeners=[progress])

A :class:`Runtime` builds the provider and the oracle from the settings (one simulation at a
time when the local model shares the cores), opens the run ledger, and runs the loop with
the settings' strategy and budget, or those given (a benchmark's arms). Every run is in the
ledger; listeners get the engine's events. The command line's ``generate`` and ``bench`` and
the language server only convert to and from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from oracle import Oracle

from . import events as ev
from .consensus import Answers
from .designs import Design
from .ledger import Ledger
from .loop import Engine
from .problem import Problem
from .providers import Provider, close_provider, make_provider
from .settings import RunSettings
from .speconly import MAX_QUESTIONS, Ask, Keep, SpecOnly, SpecOnlyProblem, SpecOnlyResult
from .values import Budget, RunResult, Strategy, call_budget


class Runtime:
    """The provider, the oracle and the ledger that runs share."""

    def __init__(self, settings: RunSettings = RunSettings(), *, oracle: Oracle | None = None,
                 provider: Provider | None = None, ledger: Ledger | None = None,
                 on_wait: Callable[[str], None] | None = None,
                 record: bool = True) -> None:
        """``record=False``: runs are not written to a ledger here (a Ray worker returns its
        events to the driver, which records them)."""
        self.settings = settings
        self.record = record
        self.on_wait = on_wait  # told when the ledger is locked by another process and we wait
        self._oracle = oracle
        self._provider = provider
        self._own_provider = provider is None
        self._ledger = ledger
        self._own_ledger = ledger is None

    # -- parts (built on first use) ------------------------------------------------------------

    @property
    def oracle(self) -> Oracle:
        if self._oracle is None:
            self._oracle = oracle_for(self.settings)
        return self._oracle

    @property
    def provider(self) -> Provider:
        """The model provider (raises ProviderError for bad provider settings)."""
        if self._provider is None:
            self._provider = make_provider(self.settings.provider_settings())
        return self._provider

    @property
    def ledger(self) -> Ledger:
        """The run ledger (raises LedgerError when it cannot be opened or written)."""
        if self._ledger is None:
            self._ledger = Ledger(self.settings.ledger, on_wait=self.on_wait)
        return self._ledger

    def problem(self, design: Design) -> Problem:
        """The problem of a complete design (its interface from the reference when there is one)."""
        return Problem.from_design(design, oracle=self.oracle)

    # -- running -----------------------------------------------------------------------------

    def engine(self, *, strategy: Strategy | None = None, budget: Budget | None = None,
               listeners: Sequence[ev.Listener | None] = (), tag: str | None = None) -> Engine:
        return Engine(self.provider, self.oracle, strategy=strategy or self.settings.strategy(),
                      budget=budget or self.settings.budget_limits(), synth=self.settings.synth == "on",
                      listener=ev.fan_out(self.ledger.listener(tag=tag) if self.record else None, *listeners))

    async def run(self, problem: Problem, *, strategy: Strategy | None = None, budget: Budget | None = None,
                  listeners: Sequence[ev.Listener | None] = (), tag: str | None = None) -> RunResult:
        """Run the loop on ``problem``, recorded in the ledger under ``tag`` (written by the time
        this returns). Opening the ledger, which may wait for another process's lock, and writing
        it happen off the event loop."""
        if self.record and self._ledger is None:
            await asyncio.to_thread(lambda: self.ledger)
        result = await self.engine(strategy=strategy, budget=budget, listeners=listeners, tag=tag).solve(problem)
        if self.record and self._ledger is not None:
            await asyncio.to_thread(self._ledger.flush)
        return result

    async def spec_only(self, problem: SpecOnlyProblem, answers: Answers, *, ask: Ask | None = None,
                        keep: Keep | None = None, max_questions: int = MAX_QUESTIONS,
                        listeners: Sequence[ev.Listener | None] = (), samples: int | None = None,
                        tag: str | None = None) -> SpecOnlyResult:
        """Spec-only mode on ``problem``: ``samples`` calls (default the budget's), grouped by
        behaviour, questions asked through ``ask``; recorded like :meth:`run`."""
        if self.record and self._ledger is None:
            await asyncio.to_thread(lambda: self.ledger)
        strategy = self.settings.strategy()
        runner = SpecOnly(self.provider, self.oracle, strategy=strategy,
                          samples=samples or call_budget(strategy, self.settings.budget_limits()),
                          listener=ev.fan_out(self.ledger.listener(tag=tag) if self.record else None, *listeners))
        done = await runner.run(problem, answers, ask=ask, keep=keep, max_questions=max_questions)
        if self.record and self._ledger is not None:
            await asyncio.to_thread(self._ledger.flush)
        return done

    async def aclose(self) -> None:
        provider, self._provider = self._provider, None
        if provider is not None and self._own_provider:
            await close_provider(provider)
        ledger, self._ledger = self._ledger, None
        if ledger is not None and self._own_ledger:
            await asyncio.to_thread(ledger.close)  # writes what is still queued

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def oracle_for(settings: RunSettings, *, tmp_root: Path | None = None) -> Oracle:
    """The oracle the settings call for: the local model needs the cores, so it simulates one
    candidate at a time."""
    return Oracle(timeout_s=settings.timeout, workers=1 if settings.local else None, tmp_root=tmp_root)


__all__ = ["Runtime", "oracle_for"]
