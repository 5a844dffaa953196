module sat_counter (input logic clk, input logic rst_n, input logic up, input logic down,
                    output logic [2:0] count);
  always_ff @(posedge clk, negedge rst_n)
    if (!rst_n) count <= 3'd0;
    else if (down) count <= (count == 3'd0) ? count : count - 3'd1;
    else if (up) count <= (count == 3'd7) ? count : count + 3'd1;
endmodule
