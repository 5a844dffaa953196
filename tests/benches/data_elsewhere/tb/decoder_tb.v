// Its expected patterns live in a folder beside its own.
module decoder_tb;
  reg [7:0] patterns [0:7];
  reg [2:0] sel;
  reg en;
  wire [7:0] y;
  integer i, bad;
  dec3to8 dut (.sel(sel), .en(en), .y(y));
  initial begin
    $readmemb("../mem/onehot.mem", patterns);
    bad = 0;
    for (i = 0; i < 16; i = i + 1) begin
      {en, sel} = i;
      #1;
      if (y !== (en ? patterns[sel] : 8'd0)) begin
        bad = bad + 1;
        $display("FAILED: en=%b sel=%0d y=%b", en, sel, y);
      end
    end
    if (bad == 0) $display("SUCCESS");
  end
endmodule
