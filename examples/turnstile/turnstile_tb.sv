// Testbench for turnstile.md in Anvil's convention (see examples/counter4/counter4_tb.sv):
// random coins and pushes, a reset now and then, the output compared on both clock edges.
`timescale 1ps/1ps

module tb;
  reg clk = 0;
  always #5 clk = ~clk;

  reg reset = 1, coin = 0, push = 0;
  wire open_ref, open_dut;

  RefModule ref_model (.clk(clk), .reset(reset), .coin(coin), .push(push), .open(open_ref));
  TopModule dut       (.clk(clk), .reset(reset), .coin(coin), .push(push), .open(open_dut));

  wire tb_match = (open_ref === (open_ref ^ open_dut ^ open_ref));
  wire tb_mismatch = ~tb_match;

  integer samples = 0;
  integer errors = 0;
  always @(posedge clk, negedge clk) begin
    samples = samples + 1;
    if (!tb_match) errors = errors + 1;
  end

  initial begin
    $dumpfile("wave.vcd");
    $dumpvars(1, clk, reset, coin, push, open_ref, open_dut, tb_mismatch);
    @(negedge clk) reset = 1;
    @(negedge clk) reset = 0;
    repeat (200) @(negedge clk) begin
      coin = ($random & 3) == 0;
      push = ($random & 1);
      reset = ($random & 31) == 0;
    end
    @(negedge clk);
    $display("Mismatches: %0d in %0d samples", errors, samples);
    $finish;
  end
endmodule
