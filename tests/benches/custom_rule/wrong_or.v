module majority3 (input a, input b, input c, output m);
  assign m = a | b | c;
endmodule
