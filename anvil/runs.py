"""`anvil runs`: list runs from the ledger, or show one with its best candidate."""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from .common import EXIT_PASS, SubCommands, UsageError


def default_ledger() -> Path:
    from engine.ledger import default_path

    return default_path()


def register(sub: SubCommands) -> None:
    p = sub.add_parser("runs", help="list recorded runs, or show one (anvil runs show ID)")
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("run_id", nargs="?", help="run id (a prefix is enough)")
    p.add_argument("-n", "--limit", type=positive, default=20, help="how many runs to list (default 20)")
    p.add_argument("--ledger", type=Path)
    p.add_argument("--code", action="store_true", help="show: print only the best candidate's code")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_runs)


def _when(ts: float | None) -> str:
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


def run_runs(args: argparse.Namespace) -> int:
    from engine.ledger import Ledger, LedgerError

    try:
        ledger = Ledger(args.ledger, read_only=True)  # reading creates nothing
    except LedgerError as exc:
        if args.action == "list" and not (args.ledger or default_ledger()).exists():
            print(f"no runs recorded ({exc})")
            return EXIT_PASS
        raise UsageError(str(exc)) from None
    try:
        if args.action == "list":
            runs = ledger.runs(args.limit)
            if args.json:
                print(json.dumps(runs, indent=2))
                return EXIT_PASS
            if not runs:
                print(f"no runs recorded in {ledger.path}")
                return EXIT_PASS
            print(f"{'run':<12}  {'started':<16}  {'status':<9}  {'calls':>5}  {'best':<22}  problem")
            for r in runs:
                best = r["best_status"] or "-"
                if r["best_status"] == "functional_fail" and r["best_score"] is not None:
                    best += f" {r['best_score']:.3f}"
                print(f"{r['id']:<12}  {_when(r['started']):<16}  {r['status']:<9}  {r['calls']:>5}  "
                      f"{best:<22}  {r['problem']}")
            return EXIT_PASS
        if not args.run_id:
            raise UsageError("runs show needs a run id (see: anvil runs)")
        run = ledger.run(args.run_id)
        if run is None:
            raise UsageError(f"no run {args.run_id} in {ledger.path}")
        best = next((c for c in run["candidates"] if c["id"] == run["best_candidate"]), None)
        if args.code:
            if best is None or not best["code"]:
                raise UsageError(f"run {run['id']} has no candidate with code")
            print(best["code"], end="")
            return EXIT_PASS
        if args.json:
            print(json.dumps(run, indent=2))
            return EXIT_PASS
        m = run["manifest"]
        print(f"run {run['id']}  {run['problem']}  {run['status']}: {run['reason']}")
        print(f"  started {_when(run['started'])}; {m.get('provider')}:{m.get('model')}; "
              f"strategy {m.get('strategy')}; {m.get('simulator')}; anvil {m.get('anvil')}")
        t = run["timings"]
        if t:
            print(f"  {run['calls']} calls, {run['tokens']} tokens; wall {t['wall_s']} s "
                  f"(model {t['model_s']} s, simulator {t['sim_s']} s, engine {t['overhead_s']} s)")
        print("  candidates:")
        for c in run["candidates"]:
            score = f" {c['score']:.3f}" if c["status"] == "functional_fail" else ""
            dup = f" (same as {c['duplicate_of']})" if c["duplicate_of"] else ""
            parent = f" from {c['parent']}" if c["parent"] else ""
            print(f"    {c['id']:>3}  round {c['round']}  {c['origin']}{parent}: {c['status']}{score}{dup}")
            for edit in c.get("edits") or []:
                print(f"           edit: {edit}")
        for p in run.get("patches", []):
            rate = p["judged"] / p["elapsed_s"] if p["elapsed_s"] else 0.0
            outcome = "passes" if p["passed"] else ("improved" if p["edits"] else "no better edit")
            print(f"  patch search on candidate {p['candidate']}: {p['judged']} simulations in {p['elapsed_s']:.1f} s "
                  f"({rate:.0f}/s), {outcome}")
        if best is not None:
            print(f"  best candidate {best['id']} ({best['status']}):")
            from oracle.verdict import CompileError, Mismatch, Status, Verdict

            v = best["verdict"]
            verdict = Verdict(Status(v["status"]), v["samples"], v["mismatched_samples"], v["score"],
                              tuple(Mismatch(**m) for m in v["mismatches"]),
                              tuple(CompileError(**e) for e in v["compile_errors"]), v["simulator"], v["elapsed_s"],
                              reason=best["reason"] or "")
            from .render import render_verdict

            print("    " + render_verdict(verdict).replace("\n", "\n    "))
            if best.get("diff"):
                how = ("recombined around" if best.get("origin") == "recombine" else "patched from")
                print(f"    {how} candidate {best['parent']} (the model's code, edited):")
                print("      " + best["diff"].rstrip().replace("\n", "\n      "))
            print("    code:")
            print("      " + (best["code"] or "").rstrip().replace("\n", "\n      "))
        return EXIT_PASS
    finally:
        ledger.close()


def positive(text: str) -> int:
    """An argparse type: a whole number above 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not above 0")
    return value
