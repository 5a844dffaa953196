// Golden model for parity8.md.
module RefModule (
  input  [7:0] data,
  output       parity,
  output       all_ones,
  output       none
);
  assign parity   = ^data;
  assign all_ones = &data;
  assign none     = ~|data;
endmodule
