module parity16 (input [15:0] data, output parity);
  assign parity = ~^data;
endmodule
