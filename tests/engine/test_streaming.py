"""Streamed answers: a call is bounded by its progress, not its length, and an answer that loops
or runs on into a testbench is cut where the waste starts (a scripted endpoint on 127.0.0.1)."""

import asyncio
import time
from pathlib import Path

import pytest

from engine.providers.base import CompletionRequest, Message, ProviderTimeout, RetryPolicy
from engine.providers.guard import repetition, runaway, trim
from engine.providers.openai_compat import OpenAIProvider
from scripts.support.faults import ANSWER, FaultServer
from tests.conftest import ROOT

EVAL = ROOT.parent / "shared" / "verilog-eval"


def req() -> CompletionRequest:
    return CompletionRequest((Message("user", "write it"),), temperature=0.5, seed=1)


def provider(url: str, *, timeout_s: float, stall_s: float) -> OpenAIProvider:
    return OpenAIProvider(model="m", base_url=url, timeout_s=timeout_s, stall_s=stall_s,
                          retry=RetryPolicy(attempts=1))


async def test_a_slow_steady_answer_is_not_cut_for_its_length():
    async with FaultServer("trickle", delay_s=0.05) as server:
        start = time.monotonic()
        answer = await provider(server.url, timeout_s=1.0, stall_s=1.0).complete(req())
    assert time.monotonic() - start > 1.0  # longer than the timeout, yet whole
    assert answer.text == ANSWER and answer.finish_reason == "stop"
    assert answer.prompt_tokens == 10  # from the usage the server sends after the answer
    assert answer.completion_tokens == len(range(0, len(ANSWER), 4))


async def test_an_answer_that_stops_coming_is_cut_by_the_no_progress_bound():
    async with FaultServer("stall") as server:
        start = time.monotonic()
        with pytest.raises(ProviderTimeout, match=r"no progress for 0.5 s \(8 characters so far\)"):
            await provider(server.url, timeout_s=30, stall_s=0.5).complete(req())
    assert time.monotonic() - start < 10


async def test_a_looping_answer_is_cut_and_kept_once():
    async with FaultServer("loop") as server:
        answer = await asyncio.wait_for(provider(server.url, timeout_s=5, stall_s=5).complete(req()), 30)
        for _ in range(50):
            if server.closed:
                break
            await asyncio.sleep(0.1)
        assert server.closed == 1  # the client hung up: the server stops generating
    assert answer.finish_reason == "repetition"
    assert answer.text.startswith("module TopModule(input a, output y);\n  assign y = a;\n")
    assert answer.text.count("assign y = a;") == 1


def test_a_testbench_after_the_design_is_dropped():
    design = "module TopModule(input a, output y);\n  assign y = a;\nendmodule\n"
    text = design + "\n// Testbench\nmodule tb_TopModule;\n  reg a;\n"
    assert runaway(text) == "testbench"
    assert trim(text, "testbench") == design
    helper = design + "\nmodule full_adder(input a, b, output s);\n"  # a submodule is not a bench
    assert runaway(helper) is None


def test_short_and_periodic_texts():
    assert repetition("abc" * 100) is None  # too short to call a loop
    assert repetition("abc" * 300) == 3
    assert repetition("  x <= x + 1;\n" * 60) == len("  x <= x + 1;\n")
    assert repetition("end\n" * 10) is None  # too short to call a loop


@pytest.mark.skipif(not EVAL.is_dir(), reason="the shared VerilogEval problems are not here")
def test_no_real_design_is_cut():
    """Every reference design of the shared problems and of the examples reads to its end."""
    files = sorted(Path(EVAL).rglob("*_ref.sv")) + [p for p in sorted((ROOT / "examples").rglob("*.sv"))
                                                   if "_tb" not in p.name]
    assert len(files) > 78
    for path in files:
        text = path.read_text()
        for end in range(64, len(text) + 64, 64):  # as the stream grows
            assert runaway(text[:end]) is None, (path, end, runaway(text[:end]))


async def test_several_answers_from_one_call_each_heard_when_finished():
    answers = [ANSWER, ANSWER.replace("assign y = a;", "assign y = ~a;"), ANSWER.replace("a;", "1'b0;")]
    heard = []
    async with FaultServer("trickle", answers) as server:
        got = await provider(server.url, timeout_s=5, stall_s=5).complete_many(
            req(), 3, on_choice=lambda i, c: heard.append((i, c.text)))
        assert server.requests == 1
    assert [c.text for c in got] == answers
    assert sorted(heard) == list(enumerate(answers))


async def test_the_local_provider_asks_once_for_a_rounds_samples(monkeypatch):
    """Requests that differ only in their seed and come together share one call (the model
    server reads their prompt once); another request gets its own."""
    from dataclasses import replace

    from engine.providers.local import LocalProvider

    answers = ["module A; endmodule\n```", "module B; endmodule\n```", "module C; endmodule\n```"]
    async with FaultServer("trickle", answers) as server:
        local = LocalProvider(model="1.5b")
        local._adapter = provider(server.url, timeout_s=5, stall_s=5)

        async def started() -> str:
            return server.url
        monkeypatch.setattr(local, "ensure_started", started)
        first = req()
        texts = await asyncio.gather(*(local.complete(replace(first, seed=s)) for s in (1, 2, 3)))
        assert server.requests == 1
        assert sorted(t.text.split("\n")[1] for t in texts) == ["module A; endmodule", "module B; endmodule",
                                                                 "module C; endmodule"]
        other = CompletionRequest((Message("user", "something else"),), temperature=0.5, seed=1)
        await asyncio.gather(local.complete(first), local.complete(other))
        assert server.requests == 3
        # more than the server's parallel slots at once (it refuses n above them): calls of at most that many
        local.parallel = 2
        texts = await asyncio.gather(*(local.complete(replace(first, seed=s)) for s in range(5)))
        assert server.requests == 6 and server.choices[-3:] == [2, 2, 1], server.choices
        assert all(t.text.startswith("```") for t in texts)
