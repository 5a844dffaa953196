// The reference for turnstile.md: a coin unlocks the arm, a push locks it again.
module RefModule (input clk, input reset, input coin, input push, output open);
  reg unlocked;
  always @(posedge clk)
    if (reset) unlocked <= 1'b0;
    else if (!unlocked && coin) unlocked <= 1'b1;
    else if (unlocked && push) unlocked <= 1'b0;
  assign open = unlocked;
endmodule
