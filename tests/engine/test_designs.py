import pytest

from engine.designs import DesignError, design_for, designs_in
from engine.problem import ports_from_spec
from oracle import Port


def touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("spec, tb", [
    ("alu_prompt.txt", "alu_test.sv"), ("alu.spec.md", "alu_tb.sv"), ("alu.md", "alu_tb.v"),
])
def test_pairs_by_name_from_either_side(tmp_path, spec, tb):
    touch(tmp_path / spec)
    touch(tmp_path / tb)
    touch(tmp_path / "alu_ref.sv", "module RefModule (input a, output y); assign y = a; endmodule\n")
    for start in (spec, tb, "alu_ref.sv"):
        d = design_for(tmp_path / start)
        assert d.spec == tmp_path / spec and d.testbench == tmp_path / tb and not d.by_reference
        assert d.extra == (tmp_path / "alu_ref.sv",) and d.output == tmp_path / "alu.sv"


def test_a_reference_that_is_an_old_design_judges_only_without_a_testbench(tmp_path):
    touch(tmp_path / "alu.md")
    touch(tmp_path / "alu_ref.sv", "module alu (input a, output y); assign y = a; endmodule\n")
    d = design_for(tmp_path / "alu.md")
    assert d.complete and d.by_reference and d.reference == tmp_path / "alu_ref.sv" and d.extra == ()
    assert d.judge_file == tmp_path / "alu_ref.sv" and d.output == tmp_path / "alu.sv"
    touch(tmp_path / "alu_tb.sv")  # a testbench beside it judges; the old design is no part of its bench
    d = design_for(tmp_path / "alu.md")
    assert d.testbench == tmp_path / "alu_tb.sv" and not d.by_reference and d.extra == ()


def test_a_spec_without_testbench_says_what_is_missing(tmp_path):
    touch(tmp_path / "lonely.md")
    d = design_for(tmp_path / "lonely.md")
    assert not d.complete
    with pytest.raises(DesignError, match="no testbench found for spec .*lonely_tb.sv"):
        d.require_complete()


def test_manifest_entries_win(tmp_path):
    touch(tmp_path / "specs" / "counter.md")
    touch(tmp_path / "tb" / "counter_tb.sv")
    touch(tmp_path / "tb" / "counter_ref.sv")
    touch(tmp_path / "anvil.toml", '[[design]]\nspec = "specs/counter.md"\ntestbench = "tb/counter_tb.sv"\n'
          'with = ["tb/counter_ref.sv"]\noutput = "rtl/counter.sv"\ntop = "Counter"\n')
    for start in ("specs/counter.md", "tb/counter_tb.sv", "rtl/counter.sv"):
        d = design_for(tmp_path / start)
        assert d.top == "Counter" and d.output == tmp_path / "rtl" / "counter.sv"
        assert d.extra == (tmp_path / "tb" / "counter_ref.sv",) and d.source.endswith("anvil.toml")
    assert [d.name for d in designs_in(tmp_path)] == ["counter"]


def test_a_broken_manifest_is_a_clear_error(tmp_path):
    touch(tmp_path / "anvil.toml", "[[design]]\nspec = 'a.md'\n")
    with pytest.raises(DesignError, match="needs at least 'spec' and 'testbench'"):
        design_for(tmp_path / "a.md")
    touch(tmp_path / "anvil.toml", "[[design\n")
    with pytest.raises(DesignError, match="anvil.toml"):
        design_for(tmp_path / "a.md")


def test_ports_from_a_spec():
    spec = ("Ports:\n - input  clk\n - input  reset\n - input  [7:0] d\n - output q (4 bits)\n"
            "  output reg [3:0] count\nThe output q is ...\n")
    assert ports_from_spec(spec) == (Port("clk", "input", 1), Port("reset", "input", 1), Port("d", "input", 8),
                                     Port("q", "output", 4), Port("count", "output", 4))


BENCHES = __import__("tests.conftest", fromlist=["ROOT"]).ROOT / "tests" / "benches"


def test_a_folder_with_one_spec_and_one_testbench_pairs_them(tmp_path):
    import shutil

    folder = shutil.copytree(BENCHES / "banner_adder", tmp_path / "adder")
    for start in ("design_description.txt", "testbench.v", "add8.v"):
        d = design_for(folder / start)
        assert d.spec == folder / "design_description.txt" and d.testbench == folder / "testbench.v"
        assert d.output == folder / "add8.v" and d.name == "add8" and d.source == "folder"
    (folder / "notes.md").write_text("x")  # two specs: ambiguous, nothing is guessed
    assert design_for(folder / "testbench.v") is None or not design_for(folder / "testbench.v").complete


@pytest.mark.parametrize("spec, tb", [("shift4.md", "tb_shift4.v"), ("clz8.md", "test_clz8.py")])
def test_tb_x_and_test_x_pair_by_name(tmp_path, spec, tb):
    touch(tmp_path / spec)
    touch(tmp_path / tb)
    d = design_for(tmp_path / spec)
    assert d.complete and d.testbench == tmp_path / tb
    assert design_for(tmp_path / tb).spec == tmp_path / spec


def test_manifest_data_and_result_patterns(tmp_path):
    touch(tmp_path / "m.md")
    touch(tmp_path / "m_check.v")
    touch(tmp_path / "anvil.toml", '[[design]]\nspec = "m.md"\ntestbench = "m_check.v"\ndata = ["vec"]\n'
          'pass = ["^ALL GOOD$"]\nfail = "^BAD"\n')
    d = design_for(tmp_path / "m.md")
    assert d.top is None and d.data == (tmp_path / "vec",)
    assert d.rule.passes == ("^ALL GOOD$",) and d.rule.fails == ("^BAD",)
    touch(tmp_path / "anvil.toml", '[[design]]\nspec = "m.md"\ntestbench = "m_check.v"\npass = ["(oops"]\n')
    with pytest.raises(DesignError, match="not a regular expression"):
        design_for(tmp_path / "m.md")
