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
