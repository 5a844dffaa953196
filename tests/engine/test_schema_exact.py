"""Schema verdicts side by side with the oracle's one-compilation-per-edit verdicts on the shared
problems, and the search with schemata against the search without (slow: hundreds of simulations)."""

import pytest

from engine import Problem
from engine.designs import design_for
from engine.patch import PatchBudget, PatchSearch
from oracle import Bench, Oracle, SourceText
from oracle.bench import rename_module
from tests.conftest import DATASET
from tests.engine.test_schema import EX, GOOD, same_verdicts


@pytest.fixture(scope="module")
def oracle():
    return Oracle()


async def test_schema_verdicts_are_the_oracles_on_the_examples_bugs(oracle):
    problem = Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)
    for broken in (GOOD.replace("count + 4'd1", "count - 4'd1"), GOOD.replace("if (reset)", "if (!reset)"),
                   GOOD.replace("else if (en)", "else if (reset)")):
        placed, differ = await same_verdicts(oracle, problem, broken)
        assert placed >= 20 and differ == 0


SHARED = [  # (problem, old, new): old once in the reference, a design wrong in one place
    ("Prob035_count1to10", "q+1", "q+2"),
    ("Prob109_fsm1", "B: next = in ? B : A", "B: next = in ? A : A"),
    # a race: the clocked block (posedge clk or posedge areset) reads the always_comb block's next
    # in the time step the bench's reset changes; Icarus decides it by the order it wakes
    # processes, which a copy of the always_comb block declared after the clocked one changed
    ("Prob109_fsm1", "if (areset) state <= B", "if (!(areset)) state <= B"),
    ("Prob121_2014_q3bfsm", "B: next = x ? E : B", "B: next = x ? B : B"),
    ("Prob097_mux9to1v", "4'h2: out = c", "4'h2: out = d"),
    ("Prob085_shift4", "q <= q[3:1]", "q <= q[2:0]"),
    # continuous assignments to single bits of a vector (each bit's variants drive a net of one bit)
    ("Prob079_fsm3onehot", "state[C]) & ~in", "state[C]) & in"),
    # a latch in an always @* block: an edit dropping a name's last use changes its sensitivity
    ("Prob145_circuit8", "if (clock)", "if (!(clock))"),
    # an always @* block: edits reading other names are judged in guarded copies of the block
    ("Prob123_bugs_addsubz", "1: out = a - b", "1: out = a - a"),
]


@pytest.mark.parametrize(("name", "old", "new"), SHARED, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SHARED)])
async def test_schema_verdicts_are_the_oracles_on_shared_problems(oracle, name, old, new):
    tb = DATASET / f"{name}_test.sv"
    if not tb.is_file():
        pytest.skip("the shared VerilogEval problems are not here")
    reference = rename_module(tb.with_name(f"{name}_ref.sv").read_text(), "RefModule", "TopModule")
    if old not in reference:
        pytest.fail(f"{old!r} is not in {name}'s reference")
    bench = Bench.for_testbench(tb)
    problem = Problem(name, "", bench, interface=oracle.interface(bench) or ())
    placed, differ = await same_verdicts(oracle, problem, reference.replace(old, new, 1))
    assert placed > 0 and differ == 0



# -- the search with schemata --------------------------------------------------------------------


async def test_the_search_with_schemata_fixes_what_it_fixed_without(oracle):
    problem = Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)
    text = GOOD.replace("count <= 4'd0", "count <= 4'd3").replace("count + 4'd1", "count + 4'd2")
    reports = {}
    for schemata in (True, False):
        budget = PatchBudget(simulations=600, seconds=60, depth=2, schemata=schemata)
        reports[schemata] = await PatchSearch(oracle, problem, budget).run(text)
    on, off = reports[True], reports[False]
    assert on.passed and off.passed, (on.judged, off.judged)
    assert on.by_schema > 0 and on.schemata > 0 and off.by_schema == 0
    assert on.best is not None and on.best.verdict.drivers  # judged again alone: the screen's figures are there
    again = await oracle.simulate(SourceText("x.sv", on.best.code), problem.bench, interface=problem.interface)
    assert again.passed
