module parity16 (input [15:0] data, output parity);
  assign parity = ^data[7:0];
endmodule
