"""Exceptions of the oracle: broken infrastructure only.

    OracleError            anything that stops us from judging at all
    +-- SimulatorNotFound  iverilog/vvp missing or not runnable
    +-- BenchError         unreadable testbench or source files

A candidate that fails (compile error, mismatch, hang) is a Verdict, never an exception.
"""


class OracleError(Exception):
    pass


class SimulatorNotFound(OracleError):
    pass


class BenchError(OracleError):
    pass
