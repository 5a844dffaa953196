"""Planning Icarus command lines: pure functions, testable without the simulator.

The flags follow VerilogEval's official harness (``iverilog -Wall -Winfloop -Wno-timescale
-g2012 -s tb``), with the candidate's files first, then the testbench, then the extra sources.
The simulation runs ``vvp -n`` (``$stop`` and interrupts end the run instead of opening the
interactive prompt) in the run's own directory, where the testbench writes ``wave.vcd``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

COMPILE_FLAGS = ("-Wall", "-Winfloop", "-Wno-timescale", "-g2012")
SIM_IMAGE = "sim.vvp"


@dataclass(frozen=True)
class Tools:
    iverilog: str
    vvp: str
    version: str  # "Icarus Verilog 11.0"


@dataclass(frozen=True)
class SimPlan:
    compile: tuple[str, ...]
    run: tuple[str, ...]
    workdir: Path
    dump: Path  # where a VerilogEval testbench writes its waveform


def plan_simulation(
    tools: Tools,
    *,
    design: Sequence[Path],
    testbench: Path,
    extra: Sequence[Path],
    tb_top: str | None,
    workdir: Path,
    defines: Sequence[str] = (),
) -> SimPlan:
    image = workdir / SIM_IMAGE
    argv = [tools.iverilog, *COMPILE_FLAGS]
    argv += [f"-D{d}" for d in defines]
    if tb_top:
        argv += ["-s", tb_top]
    argv += ["-o", str(image)]
    argv += [str(p) for p in design]
    argv.append(str(testbench))
    argv += [str(p) for p in extra if p not in design and p != testbench]
    return SimPlan(
        compile=tuple(argv),
        run=(tools.vvp, "-n", str(image)),
        workdir=workdir,
        dump=workdir / "wave.vcd",
    )
