"""A differential testbench: a reference model and a design side by side on the same stimulus.

The bench drives both with the same inputs and compares every output on both clock edges, in the
VerilogEval benches' format (``tb_match``, ``Mismatches: N in M samples``), so the oracle reads
its failing vectors the usual way. Two kinds of stimulus:

- :func:`testbench`: random, from Verilog's ``$random`` and a seed, a reset asserted at the start
  and now and then, the data inputs driven before the first clock edge (no edge samples an
  undriven x); the longer test of the sweeps and reference mode's bench;
- :func:`vector_testbench`: explicit input vectors (:func:`vectors` makes random ones), one per
  clock cycle, applied 2 time units after the falling edge, so no input changes on a sampled
  edge: cycle ``k``'s vector is applied at ``10k + 2``, captured at the rising edge ``10k + 5``,
  and its effect sampled again at the falling edge ``10k + 10``. Spec-only mode compares
  candidates on these, and a question's vectors are known exactly.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oracle import DEFAULT_REFERENCE, DEFAULT_TOP, Port

CLOCK = re.compile(r"^(clk|clock|clk_i|i_clk|sys_clk)$", re.IGNORECASE)
RESET = re.compile(r"^(a?reset|a?rst|areset|reset_?n|rst_?n|areset_?n|resetn|rstn)$", re.IGNORECASE)
#: clock period of the generated benches (time units); a sample at ``t`` belongs to cycle ``t // PERIOD``
PERIOD = 10


@dataclass(frozen=True)
class Roles:
    """A module's inputs sorted by what a bench does with them."""

    clock: Port | None
    resets: tuple[Port, ...]
    data: tuple[Port, ...]
    outputs: tuple[Port, ...]
    inputs: tuple[Port, ...]  # all of them, in the module's order

    @classmethod
    def of(cls, ports: Sequence[Port]) -> Roles:
        """Raises ValueError for ports a generated bench cannot drive."""
        if any(p.direction not in ("input", "output") for p in ports):
            raise ValueError("inout ports")
        inputs = tuple(p for p in ports if p.direction == "input")
        outputs = tuple(p for p in ports if p.direction == "output")
        if not outputs:
            raise ValueError("no outputs")
        clock = next((p for p in inputs if p.width == 1 and CLOCK.match(p.name)), None)
        resets = tuple(p for p in inputs if p.width == 1 and RESET.match(p.name) and p is not clock)
        data = tuple(p for p in inputs if p is not clock and p not in resets)
        return cls(clock, resets, data, outputs, inputs)

    @property
    def driven(self) -> tuple[Port, ...]:
        return (*self.resets, *self.data)


def active(reset: Port, on: bool) -> int:
    """The value that asserts (``on``) or releases a reset: active low when its name ends in n."""
    return int(on != reset.name.lower().endswith("n"))


def vector_range(width: int) -> str:
    """A declaration's range, ``[7:0] `` (nothing for one bit)."""
    return f"[{width - 1}:0] " if width > 1 else ""


def _random(width: int) -> str:
    words = (width + 31) // 32
    return "{" + ", ".join("$random(seed)" for _ in range(words)) + "}" if words > 1 else "$random(seed)"


def _frame(roles: Roles, top: str, reference: str, extra: Sequence[str] = (), strict: bool = False) -> list[str]:
    """Declarations, the two instances and the comparison on both edges (an x of the reference
    matches anything, as in VerilogEval's benches, unless ``strict``)."""
    lines = ["`timescale 1ps/1ps", "module anvil_diff_tb;", "  reg clk = 0;", f"  always #{PERIOD // 2} clk = ~clk;",
             *extra, "  integer samples = 0;", "  integer errors = 0;"]
    for p in roles.driven:  # no initial values: the first stimulus is an x -> value change, so a
        lines.append(f"  reg {vector_range(p.width)}{p.name};")  # design written with always @(*) is evaluated
    for p in roles.outputs:
        lines.append(f"  wire {vector_range(p.width)}{p.name}_ref, {p.name}_dut;")

    def connect(suffix: str) -> str:
        conns = [f".{p.name}(clk)" if p is roles.clock else f".{p.name}({p.name})" for p in roles.inputs]
        conns += [f".{p.name}({p.name}_{suffix})" for p in roles.outputs]
        return ", ".join(conns)

    lines.append(f"  {reference} ref_model ({connect('ref')});")
    lines.append(f"  {top} dut ({connect('dut')});")
    ref = ", ".join(f"{p.name}_ref" for p in roles.outputs)
    dut = ", ".join(f"{p.name}_dut" for p in roles.outputs)
    lines.append(f"  wire tb_match = ({{{ref}}} === {{{dut}}});" if strict else
                 f"  wire tb_match = ({{{ref}}} === ({{{ref}}} ^ {{{dut}}} ^ {{{ref}}}));")
    lines.append("  wire tb_mismatch = ~tb_match;")
    lines += ["  always @(posedge clk, negedge clk) begin", "    samples = samples + 1;",
              "    if (!tb_match) errors = errors + 1;", "  end"]
    dumped = ["clk", *[p.name for p in roles.driven], *[f"{p.name}_ref" for p in roles.outputs],
              *[f"{p.name}_dut" for p in roles.outputs], "tb_mismatch"]
    lines += ["  initial begin", '    $dumpfile("wave.vcd");', f"    $dumpvars(1, {', '.join(dumped)});"]
    return lines


_END = ['    $display("Mismatches: %0d in %0d samples", errors, samples);', "    $finish;", "  end", "endmodule", ""]


def testbench(ports: Sequence[Port], *, cycles: int, seed: int, top: str = DEFAULT_TOP,
              reference: str = DEFAULT_REFERENCE, quiet: int = 0) -> str:
    """The differential bench on random stimulus (raises ValueError for ports it cannot drive);
    ``quiet``: that many more cycles at the end with the resets released, so that a counter or
    a timer with a long period reaches its far states (a reset now and then never lets it)."""
    roles = Roles.of(ports)
    lines = _frame(roles, top, reference, [f"  integer seed = {seed};"])
    lines += [f"    {r.name} = {active(r, True)};" for r in roles.resets]
    lines += ["    #1;"]  # the first data before the first edge (each always @(*) already waits for it)
    lines += [f"    {p.name} = {_random(p.width)};" for p in roles.data]
    lines += ["    repeat (3) @(negedge clk);"]
    lines += [f"    {r.name} = {active(r, False)};" for r in roles.resets]
    lines += [f"    repeat ({cycles}) begin", "      @(negedge clk);"]
    lines += [f"      {p.name} = {_random(p.width)};" for p in roles.data]
    lines += [f"      {r.name} = (($random(seed) & 31) == 0) ? {active(r, True)} : {active(r, False)};"
              for r in roles.resets]
    lines += ["    end"]
    if quiet:
        lines += [f"    {r.name} = {active(r, False)};" for r in roles.resets]
        lines += [f"    repeat ({quiet}) begin", "      @(negedge clk);"]
        lines += [f"      {p.name} = {_random(p.width)};" for p in roles.data]
        lines += ["    end"]
    lines += ["    @(negedge clk);", *_END]
    return "\n".join(lines)


Vector = Mapping[str, int]


def vectors(ports: Sequence[Port], *, cycles: int, seed: int, reset_cycles: int = 2) -> list[dict[str, int]]:
    """Random input vectors, one per cycle: the resets asserted for the first ``reset_cycles``,
    then now and then (1 cycle in 16); data inputs random throughout."""
    roles = Roles.of(ports)
    rng = random.Random(seed)
    out = []
    for cycle in range(cycles):
        vector = {p.name: rng.getrandbits(p.width) for p in roles.data}
        for r in roles.resets:
            vector[r.name] = active(r, cycle < reset_cycles or rng.randrange(16) == 0)
        out.append(vector)
    return out


def apply(roles: Roles, vector: Vector, indent: str = "    ") -> list[str]:
    """Assignments of one vector (inputs it does not name keep their value)."""
    return [f"{indent}{p.name} = {p.width}'d{vector[p.name]};" for p in roles.driven if p.name in vector]


def vector_testbench(ports: Sequence[Port], stimulus: Sequence[Vector], *, top: str = DEFAULT_TOP,
                     reference: str = DEFAULT_REFERENCE, strict: bool = False) -> str:
    """The differential bench on explicit vectors (see the module docstring for the timing);
    ``strict``: an x must be matched by an x (two candidates compared as equals)."""
    roles = Roles.of(ports)
    lines = _frame(roles, top, reference, strict=strict)
    lines.append("    #2;")
    for k, vector in enumerate(stimulus):
        lines += [f"    // cycle {k}", *apply(roles, vector)]
        lines.append(f"    #{PERIOD};")
    lines += _END
    return "\n".join(lines)


__all__ = ["CLOCK", "PERIOD", "RESET", "Roles", "Vector", "active", "apply", "testbench", "vector_range",
           "vector_testbench", "vectors"]
