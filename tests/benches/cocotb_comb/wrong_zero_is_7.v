module clz8 (input [7:0] x, output reg [3:0] count);
  integer i;
  always @(*) begin
    count = 4'd7;
    for (i = 0; i < 8; i = i + 1)
      if (x[i]) count = 4'd7 - i[3:0];
  end
endmodule
