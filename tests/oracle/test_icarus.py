"""Planning Icarus's command lines: pure functions, checked without running the tools; and the
direct ivlpp + ivl path agreeing with the driver on real problems."""

from pathlib import Path

from oracle import Bench, Oracle, SourceText
from oracle.icarus import (
    COMPILE_FLAGS,
    Tools,
    compile_argv,
    defines_file,
    find_tools,
    harness_commands,
    ivl_conf,
    preprocess_argv,
    toolchain_of,
)
from tests.conftest import ROOT

TOOLS = Tools("/opt/bin/iverilog", "/opt/bin/vvp", "Icarus Verilog 11.0", basedir="/opt/lib/ivl", direct=True)


def test_the_harness_puts_design_first_then_testbench_then_extras():
    plan = harness_commands(TOOLS, design=[Path("/w/cand.sv")], testbench=Path("/d/p_test.sv"),
                            extra=[Path("/d/p_ref.sv"), Path("/w/cand.sv")], tb_top="tb", workdir=Path("/tmp/run"))
    assert plan.compile == ("/opt/bin/iverilog", *COMPILE_FLAGS, "-s", "tb", "-o", "/tmp/run/sim.vvp",
                            "/w/cand.sv", "/d/p_test.sv", "/d/p_ref.sv")
    assert plan.run == ("/opt/bin/vvp", "-n", "/tmp/run/sim.vvp")
    assert plan.dump == Path("/tmp/run/wave.vcd")


def test_designs_are_preprocessed_with_line_markers_and_no_include_path():
    assert preprocess_argv(TOOLS, defines="d", file_list="f") == ("/opt/lib/ivl/ivlpp", "-L", "-Wredef-chg", "-Fd", "-ff")
    assert preprocess_argv(TOOLS, defines="d", file_list="f", output="o.pp")[-1] == "-oo.pp"
    text = defines_file()
    assert "D:__ICARUS__=1" in text and "I:" not in text
    assert "I:/bench" in defines_file(["/bench"])


def test_the_compiler_configuration_follows_the_harness_flags():
    conf = ivl_conf(TOOLS, root="tb", image="sim.vvp").splitlines()
    assert conf[0] == "root:tb" and "out:sim.vvp" in conf and "generation:2012" in conf
    assert "module:/opt/lib/ivl/system.vpi" in conf and not any("vhdl" in line for line in conf)
    assert not any(line.startswith("root:") for line in ivl_conf(TOOLS, root=None, image="x").splitlines())
    assert compile_argv(TOOLS, conf="c", unit="-", root="tb", image="sim.vvp") == (
        "/opt/lib/ivl/ivl", "-C", "c", "-C", "/opt/lib/ivl/vvp.conf", "--", "-")
    driver = Tools(TOOLS.iverilog, TOOLS.vvp, TOOLS.version, TOOLS.basedir, direct=False)
    assert compile_argv(driver, conf="c", unit="u.pp", root="tb", image="sim.vvp") == (
        "/opt/bin/iverilog", *COMPILE_FLAGS, "-s", "tb", "-o", "sim.vvp", "u.pp")


def test_this_installation_runs_ivl_directly():
    tools = find_tools()
    assert tools.direct and Path(tools.ivlpp).is_file() and Path(tools.ivl).is_file()


async def test_the_driver_fallback_judges_like_the_direct_path():
    ex = ROOT / "examples" / "counter4"
    tb = ex / "counter4_tb.sv"
    good = (ex / "counter4_good.sv").read_text()
    bad = (ex / "counter4_bad.sv").read_text()
    tools = find_tools()
    driver = Tools(tools.iverilog, tools.vvp, tools.version, tools.basedir, direct=False)
    bench = Bench.for_testbench(tb)
    for text in (good, bad):
        direct = await Oracle(tools=toolchain_of(tools)).simulate(SourceText("c.sv", text), bench)
        fallback = await Oracle(tools=toolchain_of(driver)).simulate(SourceText("c.sv", text), bench)
        assert (direct.status, direct.mismatched_samples, direct.mismatches) == (
            fallback.status, fallback.mismatched_samples, fallback.mismatches)
