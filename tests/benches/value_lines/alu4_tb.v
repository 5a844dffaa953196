// Every operation on every pair of small operands; each wrong result is printed with the
// values (expected=..., got=...), then a count.
module alu4_tb;
  reg [3:0] a, b;
  reg [1:0] op;
  wire [3:0] y;
  wire zero;
  reg [3:0] want;
  integer i, errors;
  alu4 dut (.a(a), .b(b), .op(op), .y(y), .zero(zero));
  initial begin
    errors = 0;
    for (i = 0; i < 1024; i = i + 1) begin
      {op, a, b} = i;
      #1;
      case (op)
        2'd0: want = a + b;
        2'd1: want = a - b;
        2'd2: want = a & b;
        default: want = a ^ b;
      endcase
      if (y !== want || zero !== (want == 0)) begin
        errors = errors + 1;
        if (errors <= 5)
          $display("Mismatch: a=%h, b=%h, op=%0d, expected=%h, got=%h", a, b, op, want, y);
      end
    end
    $display("Test completed with %0d errors", errors);
    $finish;
  end
endmodule
