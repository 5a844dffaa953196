module popcount4 (input [3:0] x, output [2:0] n);
  assign n = x[0] + x[1] + x[2] + x[3];
endmodule
