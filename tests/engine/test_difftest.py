"""The longer, different test: a design that only fits the bench is caught; a right one holds."""

from engine.difftb import testbench as bench_text
from oracle import Bench, Oracle, Port, Status
from sweeps.difftest import holds
from tests.conftest import ROOT

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
#: passes counter4_tb.sv (about 230 cycles), then goes wrong: it fits the bench, not the spec
OVERFIT = GOOD.replace("  always @(posedge clk) begin", "  reg [11:0] age = 0;\n  always @(posedge clk) age <= age + 1;\n"
                       "  always @(posedge clk) begin", 1).replace("else if (en)", "else if (en && age < 12'd600)")


async def test_a_right_design_holds_and_an_overfit_one_does_not():
    oracle = Oracle()
    bench = Bench.for_testbench(EX / "counter4_tb.sv")
    ports = oracle.interface(bench)
    assert (await oracle.simulate(OVERFIT, bench)).passed  # the bench alone cannot tell
    samples = (await oracle.check_bench(bench)).samples
    right = await holds(oracle, GOOD, EX / "counter4_ref.sv", ports, original_samples=samples)
    assert right.holds is True and f"{10 * samples // 2} cycles" in right.reason
    fitted = await holds(oracle, OVERFIT, EX / "counter4_ref.sv", ports, original_samples=samples)
    assert fitted.holds is False and fitted.verdict.status is Status.FUNCTIONAL_FAIL
    assert fitted.verdict.mismatches and fitted.verdict.mismatches[0].cycle > 500


async def test_ports_it_cannot_drive_are_not_judged():
    oracle = Oracle()
    odd = (Port("clk", "input", 1), Port("bus", "inout", 8))
    assert (await holds(oracle, GOOD, EX / "counter4_ref.sv", odd, original_samples=10)).holds is None
    assert (await holds(oracle, GOOD, EX / "counter4_ref.sv", (), original_samples=10)).holds is None


def test_the_bench_drives_every_input_and_compares_every_output():
    text = bench_text((Port("clk", "input", 1), Port("rst_n", "input", 1), Port("d", "input", 40),
                      Port("q", "output", 3), Port("v", "output", 1)), cycles=50, seed=7)
    assert "RefModule ref_model (.clk(clk), .rst_n(rst_n), .d(d), .q(q_ref), .v(v_ref));" in text
    assert "d = {$random(seed), $random(seed)};" in text  # 40 bits from two words
    assert "rst_n = 0;" in text.split("repeat (3)")[0]  # an active-low reset starts asserted
    assert "repeat (50) begin" in text and "integer seed = 7;" in text


async def test_no_edge_samples_an_undriven_input(tmp_path):
    """The data are driven before the first clock edge: a register with a start value and no reset
    is compared from the first edge on (were its input x there, the reference's output would be x
    ever after and match anything), and how a design propagates an x is never judged."""
    oracle = Oracle()
    (tmp_path / "ref.sv").write_text("module RefModule(input clk, input in, output reg out);\ninitial out = 0;\n"
                                     "always @(posedge clk) out <= out ^ in;\nendmodule\n")
    ports = (Port("clk", "input", 1), Port("in", "input", 1), Port("out", "output", 1))
    wrong = "module TopModule(input clk, input in, output out);\nassign out = clk;\nendmodule\n"
    caught = await holds(oracle, wrong, tmp_path / "ref.sv", ports, original_samples=100)
    assert caught.holds is False and caught.verdict.mismatched_samples > 100
    (tmp_path / "comb.sv").write_text("module RefModule(input a, input b, output [1:0] y);\n"
                                      "assign y = {a & b, 1'b0};\nendmodule\n")
    pessimistic = "module TopModule(input a, input b, output [1:0] y);\nassign y = {a & b, a & ~a};\nendmodule\n"
    comb = (Port("a", "input", 1), Port("b", "input", 1), Port("y", "output", 2))
    assert (await holds(oracle, pessimistic, tmp_path / "comb.sv", comb, original_samples=100)).holds is True
