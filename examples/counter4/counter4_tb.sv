// Self-checking testbench for counter4.md in Anvil's convention: the golden model
// (RefModule) and the design (TopModule) see the same stimulus; both are compared on every
// clock edge; wave.vcd holds the inputs, each output as NAME_ref / NAME_dut and tb_mismatch;
// the last line is "Mismatches: N in M samples".
`timescale 1ps/1ps

module tb;
  reg clk = 0;
  always #5 clk = ~clk;

  reg reset = 1;
  reg en = 0;
  wire [3:0] count_ref, count_dut;

  RefModule ref_model (.clk(clk), .reset(reset), .en(en), .count(count_ref));
  TopModule dut       (.clk(clk), .reset(reset), .en(en), .count(count_dut));

  // x in the reference is "don't care"; x or z from the design is a mismatch
  wire tb_match = (count_ref === (count_ref ^ count_dut ^ count_ref));
  wire tb_mismatch = ~tb_match;

  integer samples = 0;
  integer errors = 0;
  always @(posedge clk, negedge clk) begin
    samples = samples + 1;
    if (!tb_match) errors = errors + 1;
  end

  initial begin
    $dumpfile("wave.vcd");
    $dumpvars(1, clk, reset, en, count_ref, count_dut, tb_mismatch);
    @(negedge clk) reset = 1;
    @(negedge clk) reset = 0;
    en = 1;
    repeat (20) @(negedge clk);            // count up and wrap past 15
    en = 0;
    repeat (3) @(negedge clk);             // hold
    repeat (200) @(negedge clk) begin      // random enable and occasional reset
      en = $random;
      reset = ($random & 15) == 0;
    end
    reset = 1;                             // reset while enabled
    en = 1;
    @(negedge clk) reset = 0;
    repeat (5) @(negedge clk);
    $display("Mismatches: %0d in %0d samples", errors, samples);
    $finish;
  end
endmodule
