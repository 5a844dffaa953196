"""Functions a spec gives as a table (engine.spectable): read, minimised, judged by real Icarus."""

import itertools
import random
import re

import pytest

from engine import Problem, Strategy
from engine.designs import design_for
from engine.patch import PatchBudget
from engine.specports import ports_from_spec
from engine.spectable import _expression, _written, minimise, read_tables, table_designs
from engine.values import Origin
from oracle import Port
from tests.conftest import ROOT
from tests.engine.fakes import ScriptedProvider, Solver, fenced

EX = ROOT / "examples" / "seatbelt"
SHARED = ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl"
WRONG = "module TopModule(input ign, input occ, input belt, input door, output chime);\n" \
        "assign chime = door;\nendmodule\n"


def evaluate(expression: str, inputs, m: int) -> int:
    """The expression's value at minterm ``m`` (Verilog's ~ & | ^ on single bits, in Python)."""
    n = len(inputs)
    env = {re.sub(r"\W", "_", name): (m >> (n - 1 - i)) & 1 for i, name in enumerate(inputs)}
    text = re.sub(r"\b1'b([01])", r"\1", expression)
    for name in sorted(inputs, key=len, reverse=True):
        text = text.replace(name, re.sub(r"\W", "_", name))
    text = re.sub(r"~(\w+)", r"(1^\1)", text).replace("~(", "1^(")  # Python's & ^ | rank as Verilog's
    return eval(text, {}, env) & 1  # our own expression over 0/1


@pytest.mark.parametrize("seed", range(40))
def test_the_minimised_cover_computes_the_function_and_uses_don_t_cares_only_where_free(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    inputs = [f"x{i}" for i in range(n)] if seed % 2 else [f"v[{i}]" for i in range(n - 1, -1, -1)]
    ones, dont_care = set(), set()
    for m in range(1 << n):
        r = rng.random()
        (ones if r < 0.4 else dont_care if r < 0.55 else set()).add(m)
    cover = minimise(ones, dont_care)
    for text in (_expression(cover, inputs), _written(cover, inputs)):
        for m in range(1 << n):
            if m not in dont_care:
                assert evaluate(text, inputs, m) == (m in ones), (text, m)
    # no term is redundant: every chosen implicant covers a one no other covers
    for p in cover:
        rest = [q for q in cover if q != p]
        assert any(m & ~p[1] == p[0] and not any(m & ~q[1] == q[0] for q in rest) for m in ones)


def test_a_karnaugh_map_reads_with_gray_columns_multi_letter_names_and_don_t_cares():
    spec = (EX / "seatbelt.md").read_text()
    (table,) = read_tables(spec, ports_from_spec(spec))
    assert table.kind == "Karnaugh map" and table.outputs == ("chime",)
    assert len(table.rows) == 16
    cell = {tuple(ins[k] for k in ("ign", "occ", "belt", "door")): outs["chime"] for ins, outs in table.rows}
    assert cell[(1, 1, 0, 0)] == 1 and cell[(1, 0, 0, 0)] == 0 and cell[(0, 1, 1, 1)] == 1
    assert cell[(1, 0, 1, 1)] is None and cell[(1, 0, 1, 0)] is None  # the two d's


def test_truth_tables_with_vectors_and_waveforms_with_a_time_column():
    ports = (Port("sel", "input", 2), Port("en", "input", 1), Port("y", "output", 1))
    truth = "The output:\n\n  sel | en | y\n  ----+----+--\n  00  | 0  | 0\n  00  | 1  | 1\n  01  | 1  | 0\n" \
            "  10  | 1  | 1\n  11  | 1  | 0\n\nThe rest is 0.\n"
    (table,) = read_tables(truth, ports)
    assert table.kind == "truth table" and len(table.rows) == 5
    assert table.rows[3] == ({"sel[1]": 1, "sel[0]": 0, "en": 1}, {"y": 1})
    wave = "  time  a  b  q\n  0ns   0  0  0\n  5ns   0  1  1\n  10ns  1  0  1\n  15ns  1  1  0\n  20ns  0  1  1\n"
    (table,) = read_tables(wave, (Port("a", "input", 1), Port("b", "input", 1), Port("q", "output", 1)))
    assert table.kind == "waveform" and len(table.rows) == 5
    (design,) = table_designs(wave, (Port("a", "input", 1), Port("b", "input", 1), Port("q", "output", 1)),
                              "TopModule")
    assert "assign q = a ^ b;" in design.code  # a parity is written as one


@pytest.mark.parametrize("spec, ports, why", [
    ("  time  a  q\n  0ns   0  0\n  5ns   1  1\n  10ns  0  1\n",
     (Port("a", "input", 1), Port("q", "output", 1)), "the same input, two outputs: sequential"),
    ("  a | q\n  0 | 1\n  1 | 0\n", (Port("a", "input", 1), Port("b", "input", 1), Port("q", "output", 1)),
     "an input the table leaves out"),
    ("  a | q\n  0 | 1\n  1 | 0\n", (Port("a", "input", 1), Port("q", "output", 1), Port("r", "output", 1)),
     "an output no table gives"),
    ("  a | q\n  0 | 1\n  1 | 0\n", (Port("clk", "input", 1), Port("a", "input", 1), Port("q", "output", 1)),
     "a clock"),
    ("        ab\n  cd  00 01 11 10\n  00 | 1 | 0 | 0 | 1 |\n  01 | 1 | 0 | 0 | 1 |\n"
     "  11 | 1 | 0 | 0 | 1 |\n  10 | 1 | 0 | 0 | 1 |\n",
     (Port("a", "input", 1), Port("b", "input", 1), Port("ab", "input", 1), Port("c", "input", 1),
      Port("d", "input", 1), Port("q", "output", 1)), "'ab' reads as one name or two"),
])
def test_no_design_where_the_table_does_not_settle_the_function(spec, ports, why):
    clocked = any(p.name == "clk" for p in ports)
    assert table_designs(spec, ports, "TopModule", clocked=clocked) == [], why


MUX_MAP = ("The logic in front of a 4-to-1 multiplexer whose select lines are s and t (st = 00 picks\n"
           "m[0], st = 01 picks m[1], and so on) must make the whole circuit compute this map:\n\n"
           "        st\n  xy  00  01  11  10\n  00 | 1 | 0 | 0 | 1 |\n  01 | 0 | 0 | 1 | 1 |\n"
           "  11 | 0 | 1 | 1 | 1 |\n  10 | 1 | 1 | 0 | 1 |\n")
MUX_PORTS = (Port("x", "input", 1), Port("y", "input", 1), Port("m", "output", 4))


def test_a_map_over_a_mux_s_select_lines_gives_each_data_input_its_column():
    (design,) = table_designs(MUX_MAP, MUX_PORTS, "TopModule")
    columns = {"00": "1001", "01": "0011", "11": "0110", "10": "1111"}  # the map's columns, rows xy = 00 01 11 10
    for st, column in columns.items():
        index = int(st, 2)
        (line,) = [ln for ln in design.code.splitlines() if f"assign m[{index}] =" in ln]
        expression = line.split("=", 1)[1].strip().rstrip(";")
        for xy, want in zip(("00", "01", "11", "10"), column):
            assert evaluate(expression, ["x", "y"], int(xy, 2)) == int(want), (st, xy, expression)
    assert "m[i] is the map where st = i" in design.derivation[0]


@pytest.mark.parametrize("spec, ports, why", [
    (MUX_MAP.replace("4-to-1 multiplexer", "circuit"), MUX_PORTS, "no mux in the words"),
    (MUX_MAP, (Port("x", "input", 1), Port("y", "input", 1), Port("m", "output", 2)), "two data inputs, four values"),
    (MUX_MAP, (*MUX_PORTS, Port("v", "output", 1)), "two outputs"),
    (MUX_MAP.replace("        st\n  xy", "        sx\n  ty"), MUX_PORTS, "select lines on both axes"),
])
def test_no_mux_reading_where_the_spec_does_not_settle_it(spec, ports, why):
    assert table_designs(spec, ports, "TopModule") == [], why


def test_every_choice_of_few_don_t_cares_is_offered_once():
    spec = "  a | b | q\n  0 | 0 | 1\n  0 | 1 | d\n  1 | 0 | x\n  1 | 1 | 0\n"
    ports = (Port("a", "input", 1), Port("b", "input", 1), Port("q", "output", 1))
    designs = table_designs(spec, ports, "TopModule")
    codes = [d.code for d in designs]
    assert len(codes) == len(set(codes)) == 4  # the 4 functions the 2 don't-cares allow
    assert all("don't-cares {1, 2}" in d.derivation[0] for d in designs)


@pytest.mark.parametrize("example, wrong, derivation, diff", [
    ("seatbelt", WRONG, "chime from the Karnaugh map in spec lines", "+    assign chime ="),
    ("turnstile", "module TopModule(input clk, input reset, input coin, input push, output open);\n"
                  "assign open = coin;\nendmodule\n",
     "a Moore machine of 2 states from the state diagram in spec lines 14-17; synchronous active-high reset to "
     "LOCKED", "+    always @(posedge clk) begin"),
])
async def test_the_loop_answers_a_spec_s_table_or_machine_without_a_model_call(example, wrong, derivation, diff):
    problem = Problem.from_design(design_for(ROOT / "examples" / example / f"{example}.md"))
    provider = ScriptedProvider([fenced(wrong)])
    result = await Solver(provider, strategy=Strategy(samples=2, rounds=1, patch=PatchBudget())).solve(problem)
    assert result.status.value == "solved" and result.calls == 0 and provider.requests == []
    best = result.solution
    assert best.origin is Origin.TABLE and best.origin.model_free
    assert best.edits[0].startswith(derivation) and diff in best.diff
    # with the model-free work off, the spec is not read: the model is asked
    provider = ScriptedProvider([fenced(wrong)])
    result = await Solver(provider, strategy=Strategy(samples=2, rounds=0, patch=None)).solve(problem)
    assert result.calls == 2 and all(c.origin is Origin.SAMPLE for c in result.candidates)


TABLE_PROBLEMS = ("Prob057_kmap2", "Prob069_truthtable1", "Prob083_mt2015_q4b", "Prob101_circuit4",
                  "Prob103_circuit2", "Prob113_2012_q1g", "Prob125_kmap3",
                  # state machines (engine.specfsm): diagrams, state tables, one-hot logic
                  "Prob079_fsm3onehot", "Prob091_2012_q2b", "Prob107_fsm1s", "Prob109_fsm1", "Prob111_fsm2s", "Prob119_fsm3",
                  "Prob121_2014_q3bfsm", "Prob135_m2014_q6b", "Prob143_fsm_onehot")


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared VerilogEval problems are not here")
async def test_shared_problems_whose_spec_is_a_table_pass_without_the_model():
    from engine.problem import has_clock
    from engine.specfsm import machine_designs
    from oracle import Oracle
    from sweeps.benchmark import read_dataset

    solved, offered = [], []
    for item in read_dataset(SHARED):
        problem = item.problem(Oracle())
        if not table_designs(problem.spec, problem.interface, problem.top, clocked=has_clock(problem.interface)) \
                and not machine_designs(problem.spec, problem.interface, problem.top):
            continue
        offered.append(item.name)
        result = await Solver(ScriptedProvider([fenced(WRONG)]), strategy=Strategy(samples=1, rounds=0,
                              patch=PatchBudget(simulations=0))).solve(problem)
        if result.status.value == "solved" and result.calls == 0:
            solved.append(item.name)
    assert set(TABLE_PROBLEMS) <= set(solved), (solved, offered)
    assert not set(solved) - set(offered)


def test_the_designs_are_deterministic():
    spec = (EX / "seatbelt.md").read_text()
    ports = ports_from_spec(spec)
    runs = [tuple(d.code for d in table_designs(spec, ports, "TopModule")) for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) >= 2
    assert list(itertools.chain.from_iterable(runs))[0].count("assign chime") == 1


def test_multi_letter_inputs_beside_a_mux_s_select_lines():
    spec = MUX_MAP.replace("  xy  00", "  xin yin  00").replace("s and t", "s and t")
    ports = (Port("xin", "input", 1), Port("yin", "input", 1), Port("m", "output", 4))
    (design,) = table_designs(spec, ports, "TopModule")
    assert "assign m[2] = 1'b1;" in design.code  # column st = 10 is all ones
