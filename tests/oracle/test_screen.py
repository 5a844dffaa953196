"""The screen, on exactly what Icarus's preprocessor makes of a design (real ivlpp, no compile)."""

import subprocess
import tempfile
from pathlib import Path

import pytest

from oracle.icarus import defines_file, find_tools, preprocess_argv
from oracle.screen import screen, split_markers
from oracle.syntax import SourceText, module_names, module_ports

PORTS = {"clk": "input", "in": "input", "out": "output"}
INTERFACE = [["clk", "input", 1], ["in", "input", 3], ["out", "output", 2]]
HEAD = "module TopModule(input clk, input [2:0] in, output reg [1:0] out);\n"
BENCH_NAMES = frozenset({"tb", "stats1", "errors", "good1", "top_module1", "RefModule", "tb_match", "clk", "in", "out"})


def preprocess(*texts: str) -> str:
    tools = find_tools()
    with tempfile.TemporaryDirectory() as folder:
        d = Path(folder)
        for i, text in enumerate(texts):
            (d / f"design{i}.sv").write_text(text)
        (d / "defs").write_text(defines_file())
        (d / "files").write_text("".join(f"design{i}.sv\n" for i in range(len(texts))))
        done = subprocess.run(preprocess_argv(tools, defines="defs", file_list="files"), cwd=d,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        return done.stdout


def judge(*bodies: str, interface=INTERFACE, ports=PORTS):
    texts = bodies if len(bodies) > 1 else (HEAD + bodies[0] + "endmodule\n",)
    return screen(preprocess(*texts), files={f"design{i}.sv": f"cand{i}.sv" for i in range(len(texts))},
                  top="TopModule", interface=interface, reference_ports=ports, bench_names=BENCH_NAMES,
                  reference_module="RefModule")


def messages(report) -> list[str]:
    return [p.message for p in report.problems]


@pytest.mark.parametrize("body", [
    "always @(posedge clk) out <= in[1:0] + $signed(in[0]);\n",
    "localparam W = $clog2(8);\nalways @* out = in[W-2:0];\n",
    "typedef struct packed {logic a; logic b;} s_t;\ns_t s;\nalways @* begin s = in[1:0]; out = {s.a, s.b}; end\n",
    "// $display(\"in a comment\") and tb.stats1.errors in a comment, `line and `timescale too\nalways @* out = 0;\n",
    "wire [1:0] w;\nsub u(.o(w));\nalways @* out = u.o;\nendmodule\nmodule sub(output [1:0] o); assign o = 1;\n",
    "function automatic [1:0] f(input [2:0] x); f = x[1:0]; endfunction\nalways @* out = f(in);\n",
    "genvar i;\ngenerate for (i = 0; i < 2; i = i + 1) begin : g\n  always @* out[i] = in[i];\nend endgenerate\n",
    "`define W 2\nalways @(posedge clk) out <= in[`W-1:0];\n",
    "and g1(out[0], in[0], in[1]);\nalways @* out[1] = 0;\n",
])
def test_ordinary_design_code_is_accepted(body):
    report = judge(body)
    assert report.problems == [], report.problems
    assert report.ports == INTERFACE


def test_the_output_drivers_are_found_on_their_original_lines():
    report = judge("`define ONE 1'b1\nwire w = `ONE;\nalways @(posedge clk)\n  out <= {w, in[0]};\n")
    assert report.drivers == {"out": [5]}
    # a schema's screen leaves them out: its choices' verdicts carry none (each is judged alone when shown)
    body = "reg [31:0] sel = 32'd7;\nalways @(posedge clk)\n  out <= in[1:0];\n"
    text = HEAD + body + "endmodule\n"
    schema = screen(preprocess(text), files={"design0.sv": "cand0.sv"}, top="TopModule", interface=INTERFACE,
                    reference_ports=PORTS, bench_names=BENCH_NAMES, reference_module="RefModule", selector="sel")
    assert schema.problems == [] and schema.drivers == {} and judge(body).drivers == {"out": [4]}


@pytest.mark.parametrize("body, line, words", [
    ('initial $display("Mismatches: 0 in 439 samples");\nalways @* out = 0;\n', 2, "$display"),
    ("initial #20 $finish;\nalways @* out = 0;\n", 2, "$finish"),
    ("always @(posedge clk) if (in == 7) $stop;\nalways @* out = 0;\n", 2, "$stop"),
    ('integer f;\ninitial begin f = $fopen("x.txt"); $fwrite(f, "hi"); end\nalways @* out = 0;\n', 3, "$fopen"),
    ("initial $dumpoff;\nalways @* out = 0;\n", 2, "$dumpoff"),
    ("always @* out = $random;\n", 2, "$random"),
    ("initial $fatal(1, \"bye\");\nalways @* out = 0;\n", 2, "$fatal"),
    ("`ifdef __ICARUS__\ninitial $finish;\n`endif\nalways @* out = 0;\n", 3, "$finish"),
    ("`ifndef __slang__\ninitial $finish;\n`endif\nalways @* out = 0;\n", 3, "$finish"),
    ("always @* out = $root.tb.q_ref;\n", 2, "$root"),
    ("`define FIN $finish\ninitial `FIN;\nalways @* out = 0;\n", 3, "$finish"),
])
def test_system_tasks_outside_the_allow_list_are_rejected(body, line, words):
    report = judge(body)
    assert report.problems, body
    assert any(p.file == "cand0.sv" and p.line == line and words in p.message for p in report.problems), report.problems


@pytest.mark.parametrize("body, name", [
    ("always @* out = good1.out;\n", "good1"),
    ("always @(posedge clk) begin tb.stats1.errors = 0; out <= 0; end\n", "tb"),
    ("initial force tb.stats1.errors = 0;\nalways @* out = 0;\n", "tb"),
    ("`define CHEAT tb.stats1.errors\nalways @(posedge clk) begin `CHEAT = 0; out <= 0; end\n", "tb"),
    ("generate if (0) begin : dead\n always @* tb.stats1.errors = 0;\nend endgenerate\nalways @* out = 0;\n", "tb"),
])
def test_hierarchical_names_into_the_testbench_are_rejected(body, name):
    assert any(f"'{name}'" in m and "outside the design" in m for m in messages(judge(body)))


def test_calling_a_function_the_design_does_not_define_is_rejected():
    # Icarus resolves a plain function name upwards, into the testbench's own functions
    assert any("calls secret" in m for m in messages(judge("always @* out = secret(in);\n")))


@pytest.mark.parametrize("body, words", [
    ("initial force in = 3'b0;\nalways @* out = 0;\n", "force"),
    ("always @(posedge clk) release in;\nalways @* out = 0;\n", "release"),
    ("initial assign out = 0;\n", "procedural assign"),
    ("initial deassign out;\nalways @* out = 0;\n", "deassign"),
    ("defparam u.W = 3;\nalways @* out = 0;\n", "defparam"),
    ("wire w;\ntran t(in[0], w);\nalways @* out = 0;\n", "bidirectional switch tran"),
])
def test_overriding_constructs_are_rejected(body, words):
    assert any(words in m for m in messages(judge(body))), messages(judge(body))


@pytest.mark.parametrize("body, words", [
    ("RefModule r(.clk(clk), .in(in), .out(out));\n", "golden reference"),
    ("helper h(.o(out));\n", "module helper, which the design does not define"),
])
def test_instances_of_modules_the_design_does_not_define_are_rejected(body, words):
    assert any(words in m for m in messages(judge(body)))


@pytest.mark.parametrize("text, words", [
    ("package p; localparam X = 1; endpackage\n" + HEAD + "always @* out = p::X;\nendmodule\n", "package"),
    ("typedef logic [1:0] tb_match;\n" + HEAD + "always @* out = 0;\nendmodule\n", "'tb_match', which the testbench"),
    ("`define B `\n`define T timescale\n`B`T 1ns/1ps\n" + HEAD + "always @* out = 0;\nendmodule\n", None),
    ("`define B `\n`define T begin_keywords\n`B`T \"1364-1995\"\n" + HEAD + "always @* out = 0;\nendmodule\n",
     "directive `begin_keywords"),
    ("`define B `\n`define T define X 1\n`B`T\n" + HEAD + "always @* out = 0;\nendmodule\n", "directive `define"),
])
def test_top_level_items_and_constructed_directives(text, words):
    report = judge(text, "")
    if words is None:  # a `timescale built from pieces is still only a timescale
        assert report.problems == []
    else:
        assert any(words in m for m in messages(report)), messages(report)


def test_macros_span_the_design_files_as_one_unit():
    first = "`define CHEAT tb.stats1.errors\n" + "module helper; endmodule\n"
    second = HEAD + "always @(posedge clk) begin `CHEAT = 0; out <= 0; end\nendmodule\n"
    report = judge(first, second)
    assert any(p.file == "cand1.sv" and "'tb'" in p.message for p in report.problems), report.problems


@pytest.mark.parametrize("body", [
    "assign in = 3'bxxx;\nalways @* out = 0;\n",
    "sx u(.o(in[1]));\nalways @* out = 0;\nendmodule\nmodule sx(output o); assign o = 1'bx;\n",
])
def test_driving_an_input_port_is_rejected(body):
    assert any("input port 'in' is driven inside the design" in m for m in messages(judge(body)))


def test_ports_must_match_the_interface_and_the_reference():
    wide = judge("module TopModule(input clk, input [3:0] in, output [1:0] out);\nassign out = 0;\nendmodule\n", "")
    assert any("'in' is 4 bit(s) wide; the interface needs 3" in m for m in messages(wide))
    inout = judge("module TopModule(inout clk, input [2:0] in, output [1:0] out);\nassign out = 0;\nendmodule\n", "",
                  interface=None)
    assert any("'clk' is declared inout but the reference declares it input" in m for m in messages(inout))
    missing = judge("module Other(input a); endmodule\n", "")
    assert any("does not define module TopModule" in m for m in messages(missing))


def test_syntax_errors_are_rejected_with_the_parsers_message():
    report = judge("always @* out = ;\n")
    assert report.problems and report.problems[0].line == 2 and "syntax error" in report.problems[0].message


def test_line_markers_map_back_to_the_design_files_and_refuse_others():
    text, lines, problems = split_markers('`line 1 "a.sv" 0\nx\n`line 7 "a.sv" 2\ny\n`line 1 "/etc/passwd" 1\nz\n',
                                          {"a.sv": "shown.sv"})
    assert text.splitlines()[1] == "x" and lines.at(2) == ("shown.sv", 1) and lines.at(4) == ("shown.sv", 7)
    assert problems and "/etc/passwd" in problems[0].message


def test_module_names_and_ports():
    declared, instantiated = module_names("module a; b u(); endmodule\nmodule b; endmodule\n")
    assert declared == ["a", "b"] and instantiated == {"b"}
    ports = module_ports([SourceText("r.sv", "module R(input a, output [3:0] q, inout z); endmodule")], "R")
    assert ports == {"a": "input", "q": "output", "z": "inout"}
    assert module_ports([SourceText("r.sv", "module R; endmodule")], "Other") is None


@pytest.mark.parametrize("body", [
    # a counter reset in one block and counted in another (what the patch search once passed)
    "reg [1:0] n;\nalways @(posedge clk) n <= n + 1;\nalways @(posedge clk) if (in[0]) n <= 0;\n"
    "always @* out = n;\n",
    # an output written whole by one block and a bit of it by another
    "always @(posedge clk) out <= in[1:0];\nalways @(posedge clk, posedge in[2]) if (in[2]) out[0] <= 0;\n",
    # blocking writes to a port from two blocks
    "always @* out = in[1:0];\nalways @* out = ~in[1:0];\n",
    # the same block in every iteration of a generate loop, each writing all of out
    "genvar i;\nfor (i = 0; i < 2; i = i + 1) begin : g\n  always @(posedge clk) out <= in[1:0];\nend\n",
    # a sub-module's register
    "sub u(.c(clk), .o(out));\nendmodule\nmodule sub(input c, output reg [1:0] o);\n"
    "always @(posedge c) o <= o + 1;\nalways @(negedge c) o <= 0;\n",
])
def test_a_variable_two_always_blocks_write_is_rejected(body):
    report = judge(body)
    found = [p for p in report.problems if "written by two always blocks" in p.message]
    assert found, report.problems
    assert found[0].line is not None and "write each variable in one always block" in found[0].message


@pytest.mark.parametrize("body", [
    "genvar i;\nfor (i = 0; i < 2; i = i + 1) begin : g\n  always @(posedge clk) out[i] <= in[i];\nend\n",
    "always @* out[0] = in[0];\nalways @* out[1] = in[1];\n",
    "initial out = 0;\nalways @(posedge clk) out <= in[1:0];\n",
    "reg [1:0] m [0:3];\nalways @(posedge clk) m[in[1:0]] <= in[1:0];\nalways @(negedge clk) m[0] <= 0;\n"
    "always @* out = m[in[2:1]];\n",
    "integer i;\nreg [1:0] a, b;\nalways @* begin a = 0; for (i = 0; i < 3; i = i + 1) a = a + in[i]; end\n"
    "always @* begin b = 0; for (i = 0; i < 3; i = i + 1) b = b ^ in[i]; end\n"
    "always @(posedge clk) out <= a ^ b;\n",
    "always @(posedge clk) begin out <= 0; if (in[0]) out <= in[2:1]; end\n",
])
def test_writes_that_cannot_race_are_accepted(body):
    report = judge(body)
    assert report.problems == [], report.problems
