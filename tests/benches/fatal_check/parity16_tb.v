// Stops at the first wrong answer with $fatal; prints ALL TESTS PASSED otherwise.
module parity16_tb;
  reg [15:0] data;
  wire parity;
  integer k;
  parity16 dut (.data(data), .parity(parity));
  initial begin
    for (k = 0; k < 200; k = k + 1) begin
      data = (k < 17) ? (16'h1 << k) - 1 : $random;
      #1;
      if (parity !== ^data) $fatal(1, "data=%h parity=%b", data, parity);
    end
    $display("ALL TESTS PASSED");
    $finish;
  end
endmodule
