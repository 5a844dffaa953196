"""A schema's choices run by forking one loaded simulation (oracle.forking): each choice's verdict is
the one a run of its own gives, each child has its own deadline and output, and nothing outlives
the run."""

import pytest

from engine import Problem
from engine.designs import design_for
from oracle import Bench, Oracle, Selector, SourceText, Status, Verdict
from oracle.forking import fork_image, module_folder, read_outcomes
from oracle.icarus import ICARUS
from tests.conftest import ROOT, tool_processes
from tests.engine.test_schema import counter_schema, figures

EX = ROOT / "examples"
GOOD = (EX / "counter4" / "counter4_good.sv").read_text()


@pytest.fixture(scope="module")
def oracle():
    return Oracle()


@pytest.fixture(scope="module")
def problem(oracle):
    return Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)


def test_the_selectors_initialisation_calls_the_modules_function_instead_of_pushing_the_marker():
    image = (b"T_0 ;\n    %pushi/vec4 1234567890, 0, 32;\n    %store/vec4 v0x1_0, 0, 32;\n    %end;\n"
             b"T_1 ;\n    %pushi/vec4 1234567890, 0, 32;\n    %store/vec4 v0x2_0, 0, 32;\n")
    forked = fork_image(image, 1234567890, "$anvil_choice_abc")
    assert forked is not None and b"1234567890" not in forked
    assert forked.count(b'%vpi_func 0 0 "$anvil_choice_abc" 32 {0 0 0};') == 2
    assert fork_image(image, 1234567891, "$anvil_choice_abc") is None  # no marker: no forked run


def test_each_childs_outcome_is_read_and_anything_else_is_left_out():
    outcomes = read_outcomes("1 exit 0 1.2\n2 signal 25 0.4\n3 timeout 2000.1\n4 fork-failed\nno-source\n")
    assert outcomes[1].returncode == 0 and outcomes[2].returncode == -25 and outcomes[3].how == "timeout"
    assert outcomes[4].how == "fork-failed" and set(outcomes) == {1, 2, 3, 4}


def test_choices_are_judged_as_the_module_reports_them_whole_lines_only(tmp_path):
    """While the image still runs choices, only whole lines of its report are read (it may be
    writing the next); what cannot be judged from the report (a fork that failed, a child killed
    for writing past its cap, a choice not asked for) is left to run on its own."""
    from oracle.forking import reported

    results = tmp_path / "forks"
    assert reported(results, range(1, 5), complete=True) == {}
    results.write_text("1 exit 0 1.2\n2 signal 25 0.4\n3 fork-failed\n9 exit 0 1.0\n4 exit 1")
    assert set(reported(results, range(1, 5), complete=True)) == {1}
    assert set(reported(results, range(1, 5), complete=False)) == {1, 4}
    results.write_text("1 exit 0 1.2\n2 signal 9 0.4\n3 timeout 200.0\n4 exit 12 1.0\n")
    found = reported(results, range(1, 5), complete=True)
    assert set(found) == {1, 2, 3, 4} and found[4].returncode == 12 and found[2].returncode == -9


def test_the_module_is_built_once_and_can_be_switched_off(monkeypatch):
    tools = ICARUS.find()
    folder = module_folder(tools)
    assert folder is not None and (folder / "anvil_fork.vpi").is_file()  # CI's machine has gcc and Icarus's headers
    assert module_folder(tools) == folder
    monkeypatch.setenv("ANVIL_FORK_RUNS", "0")
    assert module_folder(tools) is None


async def alone(oracle: Oracle, problem: Problem, text: str, timeout_s: float = 10) -> Verdict:
    return await oracle.simulate(SourceText("alone.sv", text), problem.bench, timeout_s=timeout_s,
                                 interface=problem.interface, agreement=True)


async def test_every_choice_is_run_from_one_image_with_the_verdict_of_a_run_of_its_own(oracle, problem):
    arms = ["count <= count + 4'd1;", "count <= count - 4'd1;", "count <= {count[2:0], count[3]};",
            "begin if (en) count <= count + 4'd1; end"]
    selector = Selector.fresh()
    text = counter_schema(selector, arms)
    before = (await oracle.runner.status())["forked"]
    result = await oracle.simulate_variants(SourceText("s.sv", text), problem.bench, selector, len(arms),
                                            timeout_s=10, interface=problem.interface, agreement=True)
    assert isinstance(result, list), result
    assert (await oracle.runner.status())["forked"] - before == len(arms)
    statement = "count <= count + 4'd1;"
    for arm, verdict in zip(arms, result):
        own = await alone(oracle, problem, GOOD.replace(statement, arm))
        assert figures(verdict) == figures(own), arm
    assert [v.status for v in result] == [Status.PASS, Status.FUNCTIONAL_FAIL, Status.FUNCTIONAL_FAIL, Status.PASS]
    assert result[1].mismatches and result[1].agreement is not None


async def test_a_hanging_choice_is_killed_at_its_own_deadline_and_leaves_nothing(oracle, problem):
    selector = Selector.fresh()
    hang = "begin while (1) count = count; end"
    text = counter_schema(selector, [hang, "count <= count + 4'd1;", hang])
    before = (await oracle.runner.status())["forked"]
    result = await oracle.simulate_variants(SourceText("s.sv", text), problem.bench, selector, 3, timeout_s=1.5,
                                            interface=problem.interface)
    assert isinstance(result, list), result
    assert [v.status for v in result] == [Status.TIMEOUT, Status.PASS, Status.TIMEOUT]
    assert (await oracle.runner.status())["forked"] - before == 3
    status = await oracle.runner.status()
    assert tool_processes(oracle.runner.root) == [] and status["files"] == 0


async def test_choices_of_a_bench_printing_past_the_cap_are_run_again_on_their_own(oracle, problem, tmp_path):
    """A bench printing more than a forked child may write (8 MB): each child is stopped at the
    cap and its choice run by a vvp of its own, so every verdict is still the one a run of its
    own gives."""
    tb = (EX / "counter4" / "counter4_tb.sv").read_text()
    loud = tb.replace("  integer samples = 0;", "  integer samples = 0;\n"
                      "  always @(posedge clk) repeat (400) $display(\"%0128d\", samples);")
    assert loud != tb
    (tmp_path / "loud_tb.sv").write_text(loud)
    (tmp_path / "loud_ref.sv").write_text((EX / "counter4" / "counter4_ref.sv").read_text())
    bench = Bench.for_testbench(tmp_path / "loud_tb.sv")
    selector = Selector.fresh()
    arms = ["count <= count - 4'd1;", "count <= count + 4'd1;"]
    text = counter_schema(selector, arms)
    before = (await oracle.runner.status())["forked"]
    result = await oracle.simulate_variants(SourceText("s.sv", text), bench, selector, 2, timeout_s=20,
                                            interface=problem.interface, agreement=True)
    assert isinstance(result, list), result
    assert (await oracle.runner.status())["forked"] == before
    statement = "count <= count + 4'd1;"
    for arm, verdict in zip(arms, result):
        own = await oracle.simulate(SourceText("alone.sv", GOOD.replace(statement, arm)), bench, timeout_s=20,
                                    interface=problem.interface, agreement=True)
        assert figures(verdict) == figures(own), arm
    assert [v.status for v in result] == [Status.FUNCTIONAL_FAIL, Status.PASS]


async def test_a_candidate_cannot_call_the_modules_function_or_pass_for_a_schemas_guarded_copies(oracle, problem):
    """Hostile: the fork module's function, guessed (its real name is random per runner), is
    refused in design code alone and in a schema's arm; blocks shaped like a schema's guarded
    copies, on a selector-like variable of the candidate's own, are two writers of one variable
    when judged alone (the race check exempts guards only on the selector the oracle names)."""
    calls = GOOD.replace("count <= count + 4'd1;", "count <= count + $anvil_choice_0();")
    alone_verdict = await oracle.simulate(SourceText("h.sv", calls), problem.bench, interface=problem.interface)
    assert alone_verdict.status is Status.COMPILE_ERROR and "$anvil_choice_0" in alone_verdict.reason
    selector = Selector.fresh()
    text = counter_schema(selector, ["count <= count + 4'd1;", "count <= count + 4'd1 + $anvil_choice_0() - 1;"])
    result = await oracle.simulate_variants(SourceText("s.sv", text), problem.bench, selector, 2,
                                            interface=problem.interface, timeout_s=5)
    assert isinstance(result, Verdict) and result.status is Status.COMPILE_ERROR, result
    own = "anvil_choice_0123456789ab"
    body = "begin if (reset) count <= 4'd0; else if (en) count <= count + 4'd1; end"
    blocks = (f"reg [31:0] {own} = 32'd1;\n"
              f"always @(posedge clk) if (!({own} >= 32'd1 && {own} <= 32'd1)) {body}\n"
              f"always @(posedge clk) if ({own} == 32'd1) {body}\n")
    start, end = GOOD.index("  always"), GOOD.index("endmodule")
    shaped = GOOD[:start] + blocks + GOOD[end:]
    verdict = await oracle.simulate(SourceText("g.sv", shaped), problem.bench, interface=problem.interface)
    assert verdict.status is Status.COMPILE_ERROR and "two always blocks" in verdict.reason, verdict
