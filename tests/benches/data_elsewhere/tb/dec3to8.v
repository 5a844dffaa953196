module dec3to8 (input [2:0] sel, input en, output [7:0] y);
  assign y = en ? (8'd1 << sel) : 8'd0;
endmodule
