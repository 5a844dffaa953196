"""Testbenches as people write them (tests/benches): each folder holds a spec, a testbench in one
real-world style, the correct design (named after the module the bench expects) and wrong ones
(``wrong_*``). From the folder, with no flag but ``--tb``, the correct design must pass and every
wrong one must fail, each for the design's own reasons (never ``error``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_anvil

BENCHES = ROOT / "tests" / "benches"
#: folder -> (testbench, the correct design)
CORPUS = {
    "banner_adder": ("testbench.v", "add8.v"),
    "count_errors": ("tb_shift4.v", "shift4.v"),
    "sv_assert": ("testbench.sv", "sat_counter.sv"),
    "fatal_check": ("parity16_tb.v", "parity16.v"),
    "value_lines": ("alu4_tb.v", "alu4.v"),
    "exp_act": ("test_mux4_tb.sv", "mux4.sv"),
    "data_relative": ("gray_tb.v", "gray.v"),
    "data_fscanf": ("testbench.v", "popcount4.v"),
    "data_elsewhere/tb": ("decoder_tb.v", "dec3to8.v"),
    "param_top": ("tb.v", "pipe_delay.v"),
    "submodules": ("testbench.v", "bcd_counter2.v"),
    "positional": ("edge_pulse_tb.v", "edge_pulse.v"),
    "custom_rule": ("majority_check.v", "majority3.v"),
    "cocotb_comb": ("test_clz8.py", "clz8.v"),
    "cocotb_seq": ("test_accum.py", "accum.v"),
}


def check(folder: Path, design: str, tb: str, *extra: str) -> tuple[int, dict, str]:
    run = run_anvil("check", design, "--tb", tb, "--json", *extra, cwd=folder)
    return run.returncode, json.loads(run.stdout) if run.stdout.strip() else {}, run.stderr


def wrong_designs() -> list[tuple[str, str]]:
    return [(name, p.name) for name in CORPUS for p in sorted((BENCHES / name).glob("wrong_*"))]


@pytest.mark.parametrize("name", CORPUS)
def test_the_correct_design_passes_with_no_flag(name):
    tb, good = CORPUS[name]
    code, verdict, err = check(BENCHES / name, good, tb)
    assert code == 0 and verdict["status"] == "pass", (verdict.get("message"), err)
    assert verdict["message"]


@pytest.mark.parametrize("name, wrong", wrong_designs())
def test_a_wrong_design_fails_for_its_own_reasons(name, wrong):
    tb, _ = CORPUS[name]
    code, verdict, err = check(BENCHES / name, wrong, tb)
    assert code == 1 and verdict["status"] == "functional_fail", (verdict.get("message"), err)
    assert verdict["message"] and verdict["mismatches"], verdict
    assert all(m["text"] for m in verdict["mismatches"])


def test_every_folder_has_wrong_designs_and_the_corpus_is_all_there():
    assert len(CORPUS) >= 12
    assert all(list((BENCHES / name).glob("wrong_*")) for name in CORPUS)
    assert sum(1 for tb, _ in CORPUS.values() if tb.endswith(".py")) >= 2


def test_value_carrying_failure_lines_become_mismatches():
    _, verdict, _ = check(BENCHES / "value_lines", "wrong_or_for_xor.v", "alu4_tb.v")
    first = verdict["mismatches"][0]  # "Mismatch: a=1, b=1, op=3, expected=0, got=1": no signal named
    assert (first["signal"], first["expected"], first["actual"]) == (None, "0", "1")
    assert first["inputs"] == {"a": "1", "b": "1", "op": "3"}
    assert verdict["mismatched_samples"] == 175  # the count the bench printed, not its 5 lines
    _, verdict, _ = check(BENCHES / "count_errors", "wrong_ignores_enable.v", "tb_shift4.v")
    first = verdict["mismatches"][0]  # "ERROR at time 40: q=0001, expected 0000 (en=0 d=1)"
    assert first["signal"] == "q" and first["expected"] != first["actual"] and first["time"] > 0
    assert set(first["inputs"]) == {"en", "d"}
    _, verdict, _ = check(BENCHES / "cocotb_seq", "wrong_8bit_total.v", "test_accum.py")
    first = verdict["mismatches"][0]
    assert (first["signal"], first["expected"], first["actual"]) == ("total", "444", "188")


def test_a_failure_count_ranks_a_nearer_design_higher():
    _, near, _ = check(BENCHES / "banner_adder", "wrong_no_carry_out.v", "testbench.v")
    _, far, _ = check(BENCHES / "banner_adder", "wrong_no_carry_in.v", "testbench.v")
    assert near["samples"] == far["samples"] == 100
    assert near["score"] > far["score"] > 0


def test_the_design_name_comes_from_the_bench_and_a_missing_one_is_named(tmp_path):
    folder = shutil.copytree(BENCHES / "banner_adder", tmp_path / "b")
    (folder / "other.v").write_text((folder / "add8.v").read_text().replace("module add8", "module adder"))
    code, verdict, err = check(folder, "other.v", "testbench.v")
    assert code == 1 and verdict["status"] == "compile_error"
    assert verdict["message"] == ("the testbench instantiates 'add8', which the design does not define (use --top if "
                                  "another module is the top)")


def test_data_files_absolute_inside_the_folder_and_from_elsewhere(tmp_path):
    folder = shutil.copytree(BENCHES / "data_relative", tmp_path / "abs")
    tb = folder / "gray_tb.v"
    tb.write_text(tb.read_text().replace('"vectors.hex"', f'"{folder / "vectors.hex"}"'))
    assert check(folder, "gray.v", "gray_tb.v")[1]["status"] == "pass"
    assert check(folder, "wrong_shift_left.v", "gray_tb.v")[1]["status"] == "functional_fail"
    # the data kept elsewhere: --data
    moved = shutil.copytree(BENCHES / "data_relative", tmp_path / "moved")
    store = tmp_path / "store"
    store.mkdir()
    shutil.move(moved / "vectors.hex", store / "vectors.hex")
    code, verdict, err = check(moved, "gray.v", "gray_tb.v")
    assert code == 2 and verdict["status"] == "error"
    assert "reads 'vectors.hex'" in err and "--data" in err and err.count("\n") == 1
    assert check(moved, "gray.v", "gray_tb.v", "--data", str(store / "vectors.hex"))[1]["status"] == "pass"


def test_a_data_file_given_with_with_is_data_not_a_source(tmp_path):
    folder = shutil.copytree(BENCHES / "data_relative", tmp_path / "w")
    store = tmp_path / "store"
    store.mkdir()
    shutil.move(folder / "vectors.hex", store / "vectors.hex")
    code, verdict, err = check(folder, "gray.v", "gray_tb.v", "--with", str(store / "vectors.hex"))
    assert code == 0 and verdict["status"] == "pass"
    assert "reads it as data" in err


def test_what_the_bench_writes_stays_in_the_run(tmp_path):
    folder = shutil.copytree(BENCHES / "data_fscanf", tmp_path / "f")
    assert check(folder, "popcount4.v", "testbench.v")[1]["status"] == "pass"
    assert not (folder / "run.log").exists()


def test_a_bench_that_cannot_compile_on_its_own_is_broken_not_the_design(tmp_path):
    folder = shutil.copytree(BENCHES / "banner_adder", tmp_path / "broken")
    tb = folder / "testbench.v"
    # an Icarus 11 'sorry' after the design's instance
    tb.write_text(tb.read_text().replace("      #10;\n", "      #10;\n      if (i == 200) break;\n"))
    code, verdict, err = check(folder, "add8.v", "testbench.v")
    assert code == 2 and verdict["status"] == "error"
    assert "the testbench does not compile" in err and "break" in err


def test_a_cocotb_module_without_tests_is_a_clear_error(tmp_path):
    folder = shutil.copytree(BENCHES / "cocotb_comb", tmp_path / "c")
    (folder / "test_clz8.py").write_text("import cocotb\n\nasync def helper(dut):\n    pass\n")
    code, verdict, err = check(folder, "clz8.v", "test_clz8.py")
    assert code == 2 and "has no tests" in err and err.count("\n") == 1


BLIND_TB = """`timescale 1ps/1ps
module tb;
  reg clk = 0;
  always #5 clk = ~clk;
  reg in;
  wire out_ref, out_dut;
  integer samples = 0, errors = 0;
  RefModule good1 (.clk(clk), .in(in), .out(out_ref));
  TopModule top_module1 (.clk(clk), .in(in), .out(out_dut));
  always @(posedge clk, negedge clk) begin
    samples = samples + 1;
    if (out_ref !== (out_ref ^ out_dut ^ out_ref)) errors = errors + 1;
  end
  initial begin
    repeat (STIM) @(negedge clk) in = $random;
    $display("Mismatches: %0d in %0d samples", errors, samples);
    $finish;
  end
endmodule
"""
#: a register with a start value and no reset, fed its own output
TOGGLE = "module RefModule(input clk, input in, output reg out);\ninitial out = 0;\n" \
         "always @(posedge clk) out <= out ^ in;\nendmodule\n"


@pytest.mark.parametrize("first_input_at_an_edge", [True, False])
async def test_a_bench_that_compares_almost_nothing_cannot_judge(tmp_path, first_input_at_an_edge):
    """Its input is x at the first clock edge, so the reference's output is x ever after and matches
    anything: the reference with its output inverted fails at one sample only. Driven before the
    first edge, the same bench compares every sample."""
    from oracle import Bench, Oracle, SourceText, Status

    stimulus = "" if first_input_at_an_edge else "in = 0;\n    "
    (tmp_path / "tb.sv").write_text(BLIND_TB.replace("STIM", "40").replace("initial begin\n    ",
                                                                              "initial begin\n    " + stimulus))
    (tmp_path / "ref.sv").write_text(TOGGLE)
    oracle = Oracle(tmp_root=tmp_path)
    bench = Bench(tmp_path / "tb.sv", (tmp_path / "ref.sv",))
    report = await oracle.check_bench(bench)
    assert report.verdict is not None and report.verdict.passed
    wrong = SourceText("w.sv", "module TopModule(input clk, input in, output out);\nassign out = clk;\nendmodule\n")
    verdict = await oracle.simulate(wrong, bench)
    if first_input_at_an_edge:
        assert report.blind and not report.usable and report.checked is not None and report.checked < 0.05
        assert verdict.status is Status.ERROR and "passing it says almost nothing" in verdict.reason
    else:
        assert not report.blind and report.usable and report.checked is not None and report.checked > 0.9
        assert verdict.status is Status.FUNCTIONAL_FAIL
