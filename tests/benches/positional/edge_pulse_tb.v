// An older style: ports connected by position; results as "Passed"/"Failed" words.
module edge_pulse_tb;
  reg clk, rst_n, sig;
  wire pulse;
  reg prev, want;
  integer i, fails;
  edge_pulse dut (clk, rst_n, sig, pulse);
  initial clk = 0;
  always #5 clk = ~clk;
  initial begin
    rst_n = 0; sig = 0; prev = 0; want = 0; fails = 0;
    #12 rst_n = 1;
    for (i = 0; i < 100; i = i + 1) begin
      @(negedge clk) sig = $random;
      @(posedge clk) begin want = sig & ~prev; prev = sig; end
      #1 if (pulse !== want) begin
        fails = fails + 1;
        $display("Failed at cycle %0d: pulse=%b, expected=%b", i, pulse, want);
      end
    end
    if (fails == 0) $display("Passed");
    $finish;
  end
endmodule
