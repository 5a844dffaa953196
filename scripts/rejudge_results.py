#!/usr/bin/env python3
"""A sweep's recorded designs judged again by the current oracle and longer test, no model call.

    .venv/bin/python scripts/rejudge_results.py RESULTS.jsonl --ledger DB [--ledger DB ...] \\
        --out NEW.jsonl [--dataset ../shared/verilog-eval/dataset_spec-to-rtl]

For every row of RESULTS (``anvil bench``'s results.jsonl), the run's candidates are read from the
ledgers that hold it: a bench the oracle now refuses makes the row ``broken``; each sample is
judged again on the golden bench (``samples_passed``: plain best-of-N); a solved row's answer is
judged again on the golden bench and on the longer test (``holds``). A solved answer the oracle
now rejects makes the row ``unsolved`` here (what the run would have done next is not known: rerun
such problems). Prints each change and the totals; writes the rows, changed or not, to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oracle import Oracle, SourceText  # noqa: E402
from sweeps.benchmark import read_dataset  # noqa: E402
from sweeps.difftest import holds  # noqa: E402


def candidates(ledgers: list[sqlite3.Connection], run_id: str) -> tuple[list[tuple[int, str, str]], int | None]:
    """(id, origin, code) of the run's candidates with code, and its answer's id."""
    for db in ledgers:
        run = db.execute("SELECT best_candidate FROM runs WHERE id = ?", (run_id,)).fetchone()
        if run is not None:
            rows = db.execute("SELECT id, origin, code FROM candidates WHERE run_id = ? AND code IS NOT NULL "
                              "ORDER BY id", (run_id,)).fetchall()
            return [(int(i), str(o), str(c)) for i, o, c in rows], run[0]
    return [], None


async def rejudge(row: dict[str, Any], item: Any, oracle: Oracle, ledgers: list[sqlite3.Connection]) -> dict[str, Any]:
    problem = item.problem(oracle)
    report = await oracle.check_bench(problem.bench)
    if not report.usable:
        return {**row, "status": "broken", "reason": f"the bench is broken: {report.problem}", "holds": None}
    found, answer = candidates(ledgers, row["run_id"])
    if not found:
        raise SystemExit(f"{row['problem']}: run {row['run_id']} is in none of the ledgers")

    async def judge(code: str) -> bool:
        verdict = await oracle.simulate(SourceText("design.sv", code), problem.bench,
                                        interface=problem.interface or None, exact=problem.exact)
        return verdict.passed

    out = dict(row)
    out["samples_passed"] = sum([await judge(code) for _, origin, code in found if origin == "sample"])
    if row["status"] == "solved":
        code = next((c for i, _, c in found if i == answer), None)
        if code is None or not await judge(code):
            out.update(status="unsolved", holds=None, reason="the answer is rejected by the current oracle")
        else:
            held = await holds(oracle, code, item.reference, problem.interface, original_samples=report.samples)
            out.update(holds=held.holds, holds_reason=held.reason)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--ledger", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl")
    args = parser.parse_args()
    ledgers = [sqlite3.connect(p) for p in args.ledger]
    items = {i.name: i for i in read_dataset(args.dataset)}
    oracle = Oracle()
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    out = []
    for row in rows:
        new = row if row["status"] == "broken" else await rejudge(row, items[row["problem"]], oracle, ledgers)
        changed = [k for k in ("status", "samples_passed", "holds") if new.get(k) != row.get(k)]
        if changed:
            said = ", ".join(f"{k}: {row.get(k)} -> {new.get(k)}" for k in changed)
            print(f"{row['problem']:<34} {said}", flush=True)
        out.append(new)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in out))
    usable = [r for r in out if r["status"] != "broken"]
    solved = sum(r["status"] == "solved" for r in usable)
    held = sum(r.get("holds") is True for r in usable)
    sampled = sum(r["samples_passed"] > 0 for r in usable)
    print(f"{len(usable)} usable: solved {solved}, holding {held}, a sample passed {sampled}")


if __name__ == "__main__":
    asyncio.run(main())
