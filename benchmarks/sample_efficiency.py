"""Sample efficiency on the built-in toy task: HiR vs binary-reward RL vs CLA-reward RL.

For each seed, one warmed-up toy model and one train/held-out split (``hir.toy.default_setup``)
are shared by the three methods, which then run ``hir.train`` with identical settings (the toy
preset, same prompts in the same order, same budget of steps) except:

* ``hir``     hindsight instruction replay, binary (all-constraints) reward   (``--replay hir``)
* ``binary``  binary reward, no replay                                       (``--replay none``)
* ``cla``     reward = fraction of constraints satisfied, no replay          (``--reward cla``)

The held-out success rate (greedy ILA) is measured every ``--eval-every`` steps. For each run we
record the generated rollouts (fresh responses only: replays are not generated) at the first
evaluation whose ILA reaches ``--target``. Output: a table, ``sample_efficiency.png`` (curves,
one thin line per seed and the median per method) and ``results.json`` in ``--out``, and as the
last line ``rollout_ratio=X``: median over seeds of HiR's rollouts-to-target divided by binary
RL's. A run that never reaches the target counts as its budget (the ratio is then a bound, and a
note line above the last one says which way).

    python benchmarks/sample_efficiency.py --quick      # 3 seeds, <= 25 min on 2 CPU cores
    python benchmarks/sample_efficiency.py              # 5 seeds, longer runs
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METHODS: dict[str, dict] = {
    "hir": {"replay": "hir", "reward": "ila"},
    "binary": {"replay": "none", "reward": "ila"},
    "cla": {"replay": "none", "reward": "cla"},
}


def rollouts_to_target(rows: list[dict], target: float) -> int | None:
    """Rollouts at the first evaluation reaching ``target`` held-out ILA (None: never)."""
    for r in rows:
        if r["eval_ila"] >= target:
            return int(r["rollouts"])
    return None


def run_method(name: str, model_dir: str, train: str, held_out: str, out: Path, *, seed: int,
               steps: int, eval_every: int, eval_prompts: int, threads: int) -> list[dict]:
    """One ``hir.train`` run; returns its eval rows (step, rollouts, eval_ila, eval_cla)."""
    from hir.toy import TRAIN_PRESET
    from hir.train.config import TrainConfig
    from hir.train.metrics import read_metrics
    from hir.train.trainer import train as run_training

    config = TrainConfig.model_validate({
        **TRAIN_PRESET, **METHODS[name],
        "model": model_dir, "data": train, "eval_data": held_out, "output_dir": str(out),
        "seed": seed, "max_steps": steps, "eval_every": eval_every,
        "eval_max_prompts": eval_prompts, "save_every": 0, "samples_per_step": 0,
        "tensorboard": False, "progress": False, "threads": threads})
    run_training(config)
    return [{k: r[k] for k in ("step", "rollouts", "eval_ila", "eval_cla")}
            for r in read_metrics(out) if r.get("eval")]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def plot(results: dict, target: float, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"hir": "tab:red", "binary": "tab:blue", "cla": "tab:green"}
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for name in METHODS:
        runs = [results[s][name] for s in results if name in results[s]]
        for rows in runs:
            ax.plot([r["rollouts"] for r in rows], [r["eval_ila"] for r in rows],
                    color=colors[name], alpha=0.25, linewidth=1)
        if runs:
            n = min(len(r) for r in runs)
            xs = [runs[0][i]["rollouts"] for i in range(n)]
            ys = [_median([r[i]["eval_ila"] for r in runs]) for i in range(n)]
            ax.plot(xs, ys, color=colors[name], linewidth=2.5, marker="o", markersize=3,
                    label=f"{name} (median of {len(runs)} seeds)")
    ax.axhline(target, color="grey", linestyle=":", label=f"target {target:.2f}")
    ax.set_xlabel("generated rollouts")
    ax.set_ylabel("held-out ILA (greedy)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title("Toy task: rollouts to held-out success")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 seeds, shorter runs (<= 25 min)")
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5; 3 quick)")
    ap.add_argument("--steps", type=int, default=None, help="RL steps per run")
    ap.add_argument("--target", type=float, default=0.5, help="held-out ILA to reach")
    ap.add_argument("--eval-every", type=int, default=None)
    ap.add_argument("--eval-prompts", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--methods", default=",".join(METHODS),
                    help="comma-separated subset of " + ", ".join(METHODS) + " (hir and binary "
                    "are needed for the ratio)")
    ap.add_argument("--out", type=Path, default=Path("runs/sample_efficiency"))
    args = ap.parse_args(argv)
    n_seeds = args.seeds or (3 if args.quick else 5)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not {"hir", "binary"} <= set(methods):
        ap.error(f"--methods must include hir and binary and only name {', '.join(METHODS)}")
    steps = args.steps or (60 if args.quick else 90)
    eval_every = args.eval_every or 3
    eval_prompts = args.eval_prompts or (100 if args.quick else 200)

    import torch
    from transformers.utils import logging as hf_logging

    from hir.toy import default_setup, save_setup

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, list[dict]]] = {}
    t0 = time.perf_counter()
    for seed in range(n_seeds):
        warm = args.out / f"seed{seed}" / "setup"
        if (warm / "model" / "config.json").exists() and (warm / "eval.jsonl").exists():
            # a warm-up saved by an earlier (interrupted) run of this benchmark: same seed, same
            # defaults, so the same setup; reusing it saves the longest part of a seed
            model_dir, train, held_out = (str(warm / "model"), str(warm / "train.jsonl"),
                                          str(warm / "eval.jsonl"))
            print(f"seed {seed}: reusing the warm-up saved in {warm}", flush=True)
        else:
            model_dir, train, held_out = save_setup(default_setup(seed=seed), warm)
            print(f"seed {seed}: warm-up done ({time.perf_counter() - t0:.0f}s)", flush=True)
        results[seed] = {}
        for name in methods:
            rows = run_method(name, model_dir, train, held_out, args.out / f"seed{seed}" / name,
                              seed=seed, steps=steps, eval_every=eval_every,
                              eval_prompts=eval_prompts, threads=args.threads)
            results[seed][name] = rows
            hit = rollouts_to_target(rows, args.target)
            print(f"seed {seed} {name:6s}: ILA {rows[0]['eval_ila']:.2f} -> {rows[-1]['eval_ila']:.2f}"
                  f", rollouts to {args.target:.2f}: {hit if hit is not None else 'not reached'}"
                  f" ({time.perf_counter() - t0:.0f}s)", flush=True)

    budget = max(r["rollouts"] for s in results.values() for rows in s.values() for r in rows)
    ratios, bounds = [], set()
    summary = {}
    for name in methods:
        hits = [rollouts_to_target(results[s][name], args.target) for s in results]
        summary[name] = {"rollouts_to_target": hits,
                         "final_ila": [results[s][name][-1]["eval_ila"] for s in results],
                         "initial_ila": [results[s][name][0]["eval_ila"] for s in results]}
    for s in results:
        h = rollouts_to_target(results[s]["hir"], args.target)
        b = rollouts_to_target(results[s]["binary"], args.target)
        if h is None and b is None:
            continue  # neither reached the target: no information about the ratio
        if h is None:
            bounds.add(">=")
        if b is None:
            bounds.add("<=")
        ratios.append((h if h is not None else budget) / (b if b is not None else budget))
    ratio = _median(ratios)

    print()
    print(f"{'method':8s} {'initial ILA':>12s} {'final ILA':>10s} {'rollouts to target':>20s}")
    for name, row in summary.items():
        hits = ", ".join(str(h) if h is not None else "-" for h in row["rollouts_to_target"])
        print(f"{name:8s} {_median(row['initial_ila']):12.2f} {_median(row['final_ila']):10.2f} "
              f"{hits:>20s}")
    png = args.out / "sample_efficiency.png"
    plot(results, args.target, png)
    (args.out / "results.json").write_text(json.dumps({
        "target": args.target, "steps": steps, "seeds": n_seeds, "budget_rollouts": budget,
        "summary": summary, "curves": results, "rollout_ratio": ratio,
        "ratio_bound": "".join(sorted(bounds)) or None,
        "seconds": time.perf_counter() - t0}, indent=1))
    print(f"curves: {png}   ({time.perf_counter() - t0:.0f}s)")
    if bounds:
        print(f"note: some runs never reached the target and count as the budget, so the ratio "
              f"is a bound ({' and '.join(sorted(bounds))})")
    print(f"rollout_ratio={ratio:.3f}" if ratios else "rollout_ratio=nan")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
