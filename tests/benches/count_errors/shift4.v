module shift4 (input clk, input rst, input en, input d, output reg [3:0] q);
  always @(posedge clk)
    if (rst) q <= 4'd0;
    else if (en) q <= {q[2:0], d};
endmodule
