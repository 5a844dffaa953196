module TopModule (input clk, input reset, input d, output reg rise);
  reg last;
  always @(posedge clk) begin
    if (reset) begin
      rise <= 1'b0;
      last <= 1'b0;
    end else begin
      rise <= d & ~last;
      last <= d;
    end
  end
endmodule
