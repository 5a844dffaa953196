from pathlib import Path

from oracle.plan import Tools, plan_simulation

TOOLS = Tools("/opt/iverilog", "/opt/vvp", "Icarus Verilog 11.0")


def test_plan_puts_design_first_then_testbench_then_extras():
    plan = plan_simulation(TOOLS, design=[Path("/w/cand.sv")], testbench=Path("/d/p_test.sv"),
                           extra=[Path("/d/p_ref.sv")], tb_top="tb", workdir=Path("/tmp/run"))
    assert plan.compile == ("/opt/iverilog", "-Wall", "-Winfloop", "-Wno-timescale", "-g2012", "-s", "tb",
                            "-o", "/tmp/run/sim.vvp", "/w/cand.sv", "/d/p_test.sv", "/d/p_ref.sv")
    assert plan.run == ("/opt/vvp", "-n", "/tmp/run/sim.vvp")
    assert plan.dump == Path("/tmp/run/wave.vcd")


def test_plan_without_top_and_with_duplicate_extra():
    plan = plan_simulation(TOOLS, design=[Path("/a.sv")], testbench=Path("/tb.sv"),
                           extra=[Path("/a.sv"), Path("/tb.sv"), Path("/b.sv")], tb_top=None,
                           workdir=Path("/w"), defines=["SIM=1"])
    assert "-s" not in plan.compile
    assert plan.compile[-4:] == ("/w/sim.vvp", "/a.sv", "/tb.sv", "/b.sv")
    assert "-DSIM=1" in plan.compile
