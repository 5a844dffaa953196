#!/usr/bin/env python3
"""A sweep's results per class of design (combinational, FSM, counter, other sequential), read
from the references: solved, holding on the longer test, and for sampling arms the plain
best-of-N (some sample passed, no patch):

    .venv/bin/python scripts/sweep_classes.py docs/bench/full78/sample-results.jsonl [MORE.jsonl ...]
        [--dataset ../shared/verilog-eval/dataset_spec-to-rtl]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sweeps.classes import CLASSES, design_class  # noqa: E402
from sweeps.outcomes import load_outcomes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path, nargs="+")
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "verilog-eval" / "dataset_spec-to-rtl")
    args = parser.parse_args()
    kind = {ref.name[: -len("_ref.sv")]: design_class(ref.read_text()) for ref in args.dataset.glob("*_ref.sv")}
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # problems, solved, holds, sampled
    for path in args.results:
        for o in load_outcomes(path):
            if o.status == "broken":
                continue
            for cls in (kind.get(o.problem, "?"), "all"):
                row = table[(o.arm, cls)]
                row[0] += 1
                row[1] += o.status == "solved"
                row[2] += o.holds is True
                row[3] += o.samples_passed > 0
    print("| arm | class | problems | solved | holds | a sample passed |")
    print("|---|---|---|---|---|---|")
    order = [*CLASSES, "?", "all"]
    for (arm, cls), row in sorted(table.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))):
        n, solved, held, sampled = row
        share = f"{sampled} ({100 * sampled / n:.0f}%)"
        print(f"| {arm} | {cls} | {n} | {solved} ({100 * solved / n:.0f}%) | {held} | {share} |")


if __name__ == "__main__":
    main()
