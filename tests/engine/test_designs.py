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
    touch(tmp_path / "alu_ref.sv")
    for start in (spec, tb, "alu_ref.sv"):
        d = design_for(tmp_path / start)
        assert d.spec == tmp_path / spec and d.testbench == tmp_path / tb
        assert d.extra == (tmp_path / "alu_ref.sv",) and d.output == tmp_path / "alu.sv"


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
