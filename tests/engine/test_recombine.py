"""Recombination on real Icarus: two failing candidates, each right on the output the other gets
wrong, become one passing design with no model call; the plan is only made when it is predicted
to beat every candidate alone; renaming apart leaves comments, strings and signals alone."""

import pytest

from engine import Strategy
from engine.designs import design_for
from engine.patch import PatchBudget
from engine.patch.recombine import Contender, compose, plan
from engine.problem import Problem
from engine.rename import rename_apart
from oracle import Oracle, SourceText, Status
from oracle.verdict import Agreement, OutputAgreement
from tests.conftest import ROOT, run_anvil
from tests.engine.fakes import ScriptedProvider, Solver, fenced

EX = ROOT / "examples"
PARITY = (EX / "parity8" / "parity8_ref.sv").read_text().replace("module RefModule", "module TopModule")
#: right on parity and none, wrong on all_ones
WRONG_ALL = PARITY.replace("&data", "|data")
#: right on all_ones; parity and none come from a helper module both wrong designs also declare
WRONG_PARITY = """// two helpers named like the other candidate's would be: renamed apart
module helper (input [7:0] d, output p);
  assign p = ~^d;  // "helper" in a comment and a string stays: $display("helper")
endmodule

module TopModule (input [7:0] data, output parity, output all_ones, output none);
  helper h (.d(data), .p(parity));
  assign all_ones = &data;
  assign none = |data;
endmodule
"""
WRONG_ALL_WITH_HELPER = WRONG_ALL.replace("module TopModule", "module helper (input a, output b);\n"
                                          "  assign b = a;\nendmodule\n\nmodule TopModule")


def agreement(**wrong: int) -> Agreement:
    return Agreement(100, 0, 0, 1000, {k: OutputAgreement(v, v, 1) for k, v in wrong.items()})


def test_rename_apart_touches_declarations_and_instances_only():
    text, renames = rename_apart(WRONG_PARITY, "__c2")
    assert renames == {"helper": "helper__c2", "TopModule": "TopModule__c2"}
    assert "module helper__c2 (input [7:0] d" in text and "  helper__c2 h (.d(data)" in text
    assert "// two helpers named like" in text and '"helper" in a comment and a string stays: $display("helper")' in text
    assert "module TopModule__c2 (input [7:0] data" in text


def test_a_plan_is_made_only_when_it_beats_every_candidate():
    a = Contender(1, "", agreement(parity=0, all_ones=40, none=0))
    b = Contender(2, "", agreement(parity=50, all_ones=0, none=9))
    found = plan([a, b], ["parity", "all_ones", "none"])
    assert found is not None and found.sources == {"parity": 1, "all_ones": 2, "none": 1} and found.main == 1
    assert found.used == [1, 2] and found.describe() == ("all_ones from candidate 2 (wrong on 0 samples there)",)
    # each output is best in the same candidate: nothing to recombine
    assert plan([a, Contender(2, "", agreement(parity=50, all_ones=60, none=9))], ["parity", "all_ones", "none"]) is None
    # a tie goes to the candidate already used, so one candidate alone: no plan
    assert plan([a, Contender(2, "", agreement(parity=0, all_ones=40, none=0))], ["parity", "all_ones", "none"]) is None
    # an output the dump did not compare
    assert plan([a, b], ["parity", "all_ones", "none", "carry"]) is None


async def test_two_failing_candidates_recombine_into_a_pass_with_no_model_call(tmp_path):
    from engine.ledger import Ledger

    oracle = Oracle()
    problem = Problem.from_design(design_for(EX / "parity8" / "parity8.md"), oracle=oracle)
    ledger = Ledger(tmp_path / "l.sqlite")
    provider = ScriptedProvider([fenced(WRONG_ALL_WITH_HELPER), fenced(WRONG_PARITY)])
    engine = Solver(provider, oracle, strategy=Strategy(samples=2, rounds=1, repair_width=1,
                                                        patch=PatchBudget(simulations=0)), ledger=ledger)
    result = await engine.solve(problem)
    assert result.solved and result.calls == 2, result.reason
    best = result.best
    assert best.origin == "recombine" and best.parent == 1
    assert best.edits == ("all_ones from candidate 2 (wrong on 0 samples there)",)
    assert "+  TopModule__c2 c2 (.data(data), .parity(c2_parity_unused), .all_ones(all_ones), .none(c2_none_unused));" \
        in best.diff
    assert "module helper__c1" in best.code and "module helper__c2" in best.code
    # the composite, judged again alone, passes; each candidate alone fails
    alone = await oracle.simulate(SourceText("composite.sv", best.code), problem.bench)
    assert alone.status is Status.PASS
    for c in result.candidates[:2]:
        assert c.verdict.status is Status.FUNCTIONAL_FAIL
    shown = run_anvil("runs", "show", result.run_id, "--ledger", tmp_path / "l.sqlite")
    assert "recombined around candidate 1" in shown.stdout, shown.stdout


async def test_no_recombination_without_the_patch_moves_or_with_one_output():
    oracle = Oracle()
    problem = Problem.from_design(design_for(EX / "parity8" / "parity8.md"), oracle=oracle)
    provider = ScriptedProvider([fenced(WRONG_ALL), fenced(WRONG_PARITY)])
    result = await Solver(provider, oracle, strategy=Strategy(samples=2, rounds=0, patch=None)).solve(problem)
    assert not result.solved and all(c.origin == "sample" for c in result.candidates)
    off = PatchBudget(simulations=0, recombine=False)
    result = await Solver(ScriptedProvider([fenced(WRONG_ALL), fenced(WRONG_PARITY)]), oracle,
                          strategy=Strategy(samples=2, rounds=0, patch=off)).solve(problem)
    assert not result.solved and len(result.candidates) == 2


@pytest.mark.parametrize("ports", [["parity"], []])
def test_no_plan_with_one_output_or_none(ports):
    assert plan([Contender(1, "", agreement(parity=1)), Contender(2, "", agreement(parity=0))], ports) is None


def test_no_composite_with_an_inout_or_without_the_top_module():
    from oracle.syntax import Port

    found = plan([Contender(1, "", agreement(a=0, b=5)), Contender(2, "", agreement(a=5, b=0))], ["a", "b"])
    assert found is not None
    codes = {1: "module TopModule(input x, output a, output b); endmodule",
             2: "module TopModule(input x, output a, output b); endmodule"}
    ports = [Port("x", "input", 1), Port("a", "output", 1), Port("b", "output", 1)]
    assert "TopModule__c2 c2 (.x(x), .a(c2_a_unused), .b(b));" in compose(found, codes, ports, "TopModule")
    assert compose(found, codes, [*ports, Port("io", "inout", 1)], "TopModule") is None
    assert compose(found, {**codes, 2: "module Other(input x); endmodule"}, ports, "TopModule") is None
