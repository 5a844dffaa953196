// SystemVerilog immediate assertions report with $error; the bench ends with TEST PASSED only
// when none fired.
module testbench;
  logic clk = 0, rst_n = 0, up = 0, down = 0;
  logic [2:0] count;
  int expected = 0, fired = 0;

  sat_counter dut (.clk(clk), .rst_n(rst_n), .up(up), .down(down), .count(count));

  always #5 clk = ~clk;

  initial begin
    #12 rst_n = 1;
    repeat (80) begin
      @(negedge clk);
      up = $urandom_range(0, 1);
      down = $urandom_range(0, 1);
      @(posedge clk);
      if (up && expected < 7) expected++;
      else if (!up && down && expected > 0) expected--;
      #1 assert (count == expected) else begin
        fired++;
        $error("count is %0d, expected %0d", count, expected);
      end
    end
    if (fired == 0) $display("TEST PASSED");
    $finish;
  end
endmodule
