`timescale 1ns / 1ps
// Random vectors, a failure count, and a banner at the end (the style of many public benches).
module testbench;
  reg [7:0] a, b;
  reg cin;
  wire [7:0] sum;
  wire cout;
  integer i;
  integer failures = 0;

  add8 uut (.a(a), .b(b), .cin(cin), .sum(sum), .cout(cout));

  initial begin
    for (i = 0; i < 100; i = i + 1) begin
      a = $random;
      b = $random;
      cin = $random;
      #10;
      if ({cout, sum} !== a + b + cin) failures = failures + 1;
    end
    if (failures == 0)
      $display("===========Your Design Passed===========");
    else
      $display("===========Test completed with %d /100 failures===========", failures);
    $finish;
  end
endmodule
