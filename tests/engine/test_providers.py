"""Provider plumbing without a network: replay/record, retries, the error table, the registry."""


import pytest

from engine.providers import (
    ProviderConfigError,
    ProviderSettings,
    RecordingProvider,
    ReplayMiss,
    ReplayProvider,
    make_provider,
)
from engine.providers.base import (
    CompletionRequest,
    Message,
    ProviderRequestError,
    ProviderTimeout,
    ProviderUnavailable,
    RetryPolicy,
    classify_status,
)
from tests.engine.fakes import ScriptedProvider


def req(text, seed=0):
    return CompletionRequest((Message("user", text),), temperature=0.5, seed=seed)


async def test_recording_replays_answers_in_order(tmp_path):
    path = tmp_path / "rec.jsonl"
    recorder = RecordingProvider(ScriptedProvider(["one", "two", "three"]), path)
    assert [(await recorder.complete(req("q"))).text for _ in range(2)] == ["one", "two"]
    assert (await recorder.complete(req("other"))).text == "three"
    replay = ReplayProvider(path)
    assert (await replay.complete(req("other"))).text == "three"
    assert (await replay.complete(req("q"))).text == "one"
    assert (await replay.complete(req("q"))).text == "two"
    with pytest.raises(ReplayMiss, match="no recorded answer"):
        await replay.complete(req("q"))
    with pytest.raises(ReplayMiss):
        await replay.complete(req("q", seed=1))  # a different request is not served


async def test_reuse_answers_what_was_recorded_and_asks_the_model_for_the_rest(tmp_path):
    path = tmp_path / "rec.jsonl"
    await RecordingProvider(ScriptedProvider(["recorded"]), path).complete(req("q"))
    live = ScriptedProvider(["live one", "live two"])
    reuse = ReplayProvider(path, fallback=live)
    assert (await reuse.complete(req("q"))).text == "recorded" and live.requests == []
    assert (await reuse.complete(req("q"))).text == "live one"  # the recording has no second answer
    assert (await reuse.complete(req("new"))).text == "live two" and reuse.reused == 1
    made = make_provider(ProviderSettings(provider="replay", model=str(path), reuse=path))
    assert isinstance(made, ReplayProvider) and isinstance(made.fallback, ReplayProvider)


def test_replay_rejects_bad_files(tmp_path):
    with pytest.raises(ProviderConfigError, match="not found"):
        ReplayProvider(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"key": "k", "request": {}}\nnot json\n')
    with pytest.raises(ProviderConfigError, match="bad.jsonl:1"):
        ReplayProvider(bad)


async def test_retries_retryable_errors_then_gives_up():
    slept = []

    async def sleep(s):
        slept.append(s)

    calls = []

    async def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ProviderUnavailable("503")
        return "ok"

    policy = RetryPolicy(attempts=4, base_delay_s=1, sleep=sleep)
    assert await policy.run(flaky, "call") == "ok" and len(calls) == 3 and len(slept) == 2
    assert 0.5 <= slept[0] <= 1 and 1 <= slept[1] <= 2

    async def always():
        raise ProviderTimeout("slow")

    with pytest.raises(ProviderTimeout):
        await RetryPolicy(attempts=3, sleep=sleep).run(always, "call")

    async def fatal():
        calls.append(1)
        raise ProviderRequestError("too long")

    before = len(calls)
    with pytest.raises(ProviderRequestError):
        await policy.run(fatal, "call")
    assert len(calls) == before + 1  # not retried


@pytest.mark.parametrize("status, kind, retryable", [
    (401, ProviderConfigError, False), (404, ProviderConfigError, False), (400, ProviderRequestError, False),
    (429, ProviderUnavailable, True), (503, ProviderUnavailable, True), (408, ProviderTimeout, True),
])
def test_status_table(status, kind, retryable):
    err = classify_status(status, "msg", "openai")
    assert isinstance(err, kind) and err.retryable is retryable


def test_registry_errors_name_the_choices(monkeypatch):
    with pytest.raises(ProviderConfigError, match="choose one of local, openai, anthropic, replay"):
        make_provider(ProviderSettings(provider="bogus"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ProviderConfigError, match="OPENAI_API_KEY"):
        make_provider(ProviderSettings(provider="openai", model="gpt-x"))
    with pytest.raises(ProviderConfigError, match="no model"):
        make_provider(ProviderSettings(provider="openai", base_url="http://localhost:1/v1"))
    monkeypatch.setenv("MY_KEY", "secret")
    p = make_provider(ProviderSettings(provider="openai", model="m", api_key_env="MY_KEY"))
    assert p.model == "m"
    with pytest.raises(ProviderConfigError, match="unknown model"):
        make_provider(ProviderSettings(provider="local", model="gpt-17"))
    with pytest.raises(ProviderConfigError, match="recording file"):
        make_provider(ProviderSettings(provider="replay"))


async def test_unreachable_endpoint_is_a_clear_retryable_error():
    p = make_provider(ProviderSettings(provider="openai", model="m", base_url="http://127.0.0.1:9/v1", timeout_s=2))
    p.retry = RetryPolicy(attempts=1)
    with pytest.raises(ProviderUnavailable, match="cannot connect to http://127.0.0.1:9/v1"):
        await p.complete(req("hi"))
    a = make_provider(ProviderSettings(provider="anthropic", base_url="http://127.0.0.1:9", timeout_s=2))
    a.retry = RetryPolicy(attempts=1)
    with pytest.raises(ProviderUnavailable, match="cannot connect"):
        await a.complete(req("hi"))


def test_recording_and_reuse_keep_the_models_context_window(tmp_path):
    """Prompts are fitted to the model's window whether or not a run records or reuses answers."""
    class ShortContext(ScriptedProvider):
        context_tokens = 1600

    recording = RecordingProvider(ShortContext([]), tmp_path / "r.jsonl")
    assert recording.context_tokens == 1600
    (tmp_path / "empty.jsonl").write_text("")
    assert ReplayProvider(tmp_path / "empty.jsonl", fallback=ShortContext([])).context_tokens == 1600
    assert ReplayProvider(tmp_path / "empty.jsonl").context_tokens is None
