"""The README's examples: their testbenches judge known designs correctly (real Icarus)."""

import pytest

from tests.conftest import ROOT, run_anvil

EXAMPLES = ROOT / "examples"
# parity8 written with `always @(*)`: it must pass, i.e. the bench must not sample before the
# first input change (an `always @(*)` block does not run until one of its inputs changes)
PARITY_ALWAYS_STAR = """module TopModule (input logic [7:0] data, output logic parity, output logic all_ones,
                  output logic none);
  always @(*) begin parity = ^data; all_ones = &data; none = ~|data; end
endmodule
"""
PARITY_WRONG = PARITY_ALWAYS_STAR.replace("none = ~|data", "none = ~&data")


@pytest.mark.parametrize("name, design, passes", [
    ("counter4", (EXAMPLES / "counter4/counter4_good.sv").read_text(), True),
    ("counter4", (EXAMPLES / "counter4/counter4_bad.sv").read_text(), False),
    ("edge_flag", (EXAMPLES / "edge_flag/edge_flag_good.sv").read_text(), True),
    ("parity8", PARITY_ALWAYS_STAR, True),
    ("parity8", PARITY_WRONG, False),
])
def test_example_benches_judge_known_designs(name, design, passes):
    run = run_anvil("check", "-", "--tb", EXAMPLES / name / f"{name}_tb.sv", "--json", input=design)
    assert run.returncode == (0 if passes else 1), run.stdout + run.stderr
    assert ('"status": "pass"' in run.stdout) == passes
