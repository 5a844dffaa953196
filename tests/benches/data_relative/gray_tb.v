// Reads its vectors from a file in its own folder.
module gray_tb;
  reg [15:0] vectors [0:63];
  reg [5:0] b;
  wire [5:0] g;
  integer i, wrong;
  gray dut (.b(b), .g(g));
  initial begin
    $readmemh("vectors.hex", vectors);
    wrong = 0;
    for (i = 0; i < 64; i = i + 1) begin
      b = vectors[i][13:8];
      #1;
      if (g !== vectors[i][5:0]) begin
        wrong = wrong + 1;
        $display("FAIL b=%h g=%h expected %h", b, g, vectors[i][5:0]);
      end
    end
    if (wrong == 0) $display("PASSED: 64 vectors");
    $finish;
  end
endmodule
