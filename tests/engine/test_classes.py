"""Problems are classed from their references: the project's examples, and an FSM of our own."""

from sweeps.classes import design_class
from tests.conftest import ROOT

EX = ROOT / "examples"

FSM = """module RefModule (input clk, input reset, input x, output z);
  localparam IDLE = 2'd0, ONE = 2'd1;  // a comment: count <= count + 1
  reg [1:0] state;
  always @(posedge clk) if (reset) state <= IDLE; else case (state) IDLE: state <= x ? ONE : IDLE; default: state <= IDLE; endcase
  assign z = state == ONE;
endmodule
"""


def test_classes_of_the_examples_and_an_fsm():
    assert design_class((EX / "parity8" / "parity8_ref.sv").read_text()) == "combinational"
    assert design_class((EX / "counter4" / "counter4_ref.sv").read_text()) == "counter"
    assert design_class(FSM) == "fsm"
    assert design_class(FSM.replace("case (state)", "case (1'b1)").replace("localparam IDLE = 2'd0, ONE = 2'd1;", "")
                        .replace("IDLE", "2'd0").replace("ONE", "2'd1").replace("state", "q")) == "sequential"
