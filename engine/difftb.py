"""A differential testbench: a reference model and a design side by side on random stimulus.

The bench drives both with the same inputs (a reset asserted at the start and now and then,
random data from a fixed seed) and compares every output on both clock edges, in the VerilogEval
benches' format (``tb_match``, ``Mismatches: N in M samples``), so the oracle reads its failing
vectors the usual way. It judges a solve on a longer test (the sweeps) and, in reference mode, is
the oracle's bench itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from oracle import DEFAULT_REFERENCE, DEFAULT_TOP, Port

CLOCK = re.compile(r"^(clk|clock|clk_i|i_clk|sys_clk)$", re.IGNORECASE)
RESET = re.compile(r"^(a?reset|a?rst|areset|reset_?n|rst_?n|areset_?n|resetn|rstn)$", re.IGNORECASE)
def _decl(width: int) -> str:
    return f"[{width - 1}:0] " if width > 1 else ""


def _random(width: int) -> str:
    words = (width + 31) // 32
    return "{" + ", ".join("$random(seed)" for _ in range(words)) + "}" if words > 1 else "$random(seed)"


def testbench(ports: Sequence[Port], *, cycles: int, seed: int, top: str = DEFAULT_TOP,
              reference: str = DEFAULT_REFERENCE) -> str:
    """The differential bench's text (raises ValueError for ports it cannot drive)."""
    if any(p.direction == "inout" for p in ports):
        raise ValueError("inout ports")
    inputs = [p for p in ports if p.direction == "input"]
    outputs = [p for p in ports if p.direction == "output"]
    if not outputs:
        raise ValueError("no outputs")
    clock = next((p for p in inputs if p.width == 1 and CLOCK.match(p.name)), None)
    resets = [p for p in inputs if p.width == 1 and RESET.match(p.name) and p is not clock]
    data = [p for p in inputs if p is not clock and p not in resets]
    lines = ["`timescale 1ps/1ps", "module anvil_diff_tb;", "  reg clk = 0;", "  always #5 clk = ~clk;",
             f"  integer seed = {seed};", "  integer samples = 0;", "  integer errors = 0;"]
    for p in [*resets, *data]:  # no initial values: the first stimulus is an x -> value change, so a
        lines.append(f"  reg {_decl(p.width)}{p.name};")  # design written with always @(*) is evaluated
    for p in outputs:
        lines.append(f"  wire {_decl(p.width)}{p.name}_ref, {p.name}_dut;")

    def connect(suffix: str) -> str:
        conns = [f".{p.name}(clk)" if p is clock else f".{p.name}({p.name})" for p in inputs]
        conns += [f".{p.name}({p.name}_{suffix})" for p in outputs]
        return ", ".join(conns)

    lines.append(f"  {reference} ref_model ({connect('ref')});")
    lines.append(f"  {top} dut ({connect('dut')});")
    ref = ", ".join(f"{p.name}_ref" for p in outputs)
    dut = ", ".join(f"{p.name}_dut" for p in outputs)
    lines.append(f"  wire tb_match = ({{{ref}}} === ({{{ref}}} ^ {{{dut}}} ^ {{{ref}}}));")
    lines.append("  wire tb_mismatch = ~tb_match;")
    lines.append("  always @(posedge clk, negedge clk) begin")
    lines.append("    samples = samples + 1;")
    lines.append("    if (!tb_match) errors = errors + 1;")
    lines.append("  end")
    dumped = ["clk", *[p.name for p in [*resets, *data]], *[f"{p.name}_ref" for p in outputs],
              *[f"{p.name}_dut" for p in outputs], "tb_mismatch"]

    def assert_reset(on: bool) -> list[str]:
        out = []
        for r in resets:
            low = r.name.lower().endswith("n")
            out.append(f"    {r.name} = {int(on != low)};")
        return out

    lines += ["  initial begin", '    $dumpfile("wave.vcd");', f"    $dumpvars(1, {', '.join(dumped)});"]
    lines += assert_reset(True)
    lines += ["    @(negedge clk);"]
    lines += [f"    {p.name} = {_random(p.width)};" for p in data]
    lines += ["    repeat (2) @(negedge clk);"]
    lines += assert_reset(False)
    lines += [f"    repeat ({cycles}) begin", "      @(negedge clk);"]
    for p in data:
        lines.append(f"      {p.name} = {_random(p.width)};")
    for r in resets:
        low = r.name.lower().endswith("n")
        lines.append(f"      {r.name} = (($random(seed) & 31) == 0) ? {int(not low)} : {int(low)};")
    lines += ["    end", "    @(negedge clk);", '    $display("Mismatches: %0d in %0d samples", errors, samples);',
              "    $finish;", "  end", "endmodule", ""]
    return "\n".join(lines)


__all__ = ["CLOCK", "RESET", "testbench"]
