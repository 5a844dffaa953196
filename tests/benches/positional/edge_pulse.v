module edge_pulse (input clk, input rst_n, input sig, output reg pulse);
  reg last;
  always @(posedge clk, negedge rst_n)
    if (!rst_n) begin last <= 1'b0; pulse <= 1'b0; end
    else begin last <= sig; pulse <= sig & ~last; end
endmodule
