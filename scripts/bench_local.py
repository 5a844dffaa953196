#!/usr/bin/env python3
"""The embedded local model's speed, per server configuration, on the loop's own requests.

    .venv/bin/python scripts/bench_local.py [--model 1.5b] [--repeat 2] \\
        [--config threads=2,parallel=4,spec=none] [--config threads=2,parallel=4,spec=ngram] ...

For each configuration a fresh llama.cpp server (the one the local provider runs) serves, after
a warm-up, two phases of the work a run does, built with the engine's own prompts:

- samples: 4 concurrent first requests for the counter4 example's spec;
- repairs: 2 concurrent repair requests showing a wrong counter and its failing vectors (the
  answer re-emits most of the code it was shown: what n-gram drafting can guess);
- one (``--phases one``): a single sample request, for the model under a competing load.

``together=1`` sends the samples as the local provider does, one request asking for 4 answers.

Printed per configuration (median over ``--repeat``): each phase's wall time, the time to the
first finished sample, generated tokens per second over the phase (all answers' tokens / wall),
the server's own prompt and generation rates per request, and for speculative decoding the
share of drafted tokens accepted. Figures, not assertions: run it on an idle machine, and with
``--load N`` (N busy processes) to see the model under a competing load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.designs import design_for  # noqa: E402
from engine.problem import Problem  # noqa: E402
from engine.prompts import Feedback, first_request, repair_request  # noqa: E402
from engine.providers.local import PREFILL, ModelServer, ServerConfig, ensure_model_file, resolve_model  # noqa: E402
from oracle import Oracle, SourceText  # noqa: E402

EX = ROOT / "examples" / "counter4"


def parse_config(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(",") if item)


def model_file(name: str) -> Path:
    resolved = resolve_model(name)
    return resolved if isinstance(resolved, Path) else ensure_model_file(resolved)


def ask(url: str, messages: list[dict[str, str]], seed: int, max_tokens: int, n: int = 1) -> dict[str, Any]:
    """One chat completion, as the local provider sends it (prefilled fence, stop at the closing
    one); ``n`` answers to it from one call, as the provider asks for a round's samples."""
    body = {"model": "local", "messages": [*messages, {"role": "assistant", "content": PREFILL}],
            "temperature": 0.8, "seed": seed, "max_tokens": max_tokens, "stop": ["```"], "n": n}
    request = urllib.request.Request(url + "/v1/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=1800) as answer:
        data: dict[str, Any] = json.loads(answer.read())
    data["wall_s"] = time.perf_counter() - start
    return data


def tokens(url: str, text: str) -> int:
    """The model's own count of ``text``'s tokens (the server's usage counts one answer of several)."""
    request = urllib.request.Request(url + "/tokenize", data=json.dumps({"content": text}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return len(json.loads(answer.read())["tokens"])


async def phase(url: str, requests: list[list[dict[str, str]]], max_tokens: int, together: bool) -> dict[str, float]:
    start = time.perf_counter()
    if together and len(requests) > 1 and all(r == requests[0] for r in requests):
        done = [await asyncio.to_thread(ask, url, requests[0], 0, max_tokens, len(requests))]
    else:
        done = await asyncio.gather(*(asyncio.to_thread(ask, url, m, seed, max_tokens)
                                      for seed, m in enumerate(requests)))
    wall = time.perf_counter() - start  # counting the tokens is not part of the phase
    generated = sum([await asyncio.to_thread(tokens, url, c["message"]["content"])
                     for d in done for c in d["choices"]])
    timings = [d.get("timings", {}) for d in done]
    drafted = sum(t.get("draft_n", 0) for t in timings)
    accepted = sum(t.get("draft_n_accepted", 0) for t in timings)
    return {"wall_s": wall, "first_s": min(d["wall_s"] for d in done), "tokens": generated,
            "tok_per_s": generated / wall,
            "gen_per_s_each": statistics.median(t.get("predicted_per_second", 0.0) for t in timings),
            "prompt_per_s_each": statistics.median(t.get("prompt_per_second", 0.0) for t in timings),
            "accepted": accepted / drafted if drafted else float("nan")}


async def workload() -> tuple[list[list[dict[str, str]]], list[list[dict[str, str]]]]:
    oracle = Oracle()
    design = design_for(EX / "counter4.md")
    assert design is not None
    problem = Problem.from_design(design, oracle=oracle)
    sample = [{"role": m.role, "content": m.content}
              for m in first_request(problem.spec, top=problem.top, ports=problem.interface)]
    bad = (EX / "counter4_bad.sv").read_text()
    verdict = await oracle.simulate(SourceText("counter4.sv", bad), problem.bench)
    repair = [{"role": m.role, "content": m.content}
              for m in repair_request(problem.spec, bad, verdict, top=problem.top, ports=problem.interface,
                                      mode=Feedback.VECTORS)]
    return [sample] * 4, [repair] * 2


def burn(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


async def measure(config: dict[str, str], model: Path, draft: Path | None, repeat: int,
                  max_tokens: int, phases: list[str]) -> dict[str, list[float]]:
    samples, repairs = await workload()
    server = ModelServer(ServerConfig(model, threads=int(config.get("threads", 2)),
                                      parallel=int(config.get("parallel", 4)), ctx=int(config.get("ctx", 4096)),
                                      spec=config.get("spec", "none"),
                                      draft=draft if config.get("spec") == "draft" else None,
                                      poll=int(config.get("poll", 0)), kv_unified=config.get("kv") == "unified"))
    url = await asyncio.to_thread(server.start)
    figures: dict[str, list[float]] = {}
    try:
        await phase(url, samples[:1], 16, False)  # warm-up
        for _ in range(repeat):
            for name, requests in (("samples", samples), ("repairs", repairs), ("one", samples[:1])):
                if name not in phases:
                    continue
                for key, value in (await phase(url, requests, max_tokens, config.get("together") == "1")).items():
                    figures.setdefault(f"{name} {key}", []).append(value)
    finally:
        await asyncio.to_thread(server.stop)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="1.5b")
    parser.add_argument("--draft-model", default="0.5b", help="the draft model of spec=draft configurations")
    parser.add_argument("--config", action="append", default=[],
                        help="threads=N,parallel=N,ctx=N,spec=none|ngram|draft,poll=0-100,kv=unified,together=0|1 "
                             "(together=1: a round's samples as one call with several answers, as the local "
                             "provider asks; repeatable)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--load", type=int, default=0, help="busy processes competing for the cores")
    parser.add_argument("--phases", default="samples,repairs",
                        help="which of samples, repairs, one (a single sample request) to run")
    args = parser.parse_args()
    configs = [parse_config(c) for c in args.config] or [parse_config("threads=2,parallel=4,spec=none")]
    model = model_file(args.model)
    draft = model_file(args.draft_model) if any(c.get("spec") == "draft" for c in configs) else None
    hogs = [multiprocessing.Process(target=burn, args=(time.monotonic() + 24 * 3600,), daemon=True)
            for _ in range(args.load)]
    for hog in hogs:
        hog.start()
    try:
        for config in configs:
            figures = await measure(config, model, draft, args.repeat, args.max_tokens, args.phases.split(","))
            label = ",".join(f"{k}={v}" for k, v in config.items()) + (f" (load {args.load})" if args.load else "")
            print(f"\n{label}: {model.name}, median of {args.repeat}", flush=True)
            for key, values in figures.items():
                spread = f"  [{min(values):.2f}-{max(values):.2f}]" if len(values) > 1 else ""
                print(f"  {key:<28} {statistics.median(values):9.2f}{spread}", flush=True)
    finally:
        for hog in hogs:
            hog.terminate()


if __name__ == "__main__":
    asyncio.run(main())
