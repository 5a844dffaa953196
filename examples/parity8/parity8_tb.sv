// Testbench for parity8.md in Anvil's convention (see examples/counter4/counter4_tb.sv).
// The design is combinational; a clock paces the stimulus and the comparisons.
`timescale 1ps/1ps

module tb;
  reg clk = 0;
  always #5 clk = ~clk;

  // No initial value: the first stimulus at the first negedge is an x -> value change, so a
  // design written with `always @(*)` is evaluated before the first sample that matters.
  reg [7:0] data;
  wire parity_ref, parity_dut, all_ones_ref, all_ones_dut, none_ref, none_dut;

  RefModule ref_model (.data(data), .parity(parity_ref), .all_ones(all_ones_ref), .none(none_ref));
  TopModule dut       (.data(data), .parity(parity_dut), .all_ones(all_ones_dut), .none(none_dut));

  wire [2:0] expected = {parity_ref, all_ones_ref, none_ref};
  wire [2:0] actual   = {parity_dut, all_ones_dut, none_dut};
  wire tb_match = (expected === (expected ^ actual ^ expected));
  wire tb_mismatch = ~tb_match;

  integer samples = 0;
  integer errors = 0;
  always @(posedge clk, negedge clk) begin
    samples = samples + 1;
    if (!tb_match) errors = errors + 1;
  end

  integer i;
  initial begin
    $dumpfile("wave.vcd");
    $dumpvars(1, clk, data, parity_ref, parity_dut, all_ones_ref, all_ones_dut, none_ref, none_dut, tb_mismatch);
    for (i = 0; i < 256; i = i + 1)      // every value once
      @(negedge clk) data = i;
    repeat (100) @(negedge clk) data = $random;
    @(negedge clk);
    $display("Mismatches: %0d in %0d samples", errors, samples);
    $finish;
  end
endmodule
