"""Where a run's wall time goes: model calls, simulation, and the engine's own work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from .values import Timings

Kind = Literal["model", "sim"]


class Activity:
    """Splits wall time into model time, simulation time and the engine's own time. Spans may
    overlap (concurrent calls and simulations); time with a model call open counts as model time,
    else time with a simulation open as simulation time, else as the engine's."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.open = {"model": 0, "sim": 0}
        self.model_s = self.sim_s = self.idle_s = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        span, self.last = now - self.last, now
        if self.open["model"]:
            self.model_s += span
        elif self.open["sim"]:
            self.sim_s += span
        else:
            self.idle_s += span

    @contextmanager
    def span(self, kind: Kind) -> Iterator[None]:
        self._tick()
        self.open[kind] += 1
        try:
            yield
        finally:
            self._tick()
            self.open[kind] -= 1

    def timings(self) -> Timings:
        self._tick()
        return Timings(round(self.last - self.start, 3), round(self.model_s, 3), round(self.sim_s, 3),
                       round(self.idle_s, 3))


__all__ = ["Activity", "Kind"]
