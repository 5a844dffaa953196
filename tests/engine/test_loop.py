"""The loop, driven by a scripted provider with the real oracle (Icarus) judging."""

import asyncio

import pytest

from engine import Budget, Feedback, Problem, Strategy
from engine.designs import design_for
from engine.extract import extract_verilog
from engine.providers.base import ProviderConfigError, ProviderUnavailable
from oracle import Oracle, SourceText
from tests.conftest import ROOT
from tests.engine.fakes import ScriptedProvider, Solver, fenced

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
BAD = (EX / "counter4_bad.sv").read_text()  # asynchronous reset
WRAP = GOOD.replace("count + 4'd1", "(count == 4'd9 ? 4'd0 : count + 4'd1)")  # wraps at 9
BROKEN = "module TopModule(input clk, input reset, input en, output [3:0] count);\n" \
         "always @(posedge clk) count <= count + 1;\nendmodule\n"


@pytest.fixture
def problem():
    return Problem.from_design(design_for(EX / "counter4.md"))


class CountingOracle(Oracle):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.simulated = []

    async def simulate(self, design, bench, **kw):
        self.simulated.append(design)
        return await super().simulate(design, bench, **kw)


def engine(provider, events=None, oracle=None, **strategy):
    budget = strategy.pop("budget", Budget())
    return Solver(provider, oracle or Oracle(), strategy=Strategy(**strategy), budget=budget,
                  listener=(events.append if events is not None else None))


async def test_stops_at_the_first_pass_and_cancels_the_rest(problem):
    provider = ScriptedProvider([fenced(BAD), fenced(GOOD), fenced(BAD), fenced(BAD)],
                                delays=[0.05, 0.5, 5, 5])
    events = []
    oracle = Oracle()
    await oracle.check_bench(problem.bench)
    result = await engine(provider, events, oracle=oracle, samples=4).solve(problem)
    assert result.solved and result.best.code == extract_verilog(GOOD)
    assert result.calls == 2 and len(result.candidates) == 2
    assert provider.cancelled == 2 and provider.active == 0
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished" and "Solved" in kinds


async def test_repair_prompt_carries_the_concrete_failing_vectors(problem):
    provider = ScriptedProvider([fenced(WRAP), fenced(GOOD)])
    result = await engine(provider, samples=1, rounds=1, repair_width=1).solve(problem)
    assert result.solved and result.calls == 2
    repair = provider.requests[1].messages
    assert repair[-2].role == "assistant" and "4'd9" in repair[-2].content
    feedback = repair[-1].content
    assert "| cycle | time | edge | inputs | output | expected | actual |" in feedback
    first_bad = result.candidates[0].verdict.mismatches[0]
    assert first_bad.expected == "4'ha" and first_bad.actual == "4'h0"
    assert f"| {first_bad.cycle} | {first_bad.time} | {first_bad.edge} |" in feedback
    assert "4'ha (10)" in feedback and "4'h0 (0)" in feedback


async def test_a_repair_prompt_fits_a_small_context_window(problem):
    """A model with a short context gets a shorter repair prompt, never an error (patching off, so
    the repair is asked for)."""
    from engine.prompts import estimate_tokens

    class ShortContext(ScriptedProvider):
        context_tokens = 1600

    provider = ShortContext([fenced(WRAP), fenced(GOOD)])
    result = await engine(provider, samples=1, rounds=1, repair_width=1, max_tokens=512, patch=None).solve(problem)
    assert result.solved and result.calls == 2
    repair = provider.requests[1].messages
    assert estimate_tokens(repair) <= 1600 - 512
    assert repair[-2].role == "assistant" and "4'd9" in repair[-2].content
    unlimited = ScriptedProvider([fenced(WRAP), fenced(GOOD)])
    wide = await engine(unlimited, samples=1, rounds=1, repair_width=1, max_tokens=512, patch=None).solve(problem)
    assert wide.solved and estimate_tokens(unlimited.requests[1].messages) > 1600 - 512  # it was shrunk


@pytest.mark.parametrize("mode, present, absent", [
    (Feedback.SUMMARY, "samples do not match", "| cycle |"),
    (Feedback.NONE, "does not pass the testbench", "samples"),
])
async def test_feedback_modes_hide_the_vectors(problem, mode, present, absent):
    provider = ScriptedProvider([fenced(WRAP), fenced(GOOD)])
    await engine(provider, samples=1, rounds=1, repair_width=1, feedback=mode).solve(problem)
    feedback = provider.requests[1].messages[-1].content
    assert present in feedback and absent not in feedback


async def test_compile_errors_are_shown_with_their_lines(problem):
    provider = ScriptedProvider([fenced(BROKEN), fenced(GOOD)])
    result = await engine(provider, samples=1, rounds=1, repair_width=1).solve(problem)
    assert result.candidates[0].verdict.status.value == "compile_error"
    feedback = provider.requests[1].messages[-1].content
    assert "does not compile" in feedback and "line 2" in feedback
    assert "   2 | always @(posedge clk) count <= count + 1;" in feedback


async def test_call_budget_holds(problem):
    provider = ScriptedProvider([fenced(BAD)])
    result = await engine(provider, samples=2, rounds=5, repair_width=2, budget=Budget(calls=3)).solve(problem)
    assert not result.solved and result.calls == 3 and len(provider.requests) == 3
    assert "budget" in result.reason


async def test_token_budget_holds(problem):
    provider = ScriptedProvider([fenced(BAD), fenced(WRAP)], tokens=500)
    result = await engine(provider, samples=1, rounds=5, repair_width=1, budget=Budget(tokens=2500)).solve(problem)
    assert result.tokens == 3000 and result.calls == 3


async def test_wall_budget_stops_inflight_calls(problem):
    provider = ScriptedProvider([fenced(GOOD)], delay_s=30)
    result = await engine(provider, samples=2, budget=Budget(wall_s=0.3)).solve(problem)
    assert result.status == "unsolved" and "wall-time" in result.reason
    assert provider.active == 0 and provider.cancelled == 2


async def test_cancellation_stops_model_calls_at_once(problem):
    provider = ScriptedProvider([fenced(GOOD)], delay_s=30)
    events = []
    task = asyncio.create_task(engine(provider, events, samples=3).solve(problem))
    while provider.active < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert provider.active == 0 and provider.cancelled == 3
    assert events[-1].result.status == "cancelled"


async def test_identical_answers_are_simulated_once(problem):
    oracle = CountingOracle()
    provider = ScriptedProvider([fenced(BAD), fenced("// same design, other comment\n" + BAD)])
    result = await engine(provider, oracle=oracle, samples=2, rounds=1, repair_width=1).solve(problem)
    assert len(oracle.simulated) == 1
    assert sum(c.duplicate_of is not None for c in result.candidates) == 2


async def test_a_worse_repair_does_not_replace_its_parent(problem):
    # round 1 repair compiles no better than its parent; round 2 must repair the parent again
    provider = ScriptedProvider([fenced(WRAP), fenced(BROKEN), fenced(GOOD)])
    result = await engine(provider, samples=1, rounds=2, repair_width=1).solve(problem)
    assert result.solved
    assert "4'd9" in provider.requests[2].messages[-2].content


async def test_fatal_provider_error_ends_the_run_with_its_message(problem):
    provider = ScriptedProvider([fenced(GOOD)], errors={0: ProviderConfigError("openai: bad key")})
    result = await engine(provider, samples=1, rounds=0).solve(problem)
    assert result.status == "error" and "bad key" in result.reason


async def test_retryable_failures_count_but_do_not_end_the_run(problem):
    provider = ScriptedProvider([fenced(GOOD)], errors={0: ProviderUnavailable("503")})
    result = await engine(provider, samples=2, rounds=0).solve(problem)
    assert result.solved and result.calls == 2


async def test_answers_without_code_are_resampled_not_repaired(problem):
    provider = ScriptedProvider(["I cannot help with that.", fenced(GOOD)])
    result = await engine(provider, samples=1, rounds=1, repair_width=1).solve(problem)
    assert result.solved
    assert len(provider.requests[1].messages) == 2  # a fresh first request, not a repair


async def test_timings_split_wall_time(problem):
    provider = ScriptedProvider([fenced(BAD)], delay_s=0.2)
    result = await engine(provider, samples=1, rounds=0).solve(problem)
    t = result.timings
    assert t.model_s >= 0.2 and t.sim_s > 0
    assert abs(t.model_s + t.sim_s + t.overhead_s - t.wall_s) < 0.01


async def test_without_stop_at_pass_every_sample_is_drawn(problem):
    provider = ScriptedProvider([fenced(GOOD), fenced(BAD), fenced(WRAP)], delays=[0.01, 0.2, 0.3])
    result = await engine(provider, samples=3, rounds=2, stop_at_pass=False).solve(problem)
    assert result.solved and result.calls == 3 and len(result.candidates) == 3
    assert result.best.code == extract_verilog(GOOD)


async def test_candidates_failing_the_same_way_are_repaired_once(problem):
    same_bug = WRAP.replace("4'd9", "4'h9")  # other text, same behaviour
    provider = ScriptedProvider([fenced(WRAP), fenced(same_bug), fenced(GOOD), fenced(GOOD)])
    result = await engine(provider, samples=2, rounds=1, repair_width=2).solve(problem)
    first, second = result.candidates[0].verdict, result.candidates[1].verdict
    assert first.mismatches == second.mismatches and first.score == second.score
    round1 = provider.requests[2:]
    assert sorted(len(r.messages) for r in round1) == [2, 4]  # one repair, one fresh sample


FAR_COUNTER = """module TopModule (input clk, input reset, input en, output reg [3:0] count);
  always @(posedge clk) count <= ~count ^ {en, reset, en, 1'b1};
endmodule
"""


@pytest.mark.parametrize("policy", ["fixed", "adaptive"])
async def test_the_adaptive_policy_samples_more_while_the_best_is_far_and_repairs_when_near(policy):
    from engine.patch import PatchBudget
    from engine.ranking import FAR_BITS
    from engine.values import Policy

    oracle = Oracle()
    problem = Problem.from_design(design_for(EX / "counter4.md"), oracle=oracle)
    near = (EX / "counter4_bad.sv").read_text()
    for first, far in ((FAR_COUNTER, True), (near, False)):
        verdict = await oracle.simulate(SourceText("c.sv", first), problem.bench, agreement=True)
        assert (verdict.agreement.bits < FAR_BITS) is far, verdict.agreement  # the case is what it says
        provider = ScriptedProvider([fenced(first)])
        strategy = Strategy(samples=1, rounds=1, repair_width=2, seed=5, policy=Policy(policy),
                            patch=PatchBudget(simulations=0))
        await Solver(provider, oracle, strategy=strategy).solve(problem)
        later = provider.requests[1:]
        assert len(later) == 2
        sampled = [r for r in later if r.messages == provider.requests[0].messages]
        if policy == "adaptive" and far:  # two more samples, continuing the first round's seeds
            assert sorted(r.seed for r in sampled) == [6, 7]
        else:  # the failing candidate is repaired (one distinct parent; the other slot samples afresh)
            repair = next(r for r in later if r not in sampled)
            assert len(sampled) == 1 and any(first.splitlines()[-2].strip() in m.content for m in repair.messages)
