"""Hand-made wrong designs fail with the right first mismatch.

The first failing time is cross-checked against the testbench's own report
("First mismatch occurred at time T"), and expected/actual values against hand-derived rules.
"""

import re

import pytest

from oracle import Bench, Oracle, SourceText, Status
from tests.conftest import problem_files


def hint_first(verdict, signal):
    m = re.search(rf"Output '{signal}' has (\d+) mismatches\. First mismatch occurred at time (\d+)",
                  verdict.log_tail)
    assert m, verdict.log_tail
    return int(m.group(2))


def as_int(value):
    return int(value.split("'h")[1], 16) if "'h" in value else int(value, 2)


async def judge(name, text, tmp_path):
    _, tb, _ = problem_files(name)
    verdict = await Oracle(tmp_root=tmp_path).simulate(SourceText("mutant.sv", text), Bench.for_testbench(tb))
    assert verdict.status is Status.FUNCTIONAL_FAIL, (verdict.status, verdict.reason, verdict.compile_errors)
    assert 0 < len(verdict.mismatches) <= 8
    assert verdict.mismatched_samples > 0 and 0 <= verdict.score < 1
    times = [m.time for m in verdict.mismatches]
    assert times == sorted(times)
    return verdict


async def test_combinational_popcount_missing_a_term(tmp_path):
    v = await judge("Prob009_popcount3", """
module TopModule(input [2:0] in, output [1:0] out);
  assign out = in[0] + in[1];
endmodule
""", tmp_path)
    first = v.mismatches[0]
    assert first.signal == "out" and first.time == hint_first(v, "out")
    for m in v.mismatches:
        bits = as_int(m.inputs["in"])
        assert as_int(m.expected) == bin(bits).count("1")
        assert as_int(m.actual) == bin(bits & 3).count("1")
        assert bits & 4


async def test_counter_wrapping_one_step_late(tmp_path):
    v = await judge("Prob035_count1to10", """
module TopModule(input clk, input reset, output reg [3:0] q);
  always @(posedge clk)
    if (reset || q == 11) q <= 1;
    else q <= q + 1;
endmodule
""", tmp_path)
    first = v.mismatches[0]
    assert (first.signal, first.expected, first.actual) == ("q", "4'h1", "4'hb")
    assert first.time == hint_first(v, "q") and first.inputs == {"reset": "0"}
    assert first.cycle == first.time // 10


async def test_shift_register_shifting_the_wrong_way(tmp_path):
    v = await judge("Prob085_shift4", """
module TopModule(input clk, input areset, input load, input ena, input [3:0] data, output reg [3:0] q);
  always @(posedge clk, posedge areset)
    if (areset) q <= 0;
    else if (load) q <= data;
    else if (ena) q <= {q[2:0], 1'b0};
endmodule
""", tmp_path)
    first = v.mismatches[0]
    assert first.signal == "q" and first.time == hint_first(v, "q")
    # the first divergence follows a shift (ena=1, load=0): expected is right-shifted, actual left
    assert as_int(first.expected) != as_int(first.actual)


async def test_synchronous_reset_where_asynchronous_is_required(tmp_path):
    v = await judge("Prob047_dff8ar", """
module TopModule(input clk, input [7:0] d, input areset, output reg [7:0] q);
  always @(posedge clk)
    if (areset) q <= 0;
    else q <= d;
endmodule
""", tmp_path)
    first = v.mismatches[0]
    assert first.time == hint_first(v, "q")
    assert first.expected == "8'h00" and first.actual != "8'h00" and first.inputs["areset"] == "1"


async def test_asynchronous_reset_where_synchronous_is_required(tmp_path):
    v = await judge("Prob041_dff8r", """
module TopModule(input clk, input [7:0] d, input reset, output reg [7:0] q);
  always @(posedge clk, posedge reset)
    if (reset) q <= 0;
    else q <= d;
endmodule
""", tmp_path)
    first = v.mismatches[0]
    assert first.time == hint_first(v, "q")
    assert first.actual == "8'h00" and first.expected != "8'h00" and first.inputs["reset"] == "1"


async def test_blocking_assignments_collapse_a_pipeline(tmp_path):
    v = await judge("Prob045_edgedetect2", """
module TopModule(input clk, input [7:0] in, output reg [7:0] anyedge);
  reg [7:0] d_last;
  always @(posedge clk) begin
    d_last = in;
    anyedge = in ^ d_last;
  end
endmodule
""", tmp_path)
    first = v.mismatches[0]
    assert first.time == hint_first(v, "anyedge")
    assert all(m.actual == "8'h00" and m.expected != "8'h00" for m in v.mismatches)


async def test_fsm_resetting_to_the_wrong_state(tmp_path):
    v = await judge("Prob107_fsm1s", """
module TopModule(input clk, input in, input reset, output out);
  reg state;
  always @(posedge clk)
    if (reset) state <= 1'b0;
    else state <= in ? state : ~state;
  assign out = state;
endmodule
""", tmp_path)
    first = v.mismatches[0]
    assert first.time == hint_first(v, "out")
    assert (first.expected, first.actual) == ("1", "0")


@pytest.mark.parametrize("limit", [1, 3])
async def test_mismatch_limit_is_respected(limit, tmp_path):
    _, tb, _ = problem_files("Prob035_count1to10")
    text = "module TopModule(input clk, input reset, output reg [3:0] q);\nalways @(posedge clk) q <= 0;\nendmodule\n"
    verdict = await Oracle(tmp_root=tmp_path, max_mismatches=limit).simulate(text, Bench.for_testbench(tb))
    assert len(verdict.mismatches) == limit
