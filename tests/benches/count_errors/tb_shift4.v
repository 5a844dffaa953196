// Checks on every negative edge, one ERROR line per bad sample and a count at the end.
module tb_shift4;
  reg clk = 0, rst = 1, en = 0, d = 0;
  wire [3:0] q;
  reg [3:0] model;
  integer errors = 0, n;

  shift4 dut (.clk(clk), .rst(rst), .en(en), .d(d), .q(q));

  always #5 clk = ~clk;
  always @(posedge clk) model <= rst ? 4'd0 : (en ? {model[2:0], d} : model);

  initial begin
    for (n = 0; n < 60; n = n + 1) begin
      @(negedge clk);
      if (n > 0 && q !== model) begin
        errors = errors + 1;
        $display("ERROR at time %0t: q=%b, expected %b (en=%b d=%b)", $time, q, model, en, d);
      end
      rst = (n == 0) || (n == 31);
      en = $random;
      d = $random;
    end
    $display("Simulation finished with %0d errors", errors);
    $finish;
  end
endmodule
