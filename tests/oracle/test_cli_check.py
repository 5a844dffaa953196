"""`anvil check` per the contract: exit codes, the Verdict JSON keys, readable output."""

import json

import pytest

from tests.conftest import ROOT, run_anvil

EXAMPLES = ROOT / "examples"
VERDICT_KEYS = {"status", "message", "samples", "mismatched_samples", "score", "mismatches", "compile_errors",
                "simulator", "elapsed_s"}
MISMATCH_KEYS = {"time", "cycle", "edge", "signal", "expected", "actual", "inputs", "text"}


anvil = run_anvil


def test_passing_design_exits_0_with_contract_json():
    ex = EXAMPLES / "counter4"
    run = anvil("check", ex / "counter4_good.sv", "--tb", ex / "counter4_tb.sv", "--json")
    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout)
    assert set(verdict) == VERDICT_KEYS
    assert verdict["status"] == "pass" and verdict["score"] == 1.0
    assert verdict["message"] == f"0 mismatches in {verdict['samples']} samples"
    assert verdict["samples"] > 400 and verdict["mismatched_samples"] == 0
    assert verdict["simulator"].startswith("Icarus Verilog ")
    assert isinstance(verdict["elapsed_s"], float)


def test_failing_design_exits_1_with_concrete_mismatches():
    ex = EXAMPLES / "counter4"
    run = anvil("check", ex / "counter4_bad.sv", "--tb", ex / "counter4_tb.sv", "--json", "--max-mismatches", "3")
    assert run.returncode == 1
    verdict = json.loads(run.stdout)
    assert verdict["status"] == "functional_fail"
    assert len(verdict["mismatches"]) == 3
    for m in verdict["mismatches"]:
        assert set(m) == MISMATCH_KEYS
        assert m["signal"] == "count" and m["inputs"]["reset"] == "1" and m["actual"] == "4'h0"
        assert m["edge"] in ("posedge", "negedge") and isinstance(m["cycle"], int)
    assert verdict["score"] == round(1 - verdict["mismatched_samples"] / verdict["samples"], 3)
    text = anvil("check", ex / "counter4_bad.sv", "--tb", ex / "counter4_tb.sv")
    assert text.returncode == 1
    assert "FAIL" in text.stdout and "expected" in text.stdout and "count" in text.stdout


def test_compile_error_points_at_the_users_file(tmp_path):
    rtl = tmp_path / "broken.sv"
    rtl.write_text("module TopModule(input clk, input reset, input en, output [3:0] count);\n"
                   "always @(posedge clk) count <= count + 1;\nendmodule\n")
    ex = EXAMPLES / "counter4"
    run = anvil("check", rtl, "--tb", ex / "counter4_tb.sv", "--json")
    assert run.returncode == 1
    verdict = json.loads(run.stdout)
    assert verdict["status"] == "compile_error"
    assert verdict["compile_errors"][0]["file"] == str(rtl) and verdict["compile_errors"][0]["line"] == 2
    assert set(verdict["compile_errors"][0]) == {"file", "line", "message"}


def test_self_checking_testbench_without_reference():
    ex = EXAMPLES / "edge_flag"
    assert anvil("check", ex / "edge_flag_good.sv", "--tb", ex / "edge_flag_tb.sv").returncode == 0


def test_self_checking_testbench_failures_become_mismatches(tmp_path):
    ex = EXAMPLES / "edge_flag"
    bad = tmp_path / "bad.sv"
    bad.write_text((ex / "edge_flag_good.sv").read_text().replace("d & ~last", "d ^ last"))
    run = anvil("check", bad, "--tb", ex / "edge_flag_tb.sv", "--json")
    assert run.returncode == 1
    first = json.loads(run.stdout)["mismatches"][0]
    assert (first["signal"], first["expected"], first["actual"]) == ("rise", "0", "1")
    assert set(first["inputs"]) == {"d", "reset"}


def test_testbench_without_a_result_is_an_error(tmp_path):
    tb = tmp_path / "silent_tb.sv"
    tb.write_text("module tb; reg a = 0; wire y; TopModule dut(.a(a), .y(y)); initial #10 $finish; endmodule\n")
    rtl = tmp_path / "rtl.sv"
    rtl.write_text("module TopModule(input a, output y); assign y = a; endmodule\n")
    run = anvil("check", rtl, "--tb", tb)
    assert run.returncode == 2
    assert "prints no line that Anvil can read as a pass or a failure" in run.stderr
    assert "anvil.toml" in run.stderr and run.stderr.count("\n") == 1


def test_broken_bench_exits_2_with_one_line_reason(tmp_path):
    # the reference's ports differ from the testbench's (as in VerilogEval's Prob099)
    ex = EXAMPLES / "counter4"
    tb = tmp_path / "counter4_tb.sv"
    tb.write_text((ex / "counter4_tb.sv").read_text())
    (tmp_path / "counter4_ref.sv").write_text((ex / "counter4_ref.sv").read_text().replace("count", "cnt"))
    run = anvil("check", ex / "counter4_good.sv", "--tb", tb, "--json")
    assert run.returncode == 2
    assert json.loads(run.stdout)["status"] == "error"
    assert run.stderr.count("\n") == 1 and "reference model" in run.stderr


@pytest.mark.parametrize("args, words", [
    (["check", "missing.sv", "--tb", "examples/counter4/counter4_tb.sv"], "RTL file not found"),
    (["check", "examples/counter4/counter4_good.sv", "--tb", "nope_tb.sv"], "testbench not found"),
    (["check", "examples/counter4/counter4_good.sv"], "required: --tb"),
    (["check", "examples/counter4/counter4_good.sv", "--tb", "examples/counter4/counter4_tb.sv",
      "--timeout", "-1"], "must be > 0"),
])
def test_usage_errors_exit_2(args, words):
    run = anvil(*args)
    assert run.returncode == 2 and words in run.stderr


def test_verilogeval_layout_adds_the_reference_automatically():
    ex = EXAMPLES / "counter4"
    rtl = (ex / "counter4_ref.sv").read_text().replace("RefModule", "TopModule")
    run = anvil("check", "-", "--tb", ex / "counter4_tb.sv", "--json", input=rtl)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["samples"] == 461


def test_doctor_reports_the_simulator():
    run = anvil("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(run.stdout)}
    assert checks["simulator"]["ok"] and "Icarus Verilog" in checks["simulator"]["detail"]
    assert checks["fork runs"]["ok"], checks["fork runs"]  # CI's machine has gcc: the patch search's fast path
    assert checks["waveform reader"]["ok"], checks["waveform reader"]
