"""Reference mode: no testbench, an existing design judges the new one on a generated bench."""

import json
import shutil
from pathlib import Path

import pytest

from engine.designs import design_for
from engine.problem import Problem
from engine.reference import ReferenceError, reference_bench
from oracle import Oracle, SourceText, Status
from oracle.bench import rename_module
from oracle.mutants import flip_output_bit
from scripts.support.faults import ThreadedFaultServer
from tests.conftest import DATASET, KNOWN_BROKEN, run_anvil, shared_problems
from tests.engine.fakes import fenced

SPEC = """# gray4: a 4-bit Gray-code counter

Implement a module named `gray4` with inputs clk, rst_n (active-low synchronous reset) and en,
and a 4-bit output `code`. On each rising edge of clk: if rst_n is 0 an internal binary count
becomes 0; else if en is 1 the count increments, wrapping. `code` is the Gray code of the count.
"""
#: the old design: a counter and a converter in a module of its own
OLD = """// the old implementation
module to_gray (input [3:0] bin, output [3:0] gray);
  assign gray = bin ^ (bin >> 1);
endmodule

module gray4 (input clk, input rst_n, input en, output [3:0] code);
  reg [3:0] count;
  always @(posedge clk)
    if (!rst_n) count <= 4'd0;
    else if (en) count <= count + 4'd1;
  to_gray conv (.bin(count), .gray(code));
endmodule
"""
#: the rewrite: one module, the converter declared under the old one's name as well
RIGHT = """module to_gray (input [3:0] b, output [3:0] g);
  assign g = {b[3], b[3:1] ^ b[2:0]};
endmodule

module gray4 (input clk, input rst_n, input en, output [3:0] code);
  reg [3:0] c;
  always @(posedge clk) c <= !rst_n ? 4'd0 : (en ? c + 4'd1 : c);
  to_gray g (.b(c), .g(code));
endmodule
"""
WRONG_SHIFT = RIGHT.replace("b[3:1] ^ b[2:0]", "b[3:1] | b[2:0]")
WRONG_RESET = RIGHT.replace("!rst_n ? 4'd0", "rst_n ? 4'd0")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "gray.md").write_text(SPEC)
    (tmp_path / "gray_ref.sv").write_text(OLD)
    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))
    return tmp_path


def generate(folder: Path, answers: list[str], *args) -> tuple:
    endpoint = ThreadedFaultServer([fenced(a) for a in answers], 0.0)
    try:
        run = run_anvil("generate", folder / "gray.md", "--provider", "openai", "--model", "scripted",
                        "--base-url", endpoint.url, "--samples", str(len(answers)), "--rounds", "0",
                        "--patch", "off", *args, timeout=300)
    finally:
        endpoint.close()
    return run


async def test_the_reference_judges_a_rewrite_with_its_own_modules_and_names(folder):
    oracle = Oracle()
    judge = reference_bench(folder / "gray_ref.sv")
    assert judge.top == "gray4" and [p.name for p in judge.ports] == ["clk", "rst_n", "en", "code"]
    report = await oracle.check_bench(judge.bench)
    assert report.usable and report.samples > 1000  # the reference against itself, submodule and all
    assert (await oracle.simulate(SourceText("gray4.sv", RIGHT), judge.bench)).passed
    for wrong in (WRONG_SHIFT, WRONG_RESET):
        verdict = await oracle.simulate(SourceText("gray4.sv", wrong), judge.bench)
        assert verdict.status is Status.FUNCTIONAL_FAIL and verdict.mismatches
        first = verdict.mismatches[0]
        assert first.signal == "code" and first.expected != first.actual and "en" in first.inputs


def test_reference_mode_from_the_command_line_writes_the_right_design_and_keeps_its_bench(folder):
    run = generate(folder, [WRONG_SHIFT, RIGHT, WRONG_RESET], "--write-tb", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["status"] == "pass" and result["output"] == str(folder / "gray.sv")
    assert (folder / "gray.sv").read_text().strip() == RIGHT.strip()
    assert "judged against the reference" in run.stderr and (folder / "gray_ref.sv").read_text() == OLD
    kept = folder / "gray_tb.sv"
    assert "gray4__anvil_ref" in kept.read_text()
    # the kept bench is an ordinary testbench from now on, beside the old design it was made from
    assert run_anvil("check", folder / "gray.sv", "--tb", kept).returncode == 0
    wrong = folder / "wrong.sv"
    wrong.write_text(WRONG_RESET)
    failed = run_anvil("check", wrong, "--tb", kept)
    assert failed.returncode == 1 and "FAIL" in failed.stdout
    # and it is found beside the spec: the design is now judged by it, not by the reference
    design = design_for(folder / "gray.md")
    assert design.testbench == kept and not design.by_reference and design.extra == ()
    # never replaced
    before = kept.read_text()
    again = generate(folder, [RIGHT], "--ref", folder / "gray_ref.sv", "--write-tb", "-o", folder / "other.sv")
    assert again.returncode == 2 and "never replaces a file" in again.stderr and kept.read_text() == before


def test_an_unsolved_reference_run_exits_1_and_writes_nothing(folder):
    run = generate(folder, [WRONG_SHIFT, WRONG_RESET])
    assert run.returncode == 1 and "NOT SOLVED" in run.stdout and "expected" in run.stdout
    assert not (folder / "gray.sv").exists()


@pytest.mark.parametrize("case", ["syntax", "missing", "two tops", "both judges", "no module", "inout"])
def test_a_reference_that_cannot_judge_is_one_clear_line_before_any_call(folder, case):
    ref = folder / "gray_ref.sv"
    args: list = []
    if case == "syntax":
        ref.write_text(OLD.replace("count + 4'd1;", "count + ;"))
        expect = "does not compile: line 10"
    elif case == "missing":
        args = ["--ref", folder / "nothing.sv"]
        expect = "reference not found"
    elif case == "two tops":
        ref.write_text(OLD + "module spare (input a, output y); assign y = a; endmodule\n")
        expect = "several top-level modules (gray4, spare): name the one to rebuild with --top"
    elif case == "both judges":
        (folder / "other_tb.sv").write_text("module tb; endmodule\n")
        args = ["--ref", ref, "--tb", folder / "other_tb.sv"]
        expect = "give one judge"
    elif case == "no module":
        ref.write_text("// nothing here yet\n")
        expect = "declares no module"
    else:
        ref.write_text("module gray4 (input clk, inout [3:0] bus); endmodule\n")
        expect = "cannot drive it (inout ports)"
    run = run_anvil("generate", folder / "gray.md", "--provider", "openai", "--model", "m", "--base-url",
                    "http://127.0.0.1:9/v1", *args)
    assert run.returncode == 2, run.stdout
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in run.stderr
    assert not (folder / "gray.sv").exists()


def test_a_spec_whose_ports_are_not_the_references_says_so(folder):
    spec = SPEC + "\nPorts:\n- input clk\n- input reset\n- input en\n- output [3:0] code\n"
    problem = Problem.by_reference("gray", spec, folder / "gray_ref.sv")
    assert problem.exact and problem.top == "gray4"
    assert any("not the reference's (clk, rst_n, en, code)" in n for n in problem.notes)
    with pytest.raises(ReferenceError, match="does not declare module 'nope'"):
        reference_bench(folder / "gray_ref.sv", top="nope")


def test_anvil_toml_names_a_reference_instead_of_a_testbench(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "g.md").write_text(SPEC)
    (tmp_path / "old.sv").write_text(OLD)
    (tmp_path / "anvil.toml").write_text('[[design]]\nspec = "specs/g.md"\nreference = "old.sv"\noutput = "new.sv"\n')
    design = design_for(tmp_path / "specs" / "g.md")
    assert design.by_reference and design.reference == tmp_path / "old.sv" and design.complete
    assert design.judge_file == tmp_path / "old.sv"
    problem = Problem.from_design(design)
    assert problem.reference == tmp_path / "old.sv" and problem.top == "gray4"


@pytest.mark.skipif(not DATASET.is_dir(), reason="the shared VerilogEval problems are not on this machine")
@pytest.mark.parametrize("name", shared_problems(every=13))
def test_held_out_style_problems_with_the_testbench_hidden(tmp_path, monkeypatch, name):
    """A VerilogEval problem without its testbench: its reference, as a user's old design under
    the name the spec asks for, judges; the scripted model answers wrong, right, wrong."""
    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))
    reference = (DATASET / f"{name}_ref.sv").read_text()
    right = rename_module(reference, "RefModule", "TopModule")
    wrong = flip_output_bit(reference)
    shutil.copy(DATASET / f"{name}_prompt.txt", tmp_path / f"{name}_prompt.txt")
    (tmp_path / f"{name}_ref.sv").write_text(right)
    endpoint = ThreadedFaultServer([fenced(wrong), fenced(right), fenced(wrong)], 0.0)
    try:
        run = run_anvil("generate", tmp_path / f"{name}_prompt.txt", "--provider", "openai", "--model", "m",
                        "--base-url", endpoint.url, "--samples", "3", "--rounds", "0", "--patch", "off",
                        timeout=300)
    finally:
        endpoint.close()
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / f"{name}.sv").read_text().strip() == right.strip()
    # and the hidden golden testbench agrees
    golden = run_anvil("check", tmp_path / f"{name}.sv", "--tb", DATASET / f"{name}_test.sv", "--with",
                       DATASET / f"{name}_ref.sv")
    if name in KNOWN_BROKEN:  # the golden bench cannot judge (Prob053's checks 1 of its 100 samples)
        assert golden.returncode == 2 and "the bench is broken" in golden.stdout + golden.stderr
    else:
        assert golden.returncode == 0, golden.stdout


def test_a_verilog_eval_golden_model_stands_for_top_module(folder):
    (folder / "RefModule_ref.sv").write_text(OLD.replace("module gray4", "module RefModule"))
    judge = reference_bench(folder / "RefModule_ref.sv")
    assert judge.top == "TopModule" and judge.bench.top == "TopModule"
    assert "TopModule dut" in judge.text and "RefModule__anvil_ref ref_model" in judge.text


CHEATS = {
    "instantiates the reference": "gray4__anvil_ref u (.clk(clk), .rst_n(rst_n), .en(en), .code(code));",
    "reads the bench's copy": "assign code = anvil_diff_tb.code_ref;",
    "uses the reference's submodule": "to_gray__anvil_ref t (.bin(anvil_diff_tb.ref_model.count), .gray(code));",
    "reaches up into the reference": "assign code = ref_model.code;",
}


@pytest.mark.parametrize("cheat", CHEATS)
async def test_a_candidate_cannot_pass_by_reaching_into_the_reference(folder, cheat):
    judge = reference_bench(folder / "gray_ref.sv")
    code = f"module gray4 (input clk, input rst_n, input en, output [3:0] code);\n  {CHEATS[cheat]}\nendmodule\n"
    verdict = await Oracle().simulate(SourceText("gray4.sv", code), judge.bench, interface=judge.ports, exact=True)
    assert verdict.status is Status.COMPILE_ERROR and "rejected before simulation" in verdict.reason


def test_a_reference_asked_again_is_built_once_and_again_when_it_changes(folder):
    first = reference_bench(folder / "gray_ref.sv")
    assert reference_bench(folder / "gray_ref.sv") is first  # --write-tb asks for the bench the run judges with
    path = folder / "gray_ref.sv"
    path.write_text(path.read_text() + "\n// edited\n")
    changed = reference_bench(path)
    assert changed is not first and changed.text.rstrip().endswith("// edited")
