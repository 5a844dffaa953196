// Testbench for seatbelt.md in Anvil's convention (see examples/counter4/counter4_tb.sv).
// Every input combination is applied twice; the spec's don't-care combinations (ign, ~occ,
// belt) are applied but not checked.
`timescale 1ps/1ps

module tb;
  reg clk = 0;
  always #5 clk = ~clk;

  reg ign, occ, belt, door;
  wire chime_ref, chime_dut;

  RefModule ref_model (.ign(ign), .occ(occ), .belt(belt), .door(door), .chime(chime_ref));
  TopModule dut       (.ign(ign), .occ(occ), .belt(belt), .door(door), .chime(chime_dut));

  wire dont_care = ign & ~occ & belt;
  wire tb_match = dont_care || (chime_ref === (chime_ref ^ chime_dut ^ chime_ref));
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
    $dumpvars(1, clk, ign, occ, belt, door, chime_ref, chime_dut, tb_mismatch);
    for (i = 0; i < 32; i = i + 1)
      @(negedge clk) {ign, occ, belt, door} = i;
    @(negedge clk);
    $display("Mismatches: %0d in %0d samples", errors, samples);
    $finish;
  end
endmodule
