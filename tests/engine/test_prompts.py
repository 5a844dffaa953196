from engine.problem import has_clock
from engine.prompts import (
    Feedback,
    describe_failure,
    first_request,
    interface_line,
    repair_request,
)
from oracle import CompileError, Mismatch, Port, Status, Verdict

PORTS = (Port("clk", "input", 1), Port("q", "output", 4))
CODE = "module TopModule(input clk, output [3:0] q);\nalways @(posedge clk) q <= q + 1;\nendmodule\n"


def test_first_request_states_rules_spec_and_header():
    system, user = first_request("Count up.", top="TopModule", ports=PORTS)
    assert system.role == "system" and "TopModule" in system.content and "output logic" in system.content
    assert "Count up." in user.content
    assert interface_line("TopModule", PORTS) == "module TopModule (input logic clk, output logic [3:0] q);"
    assert interface_line("TopModule", PORTS) in user.content
    assert "posedge clk" in system.content and "no clock input" not in system.content


def test_a_design_without_a_clock_is_said_to_be_combinational():
    gates = (Port("a", "input", 1), Port("b", "input", 1), Port("out", "output", 1))
    system, _ = first_request("out = a NOR b.", top="TopModule", ports=gates)
    assert "no clock input" in system.content and "posedge clk" not in system.content
    assert "always @(*)" in system.content
    unknown, _ = first_request("out = a NOR b.", top="TopModule", ports=())
    assert "posedge clk" in unknown.content and "no clock input" not in unknown.content
    assert has_clock((Port("sys_clk", "input", 1),)) and not has_clock((Port("clk", "output", 1),))


def test_compile_errors_quote_the_lines():
    v = Verdict(Status.COMPILE_ERROR, compile_errors=(CompileError("c.sv", 2, "q is not a valid l-value"),))
    text = describe_failure(v, CODE, Feedback.VECTORS, design_file="c.sv", hints=["line 2: x"])
    assert "- line 2: q is not a valid l-value" in text and "(parser) line 2: x" in text
    assert "   2 | always @(posedge clk) q <= q + 1;" in text
    assert describe_failure(v, CODE, Feedback.SUMMARY) == "This design does not compile: 1 error(s)."


def test_mismatch_table_and_modes():
    m = Mismatch(160, 16, "negedge", "q", "4'ha", "4'h1", {"reset": "0"})
    v = Verdict(Status.FUNCTIONAL_FAIL, samples=421, mismatched_samples=12, score=0.971, mismatches=(m,))
    vectors = describe_failure(v, CODE, Feedback.VECTORS, hints=["Hint: Your reset should be synchronous."])
    assert "| 16 | 160 | negedge | reset=0 | q | 4'ha (10) | 4'h1 (1) |" in vectors
    assert "12 of 421 samples" in vectors and "Hint: Your reset should be synchronous." in vectors
    summary = describe_failure(v, CODE, Feedback.SUMMARY)
    assert "12 of 421" in summary and "q" in summary and "4'ha" not in summary
    assert describe_failure(v, CODE, Feedback.NONE) == "This design does not pass the testbench."


def test_repair_request_is_a_conversation():
    v = Verdict(Status.TIMEOUT)
    msgs = repair_request("Count up.", CODE, v, top="TopModule", ports=PORTS, mode=Feedback.VECTORS)
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user"]
    assert CODE.strip() in msgs[2].content and "never finished" in msgs[3].content


def test_outputs_that_are_x_get_a_note_about_undriven_outputs():
    unset = (Mismatch(5, 0, "posedge", "parity", "0", "x", {"data": "8'h00"}),
             Mismatch(5, 0, "posedge", "none", "1", "x", {"data": "8'h00"}))
    v = Verdict(Status.FUNCTIONAL_FAIL, samples=714, mismatched_samples=2, score=0.997, mismatches=unset)
    assert "never assigned" in describe_failure(v, CODE, Feedback.VECTORS)
    wrong = (Mismatch(5, 0, "posedge", "q", "4'ha", "4'h1x", {}), Mismatch(15, 1, "posedge", "q", "4'hb", "4'h2", {}))
    v = Verdict(Status.FUNCTIONAL_FAIL, samples=9, mismatched_samples=2, score=0.8, mismatches=wrong)
    assert "never assigned" not in describe_failure(v, CODE, Feedback.VECTORS)
    assert "never assigned" not in describe_failure(v, CODE, Feedback.SUMMARY)


def _big_failure() -> tuple[str, Verdict]:
    """A 256-bit design with 40 failing samples and a waveform: a prompt of thousands of tokens."""
    from oracle import TraceRow

    wide = "module TopModule(input clk, input [255:0] d, output reg [255:0] q);\n" + \
        "".join(f"  // stage {i}: q[{i}] follows d[{i}] on the rising edge of clk\n" for i in range(60)) + \
        "  always @(posedge clk) q <= ~d;\nendmodule\n"
    value = "256'h" + "f" * 64
    rows = tuple(TraceRow(10 * i, i, "posedge", {"d": value}, {"q": (value, "256'h" + "0" * 64)})
                 for i in range(12))
    mismatches = tuple(Mismatch(10 * i, i, "posedge", "q", value, "256'h" + "0" * 64, {"d": value})
                       for i in range(40))
    return wide, Verdict(Status.FUNCTIONAL_FAIL, samples=400, mismatched_samples=40, score=0.9,
                         mismatches=mismatches, trace=rows)


def test_a_repair_prompt_is_fitted_to_the_models_window():
    from engine.prompts import estimate_tokens, fitted_repair

    code, verdict = _big_failure()
    full = fitted_repair("Copy d to q.", code, verdict, top="TopModule", ports=PORTS, mode=Feedback.VECTORS,
                         window=None)
    assert full is not None and estimate_tokens(full) > 4096 - 1024
    fitted = fitted_repair("Copy d to q.", code, verdict, top="TopModule", ports=PORTS, mode=Feedback.VECTORS,
                           window=4096 - 1024)
    assert fitted is not None and estimate_tokens(fitted) <= 4096 - 1024
    assert code.strip() in fitted[2].content  # the code is always shown whole; the feedback shrinks
    assert len(fitted[3].content) < len(full[3].content)
    assert fitted_repair("Copy d to q.", code, verdict, top="TopModule", ports=PORTS, mode=Feedback.VECTORS,
                         window=100) is None
