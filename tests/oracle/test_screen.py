import pytest

from oracle.screen import SourceText, module_names, module_ports, screen_design

PORTS = {"clk": "input", "in": "input", "out": "output"}
HEAD = "module TopModule(input clk, input [2:0] in, output reg [1:0] out);\n"


def screen(body: str, ports=PORTS):
    return screen_design([SourceText("cand.sv", HEAD + body + "endmodule\n")], top="TopModule",
                         reference_ports=ports)


@pytest.mark.parametrize("body", [
    "always @(posedge clk) out <= in[1:0] + $signed(in[0]);\n",
    "localparam W = $clog2(8);\nalways @* out = in[W-2:0];\n",
    "typedef struct packed {logic a; logic b;} s_t;\ns_t s;\nalways @* begin s = in[1:0]; out = {s.a, s.b}; end\n",
    "// $display(\"in a comment\") and tb.stats1.errors in a comment\nalways @* out = 0;\n",
    "wire [1:0] w;\nsub u(.o(w));\nalways @* out = u.o;\n",
])
def test_ordinary_design_code_is_accepted(body):
    assert screen(body) == ()


@pytest.mark.parametrize("body, line, words", [
    ('initial $display("Mismatches: 0 in 439 samples");\nalways @* out = 0;\n', 2, "$display"),
    ("initial #20 $finish;\nalways @* out = 0;\n", 2, "$finish"),
    ("always @(posedge clk) if (in == 7) $stop;\nalways @* out = 0;\n", 2, "$stop"),
    ('integer f;\ninitial begin f = $fopen("x.txt"); $fwrite(f, "hi"); end\nalways @* out = 0;\n', 3, "$fopen"),
    ("initial $dumpoff;\nalways @* out = 0;\n", 2, "$dumpoff"),
    ("always @* out = $random;\n", 2, "$random"),
    ("initial $fatal(1, \"bye\");\nalways @* out = 0;\n", 2, "$fatal"),
    ("`ifdef __ICARUS__\ninitial $finish;\n`endif\nalways @* out = 0;\n", 3, "$finish"),
    ("always @* out = $root.tb.q_ref;\n", 2, "$root"),
])
def test_system_tasks_outside_the_allow_list_are_rejected(body, line, words):
    problems = screen(body)
    assert problems, body
    assert problems[0].file == "cand.sv" and problems[0].line == line
    assert words in problems[0].message


@pytest.mark.parametrize("body, name", [
    ("always @* out = good1.out;\n", "good1"),
    ("always @(posedge clk) begin tb.stats1.errors = 0; out <= 0; end\n", "tb"),
    ("initial force tb.stats1.errors = 0;\nalways @* out = 0;\n", "tb"),
    ("`define CHEAT tb.stats1.errors\nalways @(posedge clk) begin `CHEAT = 0; out <= 0; end\n", "tb"),
])
def test_hierarchical_names_into_the_testbench_are_rejected(body, name):
    problems = screen(body)
    assert any(f"'{name}'" in p.message and "outside the design" in p.message for p in problems), problems


@pytest.mark.parametrize("body", [
    "assign in = 3'bxxx;\nalways @* out = 0;\n",
    "sx u(.o(in[1]));\nalways @* out = 0;\nendmodule\nmodule sx(output o); assign o = 1'bx;\n",
])
def test_driving_an_input_port_is_rejected(body):
    problems = screen(body)
    assert any("input port 'in' is driven inside the design" in p.message for p in problems), problems


def test_port_directions_must_match_the_reference():
    problems = screen_design([SourceText("c.sv", "module TopModule(inout clk, input [2:0] in, output [1:0] out);\n"
                                          "assign out = 0;\nendmodule\n")],
                             top="TopModule", reference_ports=PORTS)
    assert any("'clk' is declared inout" in p.message for p in problems)


def test_module_names_and_ports():
    declared, instantiated = module_names("module a; b u(); endmodule\nmodule b; endmodule\n")
    assert declared == ["a", "b"] and instantiated == {"b"}
    ports = module_ports([SourceText("r.sv", "module R(input a, output [3:0] q, inout z); endmodule")], "R")
    assert ports == {"a": "input", "q": "output", "z": "inout"}
    assert module_ports([SourceText("r.sv", "module R; endmodule")], "Other") is None
