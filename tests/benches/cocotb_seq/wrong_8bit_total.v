module accum (input clk, input clear, input [7:0] add, output reg [11:0] total);
  reg [7:0] low;
  always @(posedge clk)
    if (clear) low <= 8'd0;
    else low <= low + add;
  always @(*) total = {4'd0, low};
endmodule
