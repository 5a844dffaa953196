module accum (input clk, input clear, input [7:0] add, output reg [11:0] total);
  initial total = 0;
  always @(posedge clk) total <= total + add;
endmodule
