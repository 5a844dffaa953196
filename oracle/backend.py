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
from .verdict import CompileError


class Simulator(Protocol):
    name: str
    image: str  # the compiled image's file name in the run directory

    def find(self, path: str | None = None): ...
    """Locate and check the tools; returns the frozen :class:`oracle.icarus.Tools`-like value
    the plans take (raises :class:`SimulatorNotFound`)."""

    def preprocess_bench(self, tools, sources: Sequence[tuple[Path, str]]) -> tuple[str, dict[str, str],
                                                                                 tuple[CompileError, ...]]: ...

    def design_defines(self) -> str: ...

    def preprocess(self, tools, *, defines: str, file_list: str) -> tuple[str, ...]: ...

    def streams(self, tools) -> bool: ...

    def compiler_config(self, tools, *, root: str | None, image: str = ...) -> str: ...

    def compile(self, tools, *, config: str, unit: str, root: str | None, image: str = ...) -> tuple[str, ...]: ...

    def run(self, tools, image: str) -> tuple[str, ...]: ...

    def compile_errors(self, output: str) -> tuple[CompileError, ...]: ...

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
