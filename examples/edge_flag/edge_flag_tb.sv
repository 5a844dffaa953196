// A plain self-checking testbench (no reference model): it predicts the output itself,
// prints one ERROR line per wrong cycle and PASS at the end when there was none.
`timescale 1ns/1ps

module tb;
  reg clk = 0;
  always #5 clk = ~clk;
  reg reset = 1, d = 0;
  wire rise;
  integer errors = 0;
  reg prev = 0, expected = 0;

  TopModule dut (.clk(clk), .reset(reset), .d(d), .rise(rise));

  always @(posedge clk) begin
    expected <= reset ? 1'b0 : (d & ~prev);
    prev <= reset ? 1'b0 : d;
  end

  always @(negedge clk) begin
    if (rise !== expected) begin
      errors = errors + 1;
      $display("ERROR at time %0t: rise expected %b got %b (d=%b reset=%b)", $time, expected, rise, d, reset);
    end
  end

  initial begin
    repeat (2) @(negedge clk);
    reset = 0;
    repeat (100) @(negedge clk) begin
      d = $random;
      reset = ($random & 31) == 0;
    end
    @(negedge clk);
    if (errors == 0) $display("PASS");
    else $display("FAILED with %0d errors", errors);
    $finish;
  end
endmodule
