"""`anvil bench`: strategies at an equal budget of model calls on a VerilogEval-layout dataset."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.settings import OUTPUT, PATCH, PROVIDER, SIMULATION, STRATEGY, add_arguments, from_args

from .common import EXIT_ERROR, EXIT_PASS, SubCommands, UsageError

if TYPE_CHECKING:
    from sweeps.benchmark import Arm
    from sweeps.outcomes import Outcome

STRATEGIES = "single,sample,repair"


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def register(sub: SubCommands) -> None:
    p = sub.add_parser("bench", help="compare strategies at an equal budget of model calls on a dataset")
    p.add_argument("dataset", type=Path, help="folder with *_prompt.txt, *_test.sv, *_ref.sv (VerilogEval layout)")
    p.add_argument("--only", action="append", default=[], metavar="TEXT", help="problems whose name contains TEXT")
    p.add_argument("--every", type=positive_int, default=1, help="every N-th problem (after --only)")
    p.add_argument("--limit", type=positive_int, help="at most N problems")
    p.add_argument("--strategies", default=STRATEGIES,
                   help="comma-separated: single, sample, repair, repair-focus, repair-summary, repair-none, "
                        "adaptive, each also with +patch (e.g. repair+patch) and @reference (judged by the "
                        "problem's reference alone, its testbench hidden); spec-only, spec-only+1q, spec-only+3q "
                        "(no testbench, 0/1/3 questions answered by the reference) (default %(default)s)")
    p.add_argument("--k", default="1", help="pass@k values for the sampling strategy, e.g. 1,4 (default 1)")
    p.add_argument("--concurrency", type=positive_int, default=1,
                   help="problems run at once by the local executor (default 1)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: in this process; ray: each (problem, strategy) a task on a Ray cluster "
                        "(pip install 'anvil-rtl[ray]') (default %(default)s)")
    p.add_argument("--address", metavar="auto|HOST:PORT|ray://HOST:PORT",
                   help="--executor ray: the cluster to use (default: start a local Ray for this sweep)")
    p.add_argument("--workers", type=positive_int,
                   help="--executor ray: workers (one CPU each; default: the cluster's CPUs)")
    p.add_argument("--name", help="sweep name (default: derived from the settings); a sweep resumes by name")
    p.add_argument("--fresh", action="store_true", help="forget earlier results of this sweep")
    p.add_argument("--out", type=Path, help="output folder (default runs/bench/NAME)")
    # every run setting applies to every arm; an arm sets only its schedule of calls (and +patch);
    # --budget is what it is for generate: the model calls a run may make
    add_arguments(p, groups=(PROVIDER, STRATEGY, PATCH, SIMULATION, OUTPUT), defaults={"budget": 8})
    p.set_defaults(handler=lambda args: asyncio.run(run_bench(args)))


def sweep_name(args: argparse.Namespace, settings: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    model = re.sub(r"[^A-Za-z0-9.]+", "-", Path(str(args.model or "default")).stem)
    return f"{args.dataset.resolve().name}-{args.provider}-{model}-b{args.budget}-{digest}"


async def run_bench(args: argparse.Namespace) -> int:
    from engine.providers import ProviderError
    from engine.run import Runtime
    from sweeps.benchmark import arms, read_dataset, sweep
    from sweeps.outcomes import LedgerOutcomes

    if not args.dataset.is_dir():
        raise UsageError(f"dataset folder not found: {args.dataset}")
    if args.executor != "ray" and (args.address or args.workers):
        raise UsageError("--address and --workers are for --executor ray")
    dataset = read_dataset(args.dataset, only=args.only, every=args.every, limit=args.limit)
    if not dataset:
        raise UsageError(f"no problems in {args.dataset} (expected NAME_prompt.txt, NAME_test.sv, NAME_ref.sv)"
                         + (f" matching {args.only}" if args.only else ""))
    try:
        run_settings = from_args(args)
        arm_list = arms(run_settings, [s.strip() for s in args.strategies.split(",") if s.strip()])
        ks = [int(k) for k in args.k.split(",")]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = {"dataset": str(args.dataset.resolve()), "problems": [d.name for d in dataset],
                "provider": args.provider, "model": args.model, "base_url": args.base_url, "budget": args.budget,
                "timeout": args.timeout, "arms": {a.name: {**a.strategy.to_dict(), "calls": a.calls} for a in arm_list}}
    name = args.name or sweep_name(args, settings)
    out = args.out or Path("runs") / "bench" / name
    async with Runtime(run_settings) as runtime:
        ledger = runtime.ledger
        if args.fresh:
            ledger.forget_sweep(name)
        started_with = ledger.sweep_settings(name, settings)
        if started_with != settings:
            raise UsageError(f"sweep {name} was started with other settings; pass --fresh to restart it or "
                             "--name to start another")
        store = LedgerOutcomes(ledger, name)
        before = len(store.done())
        todo = len(dataset) * len(arm_list) - before
        print(f"sweep {name}: {len(dataset)} problems x {len(arm_list)} strategies at {args.budget} calls; "
              f"{before} done, {todo} to run", file=sys.stderr)
        try:
            runtime.provider  # noqa: B018 - bad provider settings are a usage error, before any work
        except ProviderError as exc:
            raise UsageError(str(exc)) from None

        def show(o: Outcome) -> None:
            score = "" if o.best_score is None or o.status == "solved" else f" {o.best_score:.3f}"
            print(f"  {o.problem:<34} {o.arm:<15} {o.status:<8} calls {o.calls:>2}  best {o.best_status}{score} "
                  f"({o.wall_s:.0f} s)", file=sys.stderr, flush=True)

        failures = []
        if args.executor == "ray":
            from sweeps.distributed import RayUnavailable, ray_sweep

            try:
                done = await ray_sweep(dataset, arm_list, run_settings, store=store, ledger=ledger, name=name,
                                       address=args.address, workers=args.workers, on_outcome=show,
                                       on_note=lambda text: print(text, file=sys.stderr, flush=True))
            except RayUnavailable as exc:
                raise UsageError(str(exc)) from None
            failures = done.failures
        else:
            await sweep(dataset, arm_list, runtime, store=store, concurrency=args.concurrency, name=name,
                        on_outcome=show)
        outcomes = [o for o in store.outcomes() if o.problem in {d.name for d in dataset}]
    code = report(outcomes, arm_list, ks, args.budget, out, name)
    if failures:
        print(f"anvil: {len(failures)} task(s) did not finish ({failures[0].problem} {failures[0].arm}: "
              f"{failures[0].reason}); they are not in the results: run the same command again to retry them",
              file=sys.stderr)
        return EXIT_ERROR
    return code


def report(outcomes: Sequence[Outcome], arm_list: Sequence[Arm], ks: Sequence[int], budget: int, out: Path,
           name: str) -> int:
    from engine.values import RunStatus
    from sweeps.benchmark import summarise, table

    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for o in outcomes:
            f.write(json.dumps(asdict(o)) + "\n")
    order = {a.name: i for i, a in enumerate(arm_list)}  # the order asked for, whatever finished first
    rows = sorted(summarise(outcomes, ks), key=lambda r: order.get(r["strategy"], len(order)))
    text = table(rows)
    broken = sorted({o.problem for o in outcomes if o.status == RunStatus.BROKEN.value})
    lines = [f"# {name}", "", text, ""]
    if broken:
        lines.append("Broken benches (the bench cannot judge: its reference fails it, or it compares almost no "
                     f"known output; not counted): {', '.join(broken)}")
    overhead = sum(o.overhead_s for o in outcomes)
    wall = sum(o.wall_s for o in outcomes) or 1.0
    lines.append(f"Engine overhead: {overhead:.2f} s of {wall:.0f} s wall ({100 * overhead / wall:.2f}%).")
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    try:
        from .plots import write_plots

        for path in write_plots(outcomes, budget, out, name):
            print(f"wrote {path}")
    except ImportError:
        print("matplotlib is not installed: no plots (pip install 'anvil-rtl[bench]')", file=sys.stderr)
    print(f"wrote {out / 'results.jsonl'} and {out / 'summary.md'}")
    return EXIT_PASS if outcomes else EXIT_ERROR
