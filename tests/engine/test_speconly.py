"""Spec-only mode: no testbench, no reference; the candidates judge each other, questions grow a
testbench, and the answer is never called a pass."""

import json
import shutil

import pytest

from engine.consensus import Answers, Question, SpecOnlyError, literal
from engine.ledger import Ledger
from engine.reference import reference_bench
from engine.specports import ports_from_spec
from oracle import Oracle, SourceText
from oracle.bench import rename_module
from oracle.mutants import flip_output_bit
from oracle.syntax import module_interface
from scripts.support.faults import ThreadedFaultServer
from tests.conftest import DATASET, KNOWN_BROKEN, run_anvil, shared_problems
from tests.engine.fakes import fenced
from tests.engine.test_reference import OLD, RIGHT, WRONG_RESET, WRONG_SHIFT

SPEC = """# gray4: a 4-bit Gray-code counter

Implement a module named `gray4`. On each rising edge of clk: if rst_n is 0 (synchronous, active
low) an internal binary count becomes 0; else if en is 1 the count increments, wrapping. `code`
is the Gray code of the count.

- input clk
- input rst_n
- input en
- output [3:0] code
"""
#: right too, written otherwise: one always block, the conversion inline
RIGHT2 = """module gray4 (input clk, input rst_n, input en, output reg [3:0] code);
  reg [3:0] n;
  always @(posedge clk) begin if (!rst_n) n <= 0; else if (en) n <= n + 1; end
  always @(*) code = n ^ {1'b0, n[3:1]};
endmodule
"""
RIGHT3 = RIGHT.replace("c <= !rst_n ? 4'd0 : (en ? c + 4'd1 : c);", "if (!rst_n) c <= 0; else c <= c + en;")
FIVE = [WRONG_SHIFT, RIGHT, RIGHT2, WRONG_RESET, RIGHT3]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "gray.md").write_text(SPEC)
    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))
    return tmp_path


def generate(spec, answers, *args):
    endpoint = ThreadedFaultServer([fenced(a) for a in answers], 0.0)
    try:
        return run_anvil("generate", spec, "--provider", "openai", "--model", "scripted", "--base-url", endpoint.url,
                         "--samples", str(len(answers)), "--rounds", "0", *args, timeout=300)
    finally:
        endpoint.close()


async def behaves_like(code, old_design, folder):
    """Judged by the old design on reference mode's bench (the truth these tests know)."""
    (folder / "truth_ref.sv").write_text(old_design)
    return (await Oracle().simulate(SourceText("x.sv", code), reference_bench(folder / "truth_ref.sv").bench)).passed


async def test_five_answers_three_alike_and_right_give_the_right_design_unverified(folder):
    run = generate(folder / "gray.md", FIVE, "--questions", "0", "--json")
    assert run.returncode == 3, run.stderr
    assert "PASS" not in run.stdout and "spec-only mode" in run.stderr
    result = json.loads(run.stdout)
    assert result["status"] == "unverified" and result["agree"] == 3 and result["usable"] == 5
    assert len(result["groups"][0]) == 3  # (which ids: the order the scripted answers arrive in)
    out = (folder / "gray.sv").read_text()
    assert out.strip() in {r.strip() for r in (RIGHT, RIGHT2, RIGHT3)} and await behaves_like(out, OLD, folder)
    assert Ledger(folder / "ledger.sqlite").run(result["run_id"])["status"] == "unverified"
    human = generate(folder / "gray.md", FIVE, "--questions", "0", "--force")
    assert human.returncode == 3 and human.stdout.startswith("UNVERIFIED  ") and "3 of 5" in human.stdout
    assert "PASS" not in human.stdout


def open_question(stdout: str) -> tuple[str, str] | None:
    """(key, the majority's value) of the question a run left open, if any."""
    line = next((line for line in stdout.splitlines() if line.startswith("question ")), None)
    if line is None:
        return None
    return line.split()[1].rstrip(":"), line.split(" = ", 1)[1].split(" (")[0]


async def test_answers_become_test_vectors_that_remove_wrong_candidates(folder):
    first = generate(folder / "gray.md", FIVE)  # not a terminal, no answers: the question is left open
    assert first.returncode == 3 and "--answers FILE" in first.stdout
    assert "(3 candidates) or" in first.stdout and "cycle 0: en=" in first.stdout
    assert not (folder / "gray_questions_tb.sv").exists()
    # a script answers what it is asked, as the majority says here (the right value), and runs again
    answers, asked = folder / "answers.txt", []
    while (question := open_question(first.stdout)) is not None and len(asked) < 4:
        asked.append(question)
        answers.write_text("# my answers\n" + "".join(f"{k} {v}\n" for k, v in asked))
        first = generate(folder / "gray.md", FIVE, "--answers", answers, "--force")
        assert first.returncode == 3, first.stderr
    assert 1 <= len(asked) <= 2 and "UNVERIFIED" in first.stdout and "PASS" not in first.stdout
    kept = folder / "gray_questions_tb.sv"
    assert kept.read_text().count("// anvil-answer ") == len(asked)
    # the kept answers are an ordinary testbench: the right design passes it, the wrong ones fail
    assert run_anvil("check", folder / "gray.sv", "--tb", kept).returncode == 0
    assert await behaves_like((folder / "gray.sv").read_text(), OLD, folder)
    for wrong in (WRONG_RESET, WRONG_SHIFT):
        (folder / "wrong.sv").write_text(wrong)
        failed = run_anvil("check", folder / "wrong.sv", "--tb", kept)
        assert failed.returncode == 1 and "ERROR question" in failed.stdout
    # the next run reads them: the wrong candidates are out before any question, and it stays
    # spec-only (the kept answers are no judge of their own beside the spec)
    again = generate(folder / "gray.md", FIVE, "--force", "--json")
    result = json.loads(again.stdout)
    assert again.returncode == 3 and [len(g) for g in result["groups"]] == [3] and result["answers"] == len(asked)


@pytest.mark.parametrize("case, expect", [
    ("no ports", "the spec lists no ports"),
    ("contradicting answers", "is answered twice"),
    ("foreign answers file", "is not a testbench of answers Anvil wrote"),
    ("not a value", "is not a value"),
])
def test_bad_input_is_one_clear_line(folder, case, expect):
    args = []
    if case == "no ports":
        (folder / "gray.md").write_text("Make a Gray-code counter, please.\n")
    elif case == "contradicting answers":
        (folder / "a.txt").write_text("abc123 4'h2\nabc123 3\n")
        args = ["--answers", folder / "a.txt"]
    elif case == "foreign answers file":
        (folder / "gray_questions_tb.sv").write_text("module tb; endmodule\n")
    else:
        first = generate(folder / "gray.md", FIVE)
        key = next(line for line in first.stdout.splitlines() if line.startswith("question ")).split()[1].rstrip(":")
        (folder / "a.txt").write_text(f"{key} maybe\n")
        args = ["--answers", folder / "a.txt", "--force"]
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.suffix != ".sqlite"}
    run = generate(folder / "gray.md", FIVE, *args)
    assert run.returncode == 2, run.stdout
    errors = [line for line in run.stderr.splitlines() if line.startswith("anvil: ") and "spec-only mode" not in line
              and " with openai:" not in line and not line.startswith("anvil: question ")]
    assert len(errors) == 1 and expect in errors[0] and "Traceback" not in run.stderr
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.suffix != ".sqlite"}
    assert {k: v for k, v in after.items() if k in before} == before  # nothing of the user's changed


def test_candidates_that_all_disagree_say_so(folder):
    run = generate(folder / "gray.md", [WRONG_SHIFT, RIGHT, WRONG_RESET], "--questions", "0")
    assert run.returncode == 3 and run.stdout.startswith("UNVERIFIED  ")
    assert "(no two of 3 candidates agree (the first is given); candidate " in run.stdout


def test_questions_and_answers_in_words_and_as_literals():
    q = Question(((("en", 1), ("rst_n", 0)), (("en", 1), ("rst_n", 0)), (("en", 1), ("rst_n", 1))), "count", 4,
                 "negedge", (("4'h1", 4), ("4'h2", 3)))
    text = q.describe(clocked=True)
    assert text.startswith("from time 0, cycles 0-1: en=1 rst_n=0; cycle 2: en=1 rst_n=1. after the rising edge")
    assert text.endswith("count = 4'h1 (4 candidates) or 4'h2 (3 candidates)?")
    assert q.sample_time() == 29 and q.key == Question(q.stimulus, "count", 4, "negedge", ()).key
    comb = Question(((("a", 3), ("b", 5)),), "y", 8, "posedge", (("8'h08", 2), ("8'h0f", 1)))
    assert comb.describe(clocked=False) == "with a=3 b=5: y = 8'h08 (2 candidates) or 8'h0f (1 candidate)?"
    assert literal("3", 4) == "4'd3" and literal("4'h3", 4) == "4'h3" and literal("'hf", 4) == "4'hf"
    assert literal("x", 2) == "2'bx"
    with pytest.raises(SpecOnlyError, match="does not fit"):
        literal("16", 4)
    answers = Answers("c", ports_from_spec(SPEC))
    answers.add(q, "4'h1")
    with pytest.raises(SpecOnlyError, match="answered twice"):
        answers.add(q, "2")


@pytest.mark.skipif(not DATASET.is_dir(), reason="the shared VerilogEval problems are not on this machine")
@pytest.mark.parametrize("name", shared_problems(every=13))
async def test_held_out_style_problems_with_no_testbench_at_all(tmp_path, monkeypatch, name):
    """A VerilogEval problem, spec only: 5 answers, 3 alike and right (the reference, written three
    ways), 2 wrong in different ways; the hidden testbench then judges the answer."""
    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))
    reference = (DATASET / f"{name}_ref.sv").read_text()
    right = rename_module(reference, "RefModule", "TopModule")
    ports = module_interface([SourceText("r.sv", reference)], "RefModule")
    ones = "module TopModule (" + ", ".join(f"{p.direction} [{p.width - 1}:0] {p.name}" for p in ports) + ");\n" + \
        "".join(f"  assign {p.name} = '1;\n" for p in ports if p.direction == "output") + "endmodule\n"
    answers = [flip_output_bit(reference), right, "// same design\n" + right, ones, right + "\n// again\n"]
    shutil.copy(DATASET / f"{name}_prompt.txt", tmp_path / f"{name}_prompt.txt")
    run = generate(tmp_path / f"{name}_prompt.txt", answers, "--questions", "0")
    assert run.returncode == 3, run.stdout + run.stderr
    assert "PASS" not in run.stdout and "UNVERIFIED" in run.stdout
    golden = run_anvil("check", tmp_path / f"{name}.sv", "--tb", DATASET / f"{name}_test.sv", "--with",
                       DATASET / f"{name}_ref.sv")
    if name in KNOWN_BROKEN:  # the golden bench cannot judge (Prob053's checks 1 of its 100 samples)
        assert golden.returncode == 2 and "the bench is broken" in golden.stdout + golden.stderr
    else:
        assert golden.returncode == 0, golden.stdout


CHEATS = [
    RIGHT.replace("  to_gray g", '  initial $display("Mismatches: 0 in 2000 samples");\n  initial $finish;\n  to_gray g'),
    RIGHT.replace("  to_gray g", '`include "/etc/passwd"\n  to_gray g'),
    RIGHT.replace("  to_gray g", "  reg spin = 0;\n  always spin = ~spin;\n  to_gray g"),
]


async def test_a_cheating_candidate_stands_in_no_comparison(folder):
    """A candidate that prints a result, finishes early, includes a file of the machine or never
    lets time pass is screened out before any other is compared with it."""
    from engine.consensus import Answers
    from engine.speconly import SpecOnly, SpecOnlyProblem
    from engine.values import Strategy
    from tests.engine.fakes import ScriptedProvider

    ports = ports_from_spec(SPEC)
    runner = SpecOnly(ScriptedProvider([fenced(c) for c in [*CHEATS, WRONG_RESET]]), Oracle(), strategy=Strategy(),
                      samples=4)
    done = await runner.run(SpecOnlyProblem("gray", SPEC, "gray4", ports), Answers("gray4", ports))
    statuses = {c.id: c.verdict.status.value for c in done.result.candidates}
    assert all(statuses[i] in ("compile_error", "timeout") for i in (1, 2, 3)), statuses
    assert done.groups == ((4,),) and done.usable == 1 and done.answer.id == 4


async def test_an_output_that_stays_x_is_a_behaviour_of_its_own_and_can_be_asked_about():
    """Peers compare strictly (an x matches only an x), and where one group's value is x the
    question still shows both values."""
    from engine.consensus import Peers
    from oracle import Port

    never = "module t (input clk, input in, output reg out);\n  always @(posedge clk) out <= in ^ out;\nendmodule\n"
    starts = never.replace("  always", "  initial out = 0;\n  always")
    ports = (Port("clk", "input", 1), Port("in", "input", 1), Port("out", "output", 1))
    peers = Peers(Oracle(), "t", ports)
    codes = {1: never, 2: never + "// the same\n", 3: starts}
    groups = await peers.groups(codes)
    assert sorted(map(sorted, groups)) == [[1, 2], [3]] and len(groups[0]) == 2
    question = await peers.question(codes, groups[0], groups[1])
    assert question is not None and dict(question.choices)["x"] == 2 and len(question.choices) == 2
