// A plausible wrong answer: the reset is asynchronous, not synchronous.
module TopModule (
  input            clk,
  input            reset,
  input            en,
  output reg [3:0] count
);
  always @(posedge clk, posedge reset) begin
    if (reset)
      count <= 4'd0;
    else if (en)
      count <= count + 4'd1;
  end
endmodule
