"""Benchmark plots (matplotlib, imported only here): solve rate against model calls, and what
the unsolved runs ended with."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sweeps.benchmark import by_arm
from sweeps.outcomes import Outcome


def solve_curve(mine: Sequence[Outcome], budget: int) -> list[float]:
    """The fraction of one strategy's (usable) problems solved within c calls, c = 1..budget."""
    return [sum(1 for o in mine if o.first_pass_call is not None and o.first_pass_call <= c) / len(mine)
            for c in range(1, budget + 1)]


def failure_categories(outcomes: Sequence[Outcome]) -> dict[str, dict[str, int]]:
    """Per strategy: solved, and for the rest the best candidate's status."""
    table: dict[str, dict[str, int]] = {}
    for o in outcomes:
        if o.status == "broken":
            continue
        label = "solved" if o.status == "solved" else (o.best_status or "no answer")
        if o.status == "error":
            label = "provider error"
        row = table.setdefault(o.arm, {})
        row[label] = row.get(label, 0) + 1
    return table


def write_plots(outcomes: Sequence[Outcome], budget: int, folder: Path, title: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    fig, ax = plt.subplots(figsize=(6, 4))
    styles = ["-", "--", ":", "-.", (0, (5, 1))]
    markers = ["o", "s", "^", "D", "v", "P"]
    usable = {arm: mine for arm, mine in by_arm(outcomes).items() if mine}
    for i, (arm, mine) in enumerate(usable.items()):
        calls = max(1, min(budget, max(o.calls for o in mine)))  # single-shot stops at 1 call
        solved = sum(o.status == "solved" for o in mine)
        # arms often coincide: different line styles and markers keep each visible
        ax.step(range(1, calls + 1), [100 * y for y in solve_curve(mine, calls)], where="post", linewidth=2,
                linestyle=styles[i % len(styles)], marker=markers[i % len(markers)], markersize=5,
                alpha=0.85, label=f"{arm} ({solved}/{len(mine)})")
    ax.set_xlabel("model calls")
    ax.set_ylabel("problems solved (%)")
    ax.set_ylim(0, 100)
    ax.set_xticks(range(1, budget + 1))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path = folder / "solve_rate.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    cats = failure_categories(outcomes)
    labels = ["solved", "functional_fail", "compile_error", "timeout", "no answer", "provider error"]
    labels = [lab for lab in labels if any(lab in row for row in cats.values())]
    fig, ax = plt.subplots(figsize=(6, 4))
    arms = list(cats)
    bottom = [0] * len(arms)
    for label in labels:
        values = [cats[a].get(label, 0) for a in arms]
        ax.bar(arms, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("problems")
    ax.set_title("outcome of each strategy (best candidate of unsolved runs)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = folder / "failures.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    return written
