"""`anvil generate` and `anvil runs` end to end through the CLI, with a recorded model (replay)."""

import json
import shutil

import pytest

from engine import Problem, Strategy
from engine.designs import design_for
from engine.providers import RecordingProvider
from oracle import Oracle
from tests.conftest import ROOT, run_anvil
from tests.engine.fakes import ScriptedProvider, Solver, fenced

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
WRAP = GOOD.replace("count + 4'd1", "(count == 4'd9 ? 4'd0 : count + 4'd1)")
#: the model's loop alone (tests/engine/test_patch.py covers the patch search)
STRATEGY = ["--samples", "1", "--rounds", "1", "--repair-width", "1", "--patch", "off"]


def anvil(*args, env=None, cwd=ROOT):
    return run_anvil(*args, env=env, cwd=cwd, timeout=300)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    for name in ("counter4.md", "counter4_tb.sv", "counter4_ref.sv"):
        shutil.copy(EX / name, tmp_path / name)
    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))
    return tmp_path


async def record(workspace, answers):
    """Record what the CLI will ask with STRATEGY, answered from ``answers``."""
    path = workspace / "recording.jsonl"
    problem = Problem.from_design(design_for(workspace / "counter4.md"), oracle=Oracle())
    provider = RecordingProvider(ScriptedProvider(answers), path)
    await Solver(provider, Oracle(), strategy=Strategy(samples=1, rounds=1, repair_width=1)).solve(problem)
    return path


async def test_generate_writes_passing_rtl_and_never_overwrites(workspace):
    recording = await record(workspace, [fenced(WRAP), fenced(GOOD)])
    run = anvil("generate", workspace / "counter4.md", "--provider", "replay", "--model", recording,
                *STRATEGY, "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    out = workspace / "counter4.sv"
    assert result["status"] == "pass" and result["output"] == str(out) and result["calls"] == 2
    assert result["verdict"]["status"] == "pass"
    assert anvil("check", out, "--tb", workspace / "counter4_tb.sv").returncode == 0

    before = out.read_text()
    again = anvil("generate", workspace / "counter4.md", "--provider", "replay", "--model", recording, *STRATEGY)
    assert again.returncode == 2 and "exists" in again.stderr and "--force" in again.stderr
    assert out.read_text() == before

    shown = anvil("runs", "show", result["run_id"])
    assert shown.returncode == 0 and "solved" in shown.stdout and "repair from 1: pass" in shown.stdout
    listed = anvil("runs")
    assert result["run_id"] in listed.stdout
    code = anvil("runs", "show", result["run_id"][:6], "--code")
    assert code.stdout.strip() == out.read_text().strip()


async def test_unsolved_run_exits_1_and_shows_the_best_candidate(workspace):
    recording = await record(workspace, [fenced(WRAP), fenced(WRAP.replace("4'd9", "4'd8"))])
    run = anvil("generate", workspace / "counter4.md", "--provider", "replay", "--model", recording, *STRATEGY)
    assert run.returncode == 1
    assert "NOT SOLVED" in run.stdout and "expected" in run.stdout and "anvil runs show" in run.stdout
    assert not (workspace / "counter4.sv").exists()


def test_replay_miss_is_an_error_not_an_answer(workspace):
    empty = workspace / "empty.jsonl"
    empty.write_text("")
    run = anvil("generate", workspace / "counter4.md", "--provider", "replay", "--model", empty, *STRATEGY)
    assert run.returncode == 2 and "no recorded answer" in run.stderr


@pytest.mark.parametrize("setup, words", [
    (lambda ws: [(ws / f).unlink() for f in ("counter4_tb.sv", "counter4_ref.sv")] and
     (ws / "counter4.md").write_text("A 4-bit counter with an enable.\n"), "the spec lists no ports"),
    (lambda ws: (ws / "counter4.md").write_text("  \n"), "is empty"),
    (lambda ws: None, "invalid choice: 'nope'"),
])
def test_bad_input_gets_a_clear_error(workspace, setup, words):
    setup(workspace)
    extra = ["--provider", "nope"] if "nope" in words else ["--provider", "replay", "--model", "x.jsonl"]
    run = anvil("generate", workspace / "counter4.md", *extra)
    assert run.returncode == 2 and words in run.stderr, run.stderr


BENCHES = ROOT / "tests" / "benches"


async def test_generate_finds_the_module_and_its_ports_in_the_bench(tmp_path, monkeypatch):
    """A folder as public benchmarks ship it: a prose spec, testbench.v instantiating `add8`; no
    --top, no anvil.toml. The prompt asks for add8 with the bench's ports; the output is add8.v."""
    folder = tmp_path / "adder"
    folder.mkdir()
    for name in ("design_description.txt", "testbench.v"):
        shutil.copy(BENCHES / "banner_adder" / name, folder / name)
    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))
    good = (BENCHES / "banner_adder" / "add8.v").read_text()
    design = design_for(folder / "design_description.txt")
    problem = Problem.from_design(design, oracle=Oracle())
    assert problem.top == "add8" and not problem.exact
    assert [(p.name, p.direction, p.width) for p in problem.interface] == [
        ("a", "input", 8), ("b", "input", 8), ("cin", "input", 1), ("sum", "output", 8), ("cout", "output", 1)]
    scripted = ScriptedProvider([fenced(good)])
    recording = folder / "recording.jsonl"
    await Solver(RecordingProvider(scripted, recording), Oracle(),
                 strategy=Strategy(samples=1, rounds=1, repair_width=1)).solve(problem)
    assert "module add8 (input logic [7:0] a, input logic [7:0] b, input logic cin, output logic [7:0] sum, " \
           "output logic cout);" in scripted.requests[0].messages[-1].content
    run = anvil("generate", "design_description.txt", "--tb", "testbench.v", "--provider", "replay", "--model",
                recording, *STRATEGY, "--json", cwd=folder)
    assert run.returncode == 0, run.stderr
    assert (folder / json.loads(run.stdout)["output"]).resolve() == (folder / "add8.v").resolve()
    assert (folder / "add8.v").read_text().strip() == good.strip()


def test_generate_says_when_spec_and_bench_disagree(tmp_path):
    folder = shutil.copytree(BENCHES / "banner_adder", tmp_path / "adder")
    spec = folder / "design_description.txt"
    spec.write_text(spec.read_text().replace("cout: the carry out of bit 7.", "cout: the carry out.\n    ovf: overflow."))
    empty = folder / "none.jsonl"
    empty.write_text("")
    run = anvil("generate", spec, "--tb", folder / "testbench.v", "-o", folder / "out.v", "--provider", "replay",
                "--model", empty, *STRATEGY)
    assert "note: the spec lists port(s) ovf that the testbench does not connect" in run.stderr
