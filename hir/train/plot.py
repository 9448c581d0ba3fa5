"""``hir plot``: held-out success against generated rollouts, one line per run (PNG, Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .metrics import read_metrics


def eval_curve(run_dir: str | Path, key: str = "eval_ila") -> tuple[list[int], list[float]]:
    rows = [r for r in read_metrics(run_dir) if r.get("eval") and key in r]
    return [r["rollouts"] for r in rows], [r[key] for r in rows]


def plot_runs(run_dirs: Sequence[str | Path], output: str | Path, *,
              labels: Sequence[str] | None = None, title: str | None = None) -> Path:
    """Eval ILA (solid) and CLA (dashed) against rollouts for each run; returns the PNG path."""
    import matplotlib
    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    if not run_dirs:
        raise ValueError("no run directories given")
    labels = list(labels) if labels else [Path(r).name or str(r) for r in run_dirs]
    if len(labels) != len(run_dirs):
        raise ValueError(f"{len(labels)} labels for {len(run_dirs)} runs")
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for run, label in zip(run_dirs, labels):
        x, ila = eval_curve(run, "eval_ila")
        if not x:
            raise ValueError(f"{run}: no eval rows in metrics.jsonl")
        line, = ax.plot(x, ila, marker="o", label=f"{label} ILA")
        xc, cla = eval_curve(run, "eval_cla")
        ax.plot(xc, cla, linestyle="--", color=line.get_color(), alpha=0.6, label=f"{label} CLA")
    ax.set_xlabel("generated rollouts")
    ax.set_ylabel("held-out success rate")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title or "Held-out instruction following")
    ax.legend(fontsize=8)
    fig.tight_layout()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output)
    plt.close(fig)
    return output
