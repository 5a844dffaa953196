// Counts ticks itself and compares at every negative edge; a single verdict line at the end.
module testbench;
  reg clk = 0, reset = 1, tick = 0;
  wire [3:0] ones, tens;
  integer value = 0, n, failures = 0;
  bcd_counter2 dut (.clk(clk), .reset(reset), .tick(tick), .ones(ones), .tens(tens));
  always #5 clk = ~clk;
  always @(posedge clk) value <= reset ? 0 : (tick ? (value + 1) % 100 : value);
  initial begin
    @(negedge clk) reset = 0;
    for (n = 0; n < 260; n = n + 1) begin
      tick = ($random % 4) != 0;
      @(negedge clk);
      if (ones !== value % 10 || tens !== value / 10) failures = failures + 1;
    end
    if (failures) $display("FAILURE: %0d samples wrong", failures);
    else $display("SUCCESS: counter matches");
    $finish;
  end
endmodule
