"""Anvil's oracle: judge candidate RTL with Icarus Verilog against a golden testbench.

    verdict = await Oracle().simulate(rtl_text, Bench.for_testbench("counter_test.sv"))

The oracle never imports the engine, pygls or lsprotocol; it returns frozen dataclasses.
"""

from .bench import DEFAULT_REFERENCE, DEFAULT_TOP, Bench, companion_reference
from .core import DEFAULT_MAX_MISMATCHES, DEFAULT_TIMEOUT_S, BenchReport, Oracle, simulate
from .errors import BenchError, OracleError, SimulatorNotFound
from .icarus import Tools, find_tools
from .syntax import Port, SourceText
from .synthesis import Finding, Synthesis
from .toolchain import Toolchain
from .variants import Selector
from .verdict import CompileError, Mismatch, Status, TraceRow, Verdict

__all__ = [
    "Finding",
    "Synthesis",
    "DEFAULT_MAX_MISMATCHES", "DEFAULT_REFERENCE", "DEFAULT_TIMEOUT_S", "DEFAULT_TOP", "Bench", "BenchError",
    "BenchReport", "CompileError", "Mismatch", "Oracle", "OracleError", "Port", "Selector", "SimulatorNotFound",
    "SourceText", "Status", "Toolchain", "Tools", "TraceRow", "Verdict", "companion_reference", "find_tools",
    "simulate",
]
