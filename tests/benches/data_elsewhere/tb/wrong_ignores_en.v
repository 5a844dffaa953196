module dec3to8 (input [2:0] sel, input en, output [7:0] y);
  assign y = 8'd1 << sel;
endmodule
