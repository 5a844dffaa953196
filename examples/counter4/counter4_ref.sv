// Golden model for counter4.md, used by counter4_tb.sv.
module RefModule (
  input            clk,
  input            reset,
  input            en,
  output reg [3:0] count
);
  always @(posedge clk) begin
    if (reset)
      count <= 4'd0;
    else if (en)
      count <= count + 4'd1;
  end
endmodule
