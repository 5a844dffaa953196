"""The simulator seam: what the oracle needs from a simulator, and the registry of them.

A simulator is planned, not run, here: each method returns a command line or reads an output,
so a plan is testable without the tool (:mod:`oracle.runner` runs the plans). Icarus Verilog
(:mod:`oracle.icarus`) is the one implementation; a second one (Verilator is next) implements
the same methods and is added to :data:`SIMULATORS`.

The run of one candidate, in the runner: ``preprocess`` the design files alone (its standard
output is the text that is screened), ``compile`` that text followed by the bench's own
preprocessed text (``preprocess_bench``, once per bench, on the host), and the same text alone
under a neutral top (:mod:`oracle.alone`), check what the design alone compiled to
(``alone_problems``), ``run`` the image, and judge the bench's output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from .errors import SimulatorNotFound
from .toolchain import Toolchain
from .verdict import CompileError


class Simulator(Protocol):
    """What the oracle needs from a simulator: plans (command lines) and readings of output."""

    name: str
    image: str  # the compiled image's file name in the run directory

    def find(self, path: str | None = None) -> Toolchain:
        """Locate and check the tools (raises :class:`SimulatorNotFound`)."""
        ...

    def preprocess_bench(self, tools: Toolchain, sources: Sequence[tuple[Path, str]]
                         ) -> tuple[str, dict[str, str], tuple[CompileError, ...]]: ...

    def design_defines(self) -> str: ...

    def preprocess(self, tools: Toolchain, *, defines: str, file_list: str) -> tuple[str, ...]: ...

    def streams(self, tools: Toolchain) -> bool: ...

    def compiler_config(self, tools: Toolchain, *, root: str | None, image: str = ...) -> str: ...

    def compile(self, tools: Toolchain, *, config: str, unit: str, root: str | None,
                image: str = ...) -> tuple[str, ...]: ...

    def run(self, tools: Toolchain, image: str) -> tuple[str, ...]: ...

    def compile_errors(self, output: str) -> tuple[CompileError, ...]: ...

    def select(self, image: bytes, marker: int, choice: int) -> bytes | None:
        """The compiled image of a schema with its selector set to ``choice``
        (:mod:`oracle.variants`); None when it cannot be done."""
        ...

    def fork_plan(self, tools: Toolchain, image: bytes, marker: int, function: str, module: str,
                  path: str) -> tuple[bytes, tuple[str, ...]] | None:
        """How to run every choice of a schema from one loaded image (:mod:`oracle.forking`):
        the image to write at ``path`` and the command line running it, with the fork module
        found in the folder ``module``; None when this simulator cannot."""
        ...

    def alone_problems(self, output: str, image: Path, files: Mapping[str, str],
                       bench_names: frozenset[str] = ...) -> list[CompileError]: ...


def simulator(name: str) -> Simulator:
    """The simulator registered as ``name``."""
    from .icarus import ICARUS

    registry: dict[str, Simulator] = {"icarus": ICARUS}
    found = registry.get(name)
    if found is None:
        raise SimulatorNotFound(f"unknown simulator '{name}'; choose one of {', '.join(registry)}")
    return found


SIMULATORS = ("icarus",)
