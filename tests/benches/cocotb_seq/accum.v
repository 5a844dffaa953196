module accum (input clk, input clear, input [7:0] add, output reg [11:0] total);
  always @(posedge clk)
    if (clear) total <= 12'd0;
    else total <= total + add;
endmodule
