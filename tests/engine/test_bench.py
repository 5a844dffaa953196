"""`anvil bench`: dataset reading, equal budgets, pass@k, resume and the report, on real Icarus."""

import asyncio
import json
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from engine.ledger import Ledger
from engine.providers import RecordingProvider
from engine.run import Runtime
from engine.settings import RunSettings
from oracle import Oracle
from sweeps.benchmark import arms, pass_at_k, read_dataset, run_arm, summarise, sweep
from sweeps.outcomes import JsonlOutcomes, LedgerOutcomes, Outcome
from tests.conftest import ROOT
from tests.engine.fakes import ScriptedProvider, fenced

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
WRAP = GOOD.replace("count + 4'd1", "(count == 4'd9 ? 4'd0 : count + 4'd1)")


def runtime(provider, oracle=None) -> Runtime:
    return Runtime(provider=provider, oracle=oracle or Oracle())


@pytest.fixture
def data(tmp_path):
    """A small dataset in the VerilogEval layout, made from the project's own example."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("alpha", "beta"):
        shutil.copy(EX / "counter4.md", folder / f"{name}_prompt.txt")
        shutil.copy(EX / "counter4_tb.sv", folder / f"{name}_test.sv")
        shutil.copy(EX / "counter4_ref.sv", folder / f"{name}_ref.sv")
    (folder / "gamma_prompt.txt").write_text("no testbench for this one")
    return folder


def test_reading_the_verilogeval_layout(data, dataset):
    assert [p.name for p in read_dataset(data)] == ["alpha", "beta"]
    assert [p.name for p in read_dataset(data, only=["bet"])] == ["beta"]
    shared = read_dataset(dataset)
    assert len(shared) == 78 and shared[0].name == "Prob001_zero"
    assert [p.name for p in read_dataset(dataset, every=7, limit=3)] == ["Prob001_zero", "Prob015_vector1",
                                                                         "Prob029_m2014_q4g"]


@pytest.mark.parametrize("budget", [4, 5, 8])
async def test_every_strategy_gets_exactly_its_budget(data, budget):
    item = read_dataset(data)[0]
    oracle = Oracle()
    for arm in arms(RunSettings(budget=budget, patch="off"), ["single", "sample", "repair", "repair-summary", "repair-none"]):
        provider = ScriptedProvider(lambda request, i: fenced(WRAP.replace("4'd9", f"4'd{9 - i % 5}")))
        outcome = await run_arm(item.problem(oracle), arm, runtime(provider, oracle))
        expected = 1 if arm.name == "single" else budget
        assert outcome.calls == len(provider.requests) == expected, arm
        assert outcome.status == "unsolved"


def test_pass_at_k():
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 5) == 1.0
    assert pass_at_k(5, 1, 1) == pytest.approx(0.2)
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert pass_at_k(4, 3, 2) == 1.0


def test_pass_at_k_only_for_arms_that_draw_every_sample():
    def outcome(arm, passed, samples, unbiased):
        return Outcome("p", arm, "solved" if passed else "unsolved", samples, 10, 1.0, 1.0, 0.0, 0.0,
                       "pass" if passed else "functional_fail", 1.0 if passed else 0.5, 1 if passed else None,
                       passed, samples, unbiased=unbiased)

    rows = {r["strategy"]: r for r in summarise(
        [outcome("sample", 2, 4, True), outcome("repair", 1, 1, False)], ks=(1, 3))}
    assert rows["sample"]["pass@1"] == pytest.approx(0.5) and rows["sample"]["pass@3"] == 1.0
    # the repair arm stopped at its first pass: its samples say nothing unbiased about pass@k
    assert rows["repair"]["pass@1"] is None and rows["repair"]["pass@3"] is None
    assert [a.name for a in arms(RunSettings(budget=4, patch="off"), ["sample", "repair", "single"])] == ["sample", "repair", "single"]


async def test_an_interrupted_sweep_resumes_where_it_stopped(data, tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    store = LedgerOutcomes(ledger, "resume-test")
    dataset = read_dataset(data)
    arm_list = arms(RunSettings(budget=2, patch="off"), ["single", "sample"])
    slow = ScriptedProvider([fenced(WRAP)], delays=[0.0, 0.0, 0.0] + [30] * 10)
    task = asyncio.ensure_future(sweep(dataset, arm_list, runtime(slow), store=store))
    await asyncio.wait_for(_until(lambda: len(store.done()) >= 2), 30)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    finished = store.done()
    assert 2 <= len(finished) < 4
    counting = ScriptedProvider([fenced(GOOD)])
    await sweep(dataset, arm_list, runtime(counting), store=store)
    assert len(store.done()) == 4
    left = {(d.name, x.name) for d in dataset for x in arm_list} - finished
    assert len(counting.requests) == sum(1 if arm == "single" else 2 for _, arm in left)
    rows = summarise(store.outcomes())
    assert {r["strategy"] for r in rows} == {"single", "sample"}
    ledger.close()


async def _until(condition):
    while not condition():
        await asyncio.sleep(0.05)


async def test_cli_bench_with_replay_reports_table_plots_and_resumes(data, tmp_path):
    # record what the CLI will ask, answered by a scripted model that solves "beta" only on repair
    def answer(request, i):
        repair = len(request.messages) > 2
        return fenced(GOOD if repair else WRAP)

    recording = tmp_path / "rec.jsonl"
    await sweep(read_dataset(data), arms(RunSettings(budget=2, patch="off"), ["single", "sample", "repair"]),
                runtime(RecordingProvider(ScriptedProvider(answer), recording)),
                store=JsonlOutcomes(tmp_path / "scratch.jsonl"))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "anvil", "bench", str(data), "--budget", "2", "--patch", "off", "--provider", "replay",
           "--model", str(recording), "--ledger", str(tmp_path / "ledger.sqlite"), "--out", str(out), "--k", "1,2"]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 6
    by = {(o["problem"], o["arm"]): o for o in lines}
    assert by[("alpha", "repair")]["status"] == "solved" and by[("alpha", "sample")]["status"] == "unsolved"
    assert by[("alpha", "repair")]["first_pass_call"] == 2
    summary = (out / "summary.md").read_text()
    assert "| strategy" in summary and "pass@2" in summary and "repair" in summary
    for png in ("solve_rate.png", "failures.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert again.returncode == 0 and "6 done, 0 to run" in again.stderr
    changed = subprocess.run(cmd[:-2] + ["--k", "1", "--budget", "3"], capture_output=True, text=True, cwd=ROOT)
    assert "6 done" not in changed.stderr  # other settings: another sweep


def test_broken_benches_are_reported_apart(data, tmp_path):
    # a reference whose ports differ from the testbench's (as Prob099's): it fails its own bench
    (data / "beta_ref.sv").write_text((EX / "counter4_ref.sv").read_text().replace("count", "cnt"))
    only = ["beta", "alpha"]
    recording = tmp_path / "none.jsonl"
    recording.write_text("")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "anvil", "bench", str(data), *sum((["--only", o] for o in only), []),
                          "--strategies", "single", "--provider", "replay", "--model", str(recording),
                          "--ledger", str(tmp_path / "l.sqlite"), "--out", str(out)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    results = {json.loads(x)["problem"]: json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()}
    assert results["beta"]["status"] == "broken"
    assert results["alpha"]["status"] == "error"  # the replay has no answer: an error, not a made-up one
    assert "Broken benches" in run.stdout and "beta" in run.stdout


async def test_patch_arms_turn_near_misses_into_passes_that_hold(data):
    dataset = read_dataset(data)[:1]
    store = JsonlOutcomes(data / "patch.jsonl")
    provider = ScriptedProvider(lambda request, i: fenced(WRAP))  # every sample wraps at 9, not 15
    await sweep(dataset, arms(RunSettings(budget=2, patch="off"), ["sample", "sample+patch"]), runtime(provider), store=store)
    by = {o.arm: o for o in store.outcomes()}
    assert by["sample"].status == "unsolved" and by["sample"].holds is None
    patched = by["sample+patch"]
    assert patched.status == "solved" and patched.patched and patched.patch_simulations > 0
    assert patched.holds is True and patched.calls == 2
    rows = {r["strategy"]: r for r in summarise(store.outcomes())}
    assert rows["sample+patch"]["holds"] == 1 and rows["sample+patch"]["patched"] == 1


def test_arms_are_built_from_the_run_settings_and_honour_every_one():
    settings = RunSettings(budget=6, patch="on", patch_simulations=77, max_tokens=333, repair_temperature=0.3, seed=7,
                           temperature=0.5, feedback="focus")
    by_name = {a.name: a for a in arms(settings, ["single", "sample", "repair", "repair-summary+patch"])}
    assert by_name["single"].calls == 1 and all(a.calls == 6 for n, a in by_name.items() if n != "single")
    for arm in by_name.values():
        s = arm.strategy
        assert (s.max_tokens, s.repair_temperature, s.seed) == (333, 0.3, 7), arm
        assert s.patch is not None and s.patch.simulations == 77, arm  # --patch on reaches every arm
    assert by_name["sample"].strategy.temperature == 0.5 and by_name["single"].strategy.temperature == 0.0
    assert by_name["repair"].strategy.feedback.value == "vectors"  # the arm names its feedback
    assert by_name["repair-summary+patch"].strategy.feedback.value == "summary"
    plain = arms(replace(settings, patch="off"), ["sample", "sample+patch"])
    assert plain[0].strategy.patch is None and plain[1].strategy.patch is not None
    with pytest.raises(ValueError, match="unknown strategy"):
        arms(settings, ["nope"])


def test_judge_arms_are_named_after_their_schedule_or_their_questions():
    built = {a.name: a for a in arms(RunSettings(budget=4, patch="off"),
                                     ["repair@reference", "sample+patch@reference", "spec-only", "spec-only+3q"])}
    assert built["repair@reference"].judge == "reference" and built["repair@reference"].strategy.rounds > 0
    assert built["sample+patch@reference"].strategy.patch is not None
    assert built["spec-only+3q"].judge == "spec-only" and built["spec-only+3q"].calls == 4
    with pytest.raises(ValueError, match="spec-only"):
        arms(RunSettings(budget=4), ["spec-only+2q"])


async def test_judge_arms_hide_the_testbench_and_score_the_answer_by_it(data):
    """Reference mode judged by the reference alone; spec-only mode with and without a question
    answered by the reference; the golden testbench only says whether the answer is right."""
    from sweeps.benchmark import judged_by

    item = read_dataset(data)[0]
    settings = RunSettings(budget=3, patch="off")
    built = {a.name: a for a in arms(settings, ["repair@reference", "spec-only", "spec-only+1q"])}

    def scripted(answers):
        return runtime(ScriptedProvider(lambda request, i: fenced(answers[i % len(answers)])))

    async with scripted([WRAP, GOOD]) as rt:  # the reference passes GOOD, and so does the golden testbench
        by_ref = await judged_by(item, built["repair@reference"], rt, tag="t")
    assert (by_ref.status, by_ref.judge, by_ref.given) == ("solved", "reference", True), by_ref
    async with scripted([WRAP, WRAP, GOOD]) as rt:  # most candidates are wrong alike
        alone = await judged_by(item, built["spec-only"], rt, tag="t")
    assert (alone.status, alone.given, alone.questions, alone.calls) == ("unsolved", True, 0, 3), alone
    assert "wrong by the hidden testbench" in alone.reason
    async with scripted([WRAP, WRAP, GOOD]) as rt:  # the reference's answer to one question rules them out
        asked = await judged_by(item, built["spec-only+1q"], rt, tag="t")
    assert (asked.status, asked.given, asked.questions) == ("solved", True, 1), asked
    rows = {r["strategy"]: r for r in summarise([by_ref, alone, asked])}
    assert rows["spec-only"]["right/given"] == "0/1" and rows["spec-only+1q"]["right/given"] == "1/1"
