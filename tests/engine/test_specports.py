"""Ports and module names in specs, in their common forms; the bench's view merged with them."""

from engine.problem import merge_ports
from engine.specports import module_from_spec, ports_from_spec
from oracle import Port

SECTIONS = """Please act as a professional verilog designer.

Module name:
    adder_8bit
Input ports:
    a[7:0]: 8-bit input operand A.
    b [7:0]: 8-bit input operand B.
    cin: Carry-in input.
Output ports:
    sum[7:0]: 8-bit output representing the sum of A and B.
    cout: Carry-out output (1-bit).

Implementation:
The module utilizes a series of bit-level adders.
"""


def test_port_sections_with_a_heading_that_is_not_a_port():
    assert ports_from_spec(SECTIONS) == (Port("a", "input", 8), Port("b", "input", 8), Port("cin", "input", 0),
                                         Port("sum", "output", 8), Port("cout", "output", 1))
    assert module_from_spec(SECTIONS) == "adder_8bit"


def test_declaration_lines():
    spec = ("Ports:\n - input  clk\n - input  reset\n - input  [7:0] d\n - output q (4 bits)\n"
            "  output reg [3:0] count\nThe output q is ...\n")
    assert ports_from_spec(spec) == (Port("clk", "input", 1), Port("reset", "input", 1), Port("d", "input", 8),
                                     Port("q", "output", 4), Port("count", "output", 4))


def test_markdown_sections_lists_and_tables():
    md = "## Inputs\n- `clk`: clock\n- `d` [7:0]: data\n\n## Outputs\n- `q` (8 bits): result\n\n## Behaviour\nblah: x\n"
    assert ports_from_spec(md) == (Port("clk", "input", 0), Port("d", "input", 8), Port("q", "output", 8))
    table = "| Name | Direction | Width | Description |\n|---|---|---|---|\n| clk | input | 1 | clock |\n| q | output | 8 | d |\n"
    assert ports_from_spec(table) == (Port("clk", "input", 1), Port("q", "output", 8))


def test_several_names_a_line_symbolic_widths_and_wide_colons():
    spec = "Input ports：\n    d0, d1 [7:0]: data\n    w [WIDTH-1:0]: configurable\nOutput ports：\n    red, green: lights\n"
    assert ports_from_spec(spec) == (Port("d0", "input", 8), Port("d1", "input", 8), Port("w", "input", 0),
                                     Port("red", "output", 0), Port("green", "output", 0))


def test_merge_takes_the_bench_s_view_and_says_where_the_spec_differs():
    bench = (Port("a", "input", 8), Port("sum", "output", 9), Port("cin", "", 0))
    spec = (Port("a", "input", 8), Port("sum", "output", 8), Port("cin", "input", 1), Port("cout", "output", 1))
    ports, notes = merge_ports(bench, spec)
    assert ports == (Port("a", "input", 8), Port("sum", "output", 9), Port("cin", "input", 1))
    assert any("'sum'" in n and "8 bit(s)" in n for n in notes)
    assert any("cout" in n and "does not connect" in n for n in notes)
    assert merge_ports((), spec) == (spec, ())


def test_a_range_in_the_description_gives_the_width_and_a_symbolic_one_unknown():
    # the range is in the description, not after the name: "[7:0]" is 8 bits, "[N-1:0]" unknown (0)
    spec = "Input ports:\n  a: operand bits [7:0]\n  b: the data bus [N-1:0]\nOutput ports:\n  y: result, 4 bits\n"
    assert ports_from_spec(spec) == (Port("a", "input", 8), Port("b", "input", 0), Port("y", "output", 4))


def test_declarations_with_a_description_and_prose_that_starts_with_input():
    spec = ("- input a: 8-bit operand\n- input b: the operand [3:0]\n- output y: the result\n"
            "A note: `d` marks the\ninput combinations that cannot happen.\n")
    assert ports_from_spec(spec) == (Port("a", "input", 8), Port("b", "input", 4), Port("y", "output", 1))
