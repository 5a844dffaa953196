module pipe_delay #(parameter WIDTH = 8, parameter DEPTH = 2) (
  input clk,
  input [WIDTH-1:0] din,
  output [WIDTH-1:0] dout
);
  reg [WIDTH-1:0] s0, s1;
  always @(posedge clk) begin
    s0 <= din;
    s1 <= s0;
  end
  assign dout = s1;
endmodule
