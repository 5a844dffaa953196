"""The compile stage of one run, in the runner: the design's preprocessed bytes, as Icarus's
preprocessor produces them, go to every compiler that needs them.

- ``bench``: the design followed by ```resetall`` and the bench's own preprocessed text, rooted at
  the bench's top: the program that is simulated;
- ``alone`` (candidates only): the design followed by a neutral top that instantiates only the
  design's top (:mod:`oracle.alone`): the program that says what the design is.

Both compile at once (two cores), reading the same bytes the screen reads. Where ``ivl`` cannot
be run directly, the bytes are written to a file per compiler and the driver compiles them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .backend import Simulator
from .process import Child, Limits, ProcessResult
from .toolchain import Toolchain

BENCH, ALONE = "bench", "alone"
ALONE_IMAGE = "alone.vvp"


@dataclass(frozen=True)
class Plan:
    """One compiler: its configuration file, root module, image, and the bytes around the design."""

    config: str
    root: str | None
    image: str
    before: bytes
    after: bytes


class Compilers:
    def __init__(self, sim: Simulator, tools: Toolchain, plans: dict[str, Plan], *, cwd: Path, env: dict[str, str],
                 limits: Callable[[], Limits]) -> None:
        self.sim = sim
        self.tools = tools
        self.plans = plans
        self.cwd = cwd
        self.env = env
        self.limits = limits  # a callable: the limits for a process started now
        self.children: dict[str, Child] = {}
        self.streaming = sim.streams(tools)
        if self.streaming:
            for name, plan in plans.items():
                child = self._start(name, "-", feed=True)
                child.write(plan.before)

    def _start(self, name: str, unit: str, *, feed: bool = False) -> Child:
        plan = self.plans[name]
        child = Child(self.sim.compile(self.tools, config=plan.config, unit=unit, root=plan.root, image=plan.image),
                      cwd=self.cwd, limits=self.limits(), env=self.env, feed=feed)
        self.children[name] = child
        return child

    def take(self, chunk: bytes) -> None:
        """Preprocessed bytes of the design, as they come."""
        for child in self.children.values():
            child.write(chunk)

    def finish(self, design: bytes) -> None:
        """The design is complete: close the streams, or compile the written units."""
        for name, plan in self.plans.items():
            if self.streaming:
                child = self.children[name]
                child.write(plan.after)
                child.close_input()
            else:
                unit = f"{name}.pp"
                (self.cwd / unit).write_bytes(plan.before + design + plan.after)
                self._start(name, unit)

    async def wait(self, name: str, timeout_s: float) -> ProcessResult:
        return await self.children[name].wait(max(0.0, timeout_s))

    async def close(self) -> None:
        """Kill whatever is still compiling (a rejection, a cancel, a deadline)."""
        for child in self.children.values():
            if child.proc.returncode is None:
                child.kill()
        await asyncio.gather(*(c.wait(0) for c in self.children.values() if c.proc.returncode is None),
                             return_exceptions=True)
