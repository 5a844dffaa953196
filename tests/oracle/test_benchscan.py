"""What a testbench says about the design it expects: its module, its ports, its data files."""

from pathlib import Path

from oracle.benchscan import BenchPort, cocotb_facts, data_files, expected_top, instance_ports, stub
from oracle.syntax import SourceText

TB = """module tb;
  parameter W = 8;
  reg [W-1:0] a; reg clk = 0; wire [W:0] s; logic [3:0] q; logic [1:0] mode; wire e;
  assign e = 1'b1;
  dut #(.WIDTH(W)) u1 (.a(a), .clk(clk), .s(s), .q(q[3:0]), .mode(mode), .en(1'b1), .nc(), .e(e));
  helper h (a);
  always #5 clk = ~clk;
  initial begin a = 3; mode = 2'd1; end
endmodule
module helper(input [7:0] x); endmodule
"""


def test_the_expected_module_is_the_one_instantiated_and_not_defined():
    assert expected_top([SourceText("tb.v", TB)]) == ("dut", "")
    top, why = expected_top([SourceText("tb.v", TB.replace("helper h", "other h"))])
    assert top is None and "dut, other" in why and "--top" in why
    top, why = expected_top([SourceText("tb.v", "module tb; endmodule\n")])
    assert top is None and "instantiates no module" in why


def test_ports_as_the_bench_connects_them():
    ports, params = instance_ports([SourceText("tb.v", TB)], "dut")
    assert params == ("WIDTH",)
    assert ports == (BenchPort("a", "input", 8), BenchPort("clk", "input", 1), BenchPort("s", "output", 9),
                     BenchPort("q", "output", 4), BenchPort("mode", "input", 2), BenchPort("en", "input", 0),
                     BenchPort("e", "input", 1))
    text = stub("dut", ports, params)
    assert text.startswith("module dut #(parameter WIDTH = 0) (input wire [7:0] a, input wire clk, output wire [8:0] s")


def test_positional_ports_have_no_names_but_count():
    ports, _ = instance_ports([SourceText("tb.v", "module tb; reg a = 0; wire y; inv u (a, y); endmodule\n")], "inv")
    assert [p.name for p in ports] == ["", ""]
    assert "input wire port0, output wire port1" in stub("inv", ports)


def test_data_files_named_in_the_bench(tmp_path: Path):
    (tmp_path / "tb").mkdir()
    (tmp_path / "tb" / "vec.hex").write_text("00\n")
    (tmp_path / "mem").mkdir()
    (tmp_path / "mem" / "w.mem").write_text("1\n")
    unit = (f'$readmemh("vec.hex", m); $readmemb("../mem/w.mem", w); $readmemh("{tmp_path}/tb/vec.hex", m2);\n'
            '$readmemh("missing.hex", m3); f = $fopen("out.txt", "w"); $readmemh("out.txt", m4);\n')
    scan = data_files(unit, tmp_path / "tb")
    assert {(f.source.name, f.place) for f in scan.files} == {("vec.hex", "vec.hex"), ("w.mem", "w.mem")}
    assert dict(scan.rewrites) == {"../mem/w.mem": "w.mem", f"{tmp_path}/tb/vec.hex": "vec.hex"}
    assert [lit for lit, _ in scan.missing] == ["missing.hex"]  # out.txt is written before it is read


def test_cocotb_facts():
    facts = cocotb_facts("import cocotb\nfrom cocotb.clock import Clock\n"
                         "@cocotb.test()\nasync def t(dut):\n    Clock(dut.clk, 10).start()\n"
                         "    dut.a.value = 1\n    assert dut.y.value == 1\n"
                         "async def helper(dut):\n    pass\n# toplevel = 'alu'\n", "test_x.py")
    assert facts.tests == ("t",) and facts.toplevel == "alu"
    assert facts.ports == (BenchPort("clk", "input", 0), BenchPort("a", "input", 0), BenchPort("y", "output", 0))
    assert "not valid Python" in cocotb_facts("def (:\n", "test_x.py").problem
