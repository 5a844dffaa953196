module bcd_counter2 (input clk, input reset, input tick, output reg [3:0] ones, output reg [3:0] tens);
  always @(posedge clk)
    if (reset) begin ones <= 0; tens <= 0; end
    else if (tick) begin
      if (ones == 9) begin ones <= 0; tens <= tens + 1; end
      else ones <= ones + 1;
    end
endmodule
