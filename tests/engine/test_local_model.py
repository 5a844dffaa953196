"""Integration with real parts: the embedded llama.cpp server with the default 1.5B and the small 0.5B models, the real
OpenAI-compatible and Anthropic adapters pointed at it, and replay of a recorded run."""

import pytest

from engine import Strategy
from engine.providers import RecordingProvider, ReplayProvider
from engine.providers.anthropic_provider import AnthropicProvider
from engine.providers.base import CompletionRequest, Message
from engine.providers.local import LocalProvider
from engine.providers.openai_compat import OpenAIProvider
from oracle import Oracle
from sweeps.benchmark import read_dataset
from tests.conftest import DATASET
from tests.engine.fakes import Solver

pytestmark = pytest.mark.slow  # every test here loads a local model

SMALL = "0.5b"
EASY = ["Prob001_zero", "Prob005_notgate", "Prob007_wire"]
QUESTION = CompletionRequest((Message("system", "You write Verilog."),
                              Message("user", "Write a Verilog module TopModule with input a and output y = ~a.")),
                             temperature=0.0, max_tokens=120, seed=1)


def problems(names):
    if not DATASET.is_dir():
        pytest.skip("VerilogEval data not present")
    return [p for p in read_dataset(DATASET) if p.name in names]


async def test_the_default_local_model_solves_easy_problems_under_the_oracle():
    """The zero-configuration path end to end: the default 1.5B model writes RTL, Icarus judges it.

    Model output is sampled (and llama.cpp batches concurrent requests, so even a fixed seed is
    not bit-for-bit repeatable); the budget is the engine's normal one, so that a wrong answer
    from a sound pipeline is rare (measured: 2 samples solve each of these 8 times in 12), while
    a broken prompt, extraction or verdict makes every problem fail."""
    provider = LocalProvider()
    oracle = Oracle(workers=2)
    results = []
    for item in problems(EASY):
        engine = Solver(provider, oracle, strategy=Strategy(samples=4, rounds=1, repair_width=2, seed=3))
        results.append(await engine.solve(item.problem(oracle)))
    await provider.aclose()
    assert len(results) == len(EASY)
    for result in results:
        assert result.calls >= 1 and result.tokens > 0 and result.candidates
        assert all(c.verdict.simulator.startswith("Icarus Verilog") for c in result.candidates)
        assert all("module TopModule" in c.code for c in result.candidates)
    solved = [r for r in results if r.solved]
    assert len(solved) >= 2, [(r.best.verdict.status, r.reason) for r in results]
    for r in solved:
        assert r.best.verdict.samples > 0 and r.best.verdict.mismatched_samples == 0


async def test_openai_and_anthropic_adapters_talk_to_the_real_llama_server():
    local = LocalProvider(model=SMALL)
    url = await local.ensure_started()
    openai = OpenAIProvider(model="qwen", base_url=url + "/v1", api_key="unused")
    anthropic = AnthropicProvider(model="qwen", base_url=url, api_key="unused")
    for provider in (openai, anthropic):
        answer = await provider.complete(QUESTION)
        assert "module" in answer.text and "TopModule" in answer.text
        assert answer.prompt_tokens > 0 and 0 < answer.completion_tokens <= 120
        assert answer.latency_s > 0
        await provider.aclose()
    await local.aclose()


async def test_replay_reproduces_a_recorded_run_exactly(tmp_path):
    item = problems(["Prob011_norgate"])[0]
    oracle = Oracle(workers=1)
    # every first-round sample is judged: with a stop at the first pass, which of two concurrent
    # samples is still judged when the other passes depends on timing, live and in replay alike
    strategy = Strategy(samples=2, rounds=1, repair_width=1, seed=11, stop_at_pass=False)
    local = LocalProvider(model=SMALL)
    recording = tmp_path / "run.jsonl"
    live = await Solver(RecordingProvider(local, recording), oracle, strategy=strategy).solve(item.problem(oracle))
    await local.aclose()
    again = await Solver(ReplayProvider(recording), Oracle(workers=1), strategy=strategy).solve(item.problem(oracle))

    def shape(result):
        """What each model call led to, in call order (completion order may differ)."""
        return [(c.provenance.call, c.origin, c.code, c.verdict.status, c.verdict.score, c.verdict.mismatches)
                for c in sorted(result.candidates, key=lambda c: (c.provenance.call or 0, c.id))]

    assert live.calls >= 2
    assert (again.status, again.calls, again.tokens) == (live.status, live.calls, live.tokens)
    assert shape(again) == shape(live)
