// Its own words: "BAD VECTOR" for a wrong answer, "ALL GOOD" at the end; anvil.toml says so.
module majority_check;
  reg a, b, c;
  wire m;
  integer v, bad = 0;
  majority3 dut (.a(a), .b(b), .c(c), .m(m));
  initial begin
    for (v = 0; v < 8; v = v + 1) begin
      {a, b, c} = v;
      #1;
      if (m !== ((a & b) | (a & c) | (b & c))) begin
        bad = bad + 1;
        $display("BAD VECTOR abc=%b%b%b m=%b", a, b, c, m);
      end
    end
    if (bad == 0) $display("ALL GOOD");
  end
endmodule
