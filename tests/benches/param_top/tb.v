// Sets the design's parameters; compares against a model of its own.
module tb;
  localparam W = 12, D = 3;
  reg clk = 0;
  reg [W-1:0] din = 0;
  wire [W-1:0] dout;
  reg [W-1:0] hist [0:D-1];
  integer t, k, mism = 0;
  pipe_delay #(.WIDTH(W), .DEPTH(D)) u_delay (.clk(clk), .din(din), .dout(dout));
  always #5 clk = ~clk;
  initial begin
    for (t = 0; t < 50; t = t + 1) begin
      @(negedge clk);
      if (t > D && dout !== hist[D-1]) begin
        mism = mism + 1;
        $display("t=%0d dout=%h expected %h", t, dout, hist[D-1]);
      end
      for (k = D - 1; k > 0; k = k - 1) hist[k] = hist[k - 1];
      din = $random;
      hist[0] = din;
    end
    $display("mismatches: %0d", mism);
    $finish;
  end
endmodule
