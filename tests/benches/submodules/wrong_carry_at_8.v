module bcd_digit (input clk, input reset, input en, output reg [3:0] q, output carry);
  assign carry = en && q == 4'd8;
  always @(posedge clk)
    if (reset) q <= 4'd0;
    else if (en) q <= (q == 4'd9) ? 4'd0 : q + 4'd1;
endmodule

module bcd_counter2 (input clk, input reset, input tick, output [3:0] ones, output [3:0] tens);
  wire carry_ones, carry_tens;
  bcd_digit u_ones (.clk(clk), .reset(reset), .en(tick), .q(ones), .carry(carry_ones));
  bcd_digit u_tens (.clk(clk), .reset(reset), .en(carry_ones), .q(tens), .carry(carry_tens));
endmodule
