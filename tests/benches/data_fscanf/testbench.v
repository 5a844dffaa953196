`define GOLDEN "golden.txt"
// Reads expected values with $fscanf and writes its own log beside it.
module testbench;
  reg [3:0] x;
  wire [2:0] n;
  integer fd, log, code, xi, ni, errors;
  reg [8*64:1] header;
  popcount4 uut (.x(x), .n(n));
  initial begin
    errors = 0;
    fd = $fopen(`GOLDEN, "r");
    log = $fopen("run.log", "w");
    if (fd == 0) begin
      $display("ERROR: cannot open %s", `GOLDEN);
      $finish;
    end
    code = $fgets(header, fd);
    while (!$feof(fd)) begin
      code = $fscanf(fd, "%d %d\n", xi, ni);
      if (code == 2) begin
        x = xi;
        #1;
        $fdisplay(log, "x=%0d n=%0d", x, n);
        if (n !== ni) begin
          errors = errors + 1;
          $display("Error: x=%0d, expected=%0d, got=%0d", x, ni, n);
        end
      end
    end
    $fclose(fd);
    $fclose(log);
    if (errors == 0) $display("=========== Your Design Passed ===========");
    else $display("=========== Failed: %0d errors ===========", errors);
    $finish;
  end
endmodule
