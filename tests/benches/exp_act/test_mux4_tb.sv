// One line per vector: PASS or FAIL with exp/act values; a summary line at the end.
module test_mux4_tb;
  logic [7:0] d0, d1, d2, d3, y, exp_y;
  logic [1:0] sel;
  int bad = 0;
  mux4 u_mux (.d0(d0), .d1(d1), .d2(d2), .d3(d3), .sel(sel), .y(y));
  initial begin
    repeat (40) begin
      {d0, d1, d2, d3} = {$urandom, $urandom};
      sel = $urandom;
      #2;
      exp_y = sel == 0 ? d0 : sel == 1 ? d1 : sel == 2 ? d2 : d3;
      if (y === exp_y) $display("vector sel=%0d: PASS", sel);
      else begin
        bad++;
        $display("vector sel=%0d: FAIL y exp %h act %h", sel, exp_y, y);
      end
    end
    $display("%0d of 40 vectors failed", bad);
  end
endmodule
