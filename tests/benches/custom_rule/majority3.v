module majority3 (input a, input b, input c, output m);
  assign m = (a & b) | (a & c) | (b & c);
endmodule
