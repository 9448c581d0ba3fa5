"""Sample efficiency in the sparse-reward regime of the toy task: HiR vs binary RL vs CLA-reward RL.

Headline regime: ``ToyTaskConfig(min_constraints=5, max_constraints=5)`` (every prompt has 5
constraints), the default warm-up and model, ``hir.toy.TRAIN_PRESET`` (B=16 prompts per step,
lr 3e-4, reinforce++). For each seed one warmed-up model and one train/held-out split are built
(``hir.toy.default_setup``, saved with ``save_setup`` and reused by every method of the seed), and
each method runs ``hir.train`` on the same prompts in the same order with the same budget of
*generated* rollouts (replays are not generated):

* ``binary``     binary (all-constraints) reward, no replay          (``--replay none``)
* ``cla``        reward = fraction of constraints satisfied, no replay (``--reward cla``)
* ``hir``        protocol ``equal``: generates m=8 per prompt, as the others, plus replays
* ``hir_paper``  protocol ``paper``: generates m=6 per prompt and replays up to 2 per prompt
                 (k=2, global budget: at most 32 replays per step), the paper's 6+2 vs 8
* ``hir_achieved``, ``hir_paper_achieved``: the same two with ``--replay-rewrite achieved``
                 (beyond the paper: a failed count or end phrase is stated with the value the
                 response met instead of dropped, ``hir.rewrite``)

The held-out greedy ILA is measured every 768 generated rollouts (6 steps at m=8, 8 at m=6). Per
seed: the rollouts at the first evaluation reaching ``--target`` (default 0.3), and the ratio
HiR / binary for each HiR method. A run that never reaches the target counts as the budget, and
its ratio is then a bound (``>=`` when HiR missed, ``<=`` when binary missed; seeds where neither
reached it are left out). Reported: the median ratio over seeds with a bootstrap 90% interval
(seeds resampled with a seeded generator); the per-seed paired difference of mean held-out ILA
over the evals (the area under the learning curve: every eval counts, no target needed) with a
bootstrap 90% interval of its mean; the sparsity of the regime (fraction of groups with no
success in binary RL's first 5 steps, which must be >= 70%, and the fraction of steps whose whole
batch had no success), the held-out success per constraint at the budget (and how often a
response has bullets where none were asked), ``sample_efficiency.png`` (median and each seed
per method, x = generated rollouts), ``table.md`` and ``results.json`` in ``--out``. The last
line is ``rollout_ratio=X``, the paper protocol's median ratio for ``hir_paper_achieved``; the
other HiR methods' medians are printed above it as ``rollout_ratio_<method>=X``.

``--ablations`` adds HiR variants on the equal protocol (the paper's for ``hir_paper_*``),
each against binary RL on the same seeds (``--ablation-seeds``, default 1): selection score vs
random vs CLA only, global vs per-group budget, recomputed vs copied replay log-probs,
reinforce++ vs grpo (against binary grpo), joint vs fresh advantages with replay weight 0.25
(``hir.train.advantages.with_replays``), difficulty-weighted selection
(``replay_select="rarity"``), the achieved rewrite with grpo, with copied log-probs, with
fresh-only statistics and replay weight 0.25, with no drop at all (``achieved_only``) and for
the counts only (``hir_paper_achieved_counts``: a failed end phrase is dropped), and
the paper protocol's control: binary RL generating 6 per prompt (HiR's step count without its
replays; when it ran, a last table compares the paper protocol's HiR runs with it).

``--jobs N`` runs N warm-ups or runs at once, each in its own process; every run is
deterministic, so the numbers do not depend on N (2 with ``--threads 1`` on a 2-core machine).

``--constraints 6`` (the most the toy fits in one prompt) and ``--prompts-per-step B`` (default
16) give sparser regimes for the same methods: more groups, and more whole batches, without a
success (use another ``--out``).

``--model-size small`` swaps the 0.26M-parameter toy model for a 1.8M one (same task, warm-up
and preset; its warm-ups are saved apart), a probe of whether capacity changes the picture.

Rerunning into the same ``--out`` reuses each seed's saved warm-up and every finished run whose
saved config is exactly the one it would run (so an interrupted benchmark, or one rerun with
more seeds or ``--ablations``, only runs what is missing).

    python benchmarks/sample_efficiency.py --quick --jobs 2      # 3 seeds, paper protocol, <= 25 min
    python benchmarks/sample_efficiency.py --jobs 2 --ablations  # 10 seeds, both protocols
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

K_CONSTRAINTS = 5             # the headline regime: 5 constraints per prompt (--constraints)
EVAL_ROLLOUTS = 768           # evaluate every 768 generated rollouts (6 steps x 128, 8 x 96)
SPARSE_STEPS = 5              # binary RL's first steps, where the dead-group fraction is measured
MIN_DEAD_FRACTION = 0.70

HIR = {"replay": "hir", "reward": "ila"}
BINARY = {"replay": "none", "reward": "ila"}
CLA = {"replay": "none", "reward": "cla"}
PAPER = {**HIR, "responses_per_prompt": 6, "replay_k": 2, "replay_budget": "global"}

# name -> TrainConfig overrides (on top of TRAIN_PRESET)
METHODS: dict[str, dict] = {
    "binary": BINARY,
    "cla": CLA,
    "hir": {**HIR, "responses_per_prompt": 8},
    "hir_paper": PAPER,
    "hir_achieved": {**HIR, "responses_per_prompt": 8, "replay_rewrite": "achieved"},
    "hir_paper_achieved": {**PAPER, "replay_rewrite": "achieved"},
}
PROTOCOLS: dict[str, tuple[str, ...]] = {
    "equal": ("binary", "cla", "hir", "hir_achieved"),
    "paper": ("binary", "cla", "hir_paper", "hir_paper_achieved"),
}
# per protocol: (HiR as in the paper, HiR with replay_rewrite="achieved"), each against binary
HIR_OF = {"equal": ("hir", "hir_achieved"), "paper": ("hir_paper", "hir_paper_achieved")}
LABELS = {"binary": "m=8", "cla": "m=8, CLA reward",
          "hir": "m=8 + replays (k=2, global), failed constraints dropped (the paper)",
          "hir_achieved": "m=8 + replays, failed counts/end phrase stated as achieved",
          "hir_paper": "m=6 + replays (k=2, global), failed constraints dropped (the paper)",
          "hir_paper_achieved": "m=6 + replays, failed counts/end phrase stated as achieved"}
# toy model sizes (hir.toy.model.ToyModelConfig fields); "tiny" is the default model
MODEL_SIZES: dict[str, dict] = {
    "tiny": {},
    "small": {"hidden_size": 192, "num_layers": 4, "intermediate_size": 512},
}
# the families whose achieved rewrite states a count (hir_paper_achieved_counts)
COUNT_FAMILIES = ("length_constraints:number_words", "length_constraints:number_sentences",
                  "detectable_format:number_bullet_lists")
# ablations of the equal-protocol HiR run (the paper protocol's for hir_paper_*):
# name -> (overrides, what changes, the binary baseline)
ABLATIONS: dict[str, tuple[dict, str, str]] = {
    "hir_select_random": ({**METHODS["hir"], "replay_select": "random"},
                          "selection: uniform among candidates", "binary"),
    "hir_select_cla": ({**METHODS["hir"], "replay_select": "cla"},
                       "selection: lambda_s * CLA only (no entropy)", "binary"),
    "hir_budget_group": ({**METHODS["hir"], "replay_budget": "group"},
                         "budget: top k=2 per group (not global)", "binary"),
    "hir_logprobs_copy": ({**METHODS["hir"], "replay_logprobs": "copy"},
                          "replay old log-probs copied from the original", "binary"),
    "binary_m6": ({**BINARY, "responses_per_prompt": 6},
                  "binary RL generating 6 per prompt: the paper protocol's step count, no replays",
                  "binary"),
    "binary_grpo": ({**BINARY, "advantage": "grpo"}, "binary RL with grpo", "binary"),
    "hir_grpo": ({**METHODS["hir"], "advantage": "grpo"}, "grpo instead of reinforce++",
                 "binary_grpo"),
    "hir_rarity": ({**METHODS["hir"], "replay_select": "rarity"},
                   "selection: CLA weighted by each constraint's failure rate (beyond the paper)",
                   "binary"),
    "hir_fresh_w025": ({**METHODS["hir"], "replay_adv": "fresh", "replay_weight": 0.25},
                       "fresh-only statistics, replay weight 0.25 (beyond the paper)", "binary"),
    "hir_achieved_grpo": ({**METHODS["hir_achieved"], "advantage": "grpo"},
                          "achieved rewrite with grpo instead of reinforce++", "binary_grpo"),
    "hir_achieved_copy": ({**METHODS["hir_achieved"], "replay_logprobs": "copy"},
                          "achieved rewrite, replay old log-probs copied (the authors' choice)",
                          "binary"),
    "hir_achieved_fresh_w025": ({**METHODS["hir_achieved"], "replay_adv": "fresh",
                                 "replay_weight": 0.25},
                                "achieved rewrite + fresh-only statistics, replay weight 0.25",
                                "binary"),
    "hir_paper_achieved_fresh_w025": ({**METHODS["hir_paper_achieved"], "replay_adv": "fresh",
                                       "replay_weight": 0.25},
                                      "paper protocol (6 + 2): achieved rewrite + fresh-only "
                                      "statistics, replay weight 0.25", "binary"),
    "hir_achieved_only": ({**METHODS["hir"], "replay_rewrite": "achieved_only"},
                          "achieved rewrite, no drop: only responses whose every failed "
                          "constraint can be stated are replayed (beyond the paper)", "binary"),
    "hir_paper_achieved_only": ({**PAPER, "replay_rewrite": "achieved_only"},
                                "paper protocol (6 + 2): achieved rewrite, no drop (beyond the "
                                "paper)", "binary"),
    "hir_paper_achieved_counts": ({**PAPER, "replay_rewrite": "achieved",
                                   "replay_achieved_families": list(COUNT_FAMILIES)},
                                  "paper protocol (6 + 2): achieved rewrite for the counts only "
                                  "(a failed end phrase is dropped, as the paper)", "binary"),
}
# the paper protocol's HiR runs (6 generated per prompt + replays), compared in one more table
# against binary_m6: the same number of optimizer steps, no replays
PAPER_HIR = tuple(name for name, overrides in
                  [*METHODS.items(), *((n, a[0]) for n, a in ABLATIONS.items())]
                  if overrides == {**overrides, **PAPER})


# ----------------------------------------------------------------------------------------------
# Pure parts (tested in tests/test_sample_efficiency.py)


def rollouts_to_target(rows: Sequence[dict], target: float) -> int | None:
    """Rollouts at the first evaluation reaching ``target`` held-out ILA (None: never)."""
    for r in rows:
        if r["eval_ila"] >= target:
            return int(r["rollouts"])
    return None


def ratio_with_bound(hir: int | None, base: int | None, budget: int
                     ) -> tuple[float | None, str | None]:
    """(HiR's rollouts-to-target / the baseline's, how to read it).

    A run that missed the target counts as ``budget``: the ratio is then a lower bound (``>=``,
    HiR missed) or an upper bound (``<=``, the baseline missed); ``=`` when both reached it;
    (None, None) when neither did (no information).
    """
    if hir is None and base is None:
        return None, None
    if hir is None:
        return budget / base, ">="
    if base is None:
        return hir / budget, "<="
    return hir / base, "="


def bootstrap_interval(values: Sequence[float], *, level: float = 0.9, n_boot: int = 2000,
                       seed: int = 0, stat=statistics.median) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat`` (the median) of ``values`` (seeds resampled
    with replacement by ``random.Random(seed)``): deterministic in ``seed``. NaNs for no
    values."""
    values = list(values)
    if not values:
        return math.nan, math.nan
    rng = random.Random(seed)
    stats = sorted(stat(rng.choices(values, k=len(values))) for _ in range(n_boot))
    alpha = (1.0 - level) / 2.0
    lo = stats[int(math.floor(alpha * (n_boot - 1)))]
    hi = stats[int(math.ceil((1.0 - alpha) * (n_boot - 1)))]
    return lo, hi


def summarize_ratios(pairs: Sequence[tuple[float | None, str | None]], *, seed: int = 0
                     ) -> dict:
    """Median, bootstrap 90% interval and bound kind of per-seed ``ratio_with_bound`` results."""
    used = [(r, b) for r, b in pairs if r is not None]
    values = [r for r, _ in used]
    bounds = sorted({b for _, b in used if b != "="})
    lo, hi = bootstrap_interval(values, seed=seed)
    return {"median": statistics.median(values) if values else math.nan, "ci90": [lo, hi],
            "n": len(values), "per_seed": [r for r, _ in pairs],
            "per_seed_bound": [b for _, b in pairs], "bounds": bounds}


def mean_ila(evals: Sequence[dict]) -> float:
    """Held-out ILA averaged over the evals after step 0: the area under the learning curve per
    generated rollout, a sample-efficiency measure that uses every eval (not only the first to
    cross the target) and needs no target."""
    return statistics.fmean(r["eval_ila"] for r in evals[1:])


def paired_difference(method: Sequence[float], base: Sequence[float], *, seed: int = 0) -> dict:
    """Per-seed paired differences ``method - base``: their mean, a bootstrap 90% interval of
    the mean (seeds resampled) and on how many seeds the method is higher / lower."""
    d = [m - b for m, b in zip(method, base)]
    lo, hi = bootstrap_interval(d, seed=seed, stat=statistics.fmean)
    return {"mean": statistics.fmean(d) if d else math.nan, "ci90": [lo, hi], "n": len(d),
            "higher": sum(x > 0 for x in d), "lower": sum(x < 0 for x in d)}


def sparsity(train_rows: Sequence[dict], groups_per_step: int, steps: int = SPARSE_STEPS
             ) -> tuple[float, float]:
    """(fraction of groups with no success in the first ``steps`` steps, fraction of all steps
    whose whole batch had no success) of a run *without replays* (its ``dead_groups`` are then
    exactly the groups with no success)."""
    first = [r for r in train_rows if r["step"] <= steps]
    dead = sum(r["dead_groups"] for r in first) / max(len(first) * groups_per_step, 1)
    empty = sum(1 for r in train_rows if r["train_ila"] == 0) / max(len(train_rows), 1)
    return dead, empty


def _fmt_difference(d: dict) -> str:
    """A ``paired_difference``'s mean and 90% interval."""
    return f"{d['mean']:+.3f} [{d['ci90'][0]:+.3f}, {d['ci90'][1]:+.3f}]"


def _fmt_ratio(s: dict) -> str:
    if not s["n"]:
        return "-"
    bound = f" (bound: {' '.join(s['bounds'])})" if s["bounds"] else ""
    return f"{s['median']:.2f} [{s['ci90'][0]:.2f}, {s['ci90'][1]:.2f}] (n={s['n']}){bound}"


def _ila_at(rows: Sequence[dict], rollouts: int) -> float | None:
    for r in rows:
        if r["rollouts"] == rollouts:
            return r["eval_ila"]
    return None


# ----------------------------------------------------------------------------------------------
# Runs


PATH_FIELDS = ("model", "data", "eval_data", "output_dir")


def same_run(saved: dict, config: dict) -> bool:
    """Whether a saved run config is ``config``, its paths compared as the files they name (an
    ``--out`` given once relative and once absolute is the same run) and a key that is None in
    one and absent from the other taken as the same (unset)."""
    # a key left None is unset: a run saved before TrainConfig had that field ran its default
    def norm(c: dict) -> dict:
        return {k: str(Path(v).resolve()) if k in PATH_FIELDS else v
                for k, v in c.items() if v is not None}
    return norm(saved) == norm(config)


def run_method(overrides: dict, model_dir: str, train: str, held_out: str, out: Path, *,
               seed: int, budget: int, eval_prompts: int, threads: int) -> dict:
    """One ``hir.train`` run with ``budget`` generated rollouts; its eval rows and train rows."""
    from hir.toy import TRAIN_PRESET
    from hir.train.config import TrainConfig
    from hir.train.metrics import read_metrics
    from hir.train.schedule import resolve
    from hir.train.trainer import train as run_training

    values = {**TRAIN_PRESET, **overrides}
    per_step = values["prompts_per_step"] * values["responses_per_prompt"]
    if EVAL_ROLLOUTS % per_step or budget % EVAL_ROLLOUTS:
        raise ValueError(f"{per_step} rollouts per step do not divide {EVAL_ROLLOUTS}, or the "
                         f"budget {budget} is not a multiple of {EVAL_ROLLOUTS}")
    config = TrainConfig.model_validate({
        **values, "model": model_dir, "data": train, "eval_data": held_out,
        "output_dir": str(out), "seed": seed, "max_steps": budget // per_step,
        "eval_every": EVAL_ROLLOUTS // per_step, "eval_max_prompts": eval_prompts,
        "save_every": 0, "samples_per_step": 0, "tensorboard": False, "progress": False,
        "threads": threads})
    # the trainer saves its config with the decay horizon resolved (hir.train.schedule.resolve):
    # compare like with like, so that a finished run of this config is reused
    config = resolve(config)
    t = time.perf_counter()
    saved = out / "config.json"
    evals = [r for r in read_metrics(out) if r.get("eval")] \
        if saved.exists() and (out / "metrics.jsonl").exists() else []
    reused = bool(evals and evals[-1]["rollouts"] == budget and
                  same_run(json.loads(saved.read_text(encoding="utf-8")),
                           config.model_dump(mode="json")))
    if not reused:  # else a finished run of this exact config (an interrupted benchmark's)
        run_training(config)
    rows = read_metrics(out)
    return {"evals": [{k: r[k] for k in ("step", "rollouts", "eval_ila", "eval_cla")}
                      for r in rows if r.get("eval")],
            "train": [{k: r.get(k) for k in ("step", "rollouts", "train_ila", "dead_groups",
                                             "replays", "n_succ", "batch_without_success",
                                             "rep_token_share", "adv_succ",
                                             "adv_succ_fresh_only", "adv_rep", "kept_mean")}
                      for r in rows if not r.get("eval")],
            "seconds": time.perf_counter() - t, "reused": reused}


def constraint_rates(eval_file: Path) -> dict[str, float]:
    """From one eval's held-out responses (``eval_responses/step_N.jsonl``): per constraint id,
    the fraction of the prompts asking for it whose response satisfies it (strict, corrected,
    as the trainer judges); and ``bullets_unasked``, the fraction of the responses to prompts
    *not* asking for bullets that contain a bullet list (what a replay that dropped a bullet
    count can teach where it was not asked)."""
    from hir.instructions import Instruction
    from hir.masks import mask

    asked: dict[str, list[bool]] = {}
    unasked: list[bool] = []
    bullets = "detectable_format:number_bullet_lists"
    # any bullet count: the checker's achieved count is None exactly when there is no bullet
    has_bullets = Instruction(task="-", constraints=[{"id": bullets, "kwargs": {"num_bullets": 1}}]
                              ).checkers("corrected")[0].achieved
    for line in eval_file.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        inst = Instruction.model_validate(row["instruction"])
        m = mask(inst, row["response"], mode="strict", semantics="corrected")
        for cid, ok in zip(inst.ids, m.satisfied):
            asked.setdefault(cid, []).append(ok)
        if bullets not in inst.ids:
            unasked.append(has_bullets(row["response"]) is not None)
    rates = {cid: sum(v) / len(v) for cid, v in asked.items()}
    rates["bullets_unasked"] = sum(unasked) / len(unasked) if unasked else math.nan
    return rates


def constraint_table(out: Path, results: dict, methods: Sequence[str], budget: int
                     ) -> list[str]:
    """Markdown rows: per method, held-out success per constraint at the budget's eval, median
    over seeds."""
    from hir.toy.task import FAMILIES

    cols = [*FAMILIES, "bullets_unasked"]
    short = {cid: cid.split(":")[1] for cid in FAMILIES} | {"bullets_unasked":
                                                             "bullets where not asked"}
    lines = ["| method | " + " | ".join(short[c] for c in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for name in methods:
        per_seed = []
        for seed in results:
            if name not in results[seed]:
                continue
            step = results[seed][name]["evals"][-1]["step"]
            path = out / f"seed{seed}" / name / "eval_responses" / f"step_{step:06d}.jsonl"
            if path.exists():
                per_seed.append(constraint_rates(path))
        if per_seed:
            lines.append(f"| {name} | " + " | ".join(
                f"{statistics.median(r.get(c, math.nan) for r in per_seed):.2f}" for c in cols)
                + " |")
    return lines


def _quiet_worker(threads: int) -> None:
    """Set-up of a run's process: torch threads, no transformers progress bars or warnings."""
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(threads)


def _warmup_task(seed: int, toy, warm: Path) -> tuple[str, str, str]:
    from hir.toy import default_setup, save_setup

    return save_setup(default_setup(seed=seed, toy=toy), warm)


def _run_task(overrides: dict, paths: tuple[str, str, str], out: Path, kwargs: dict) -> dict:
    return run_method(overrides, *paths, out, **kwargs)


def parallel(tasks: Sequence[tuple], jobs: int, threads: int):
    """Yield ``(key, result)`` for each ``(key, function, args)`` task as it finishes, in
    ``jobs`` worker processes (each run is deterministic, so the results do not depend on how
    many run at once); ``jobs=1`` runs them in order in this process."""
    if jobs <= 1:
        for key, fn, args in tasks:
            yield key, fn(*args)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_quiet_worker, initargs=(threads,)) as pool:
        futures = {pool.submit(fn, *args): key for key, fn, args in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()


def plot(results: dict, protocols: Sequence[str], target: float, path: Path,
         k_constraints: int = K_CONSTRAINTS) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"hir": "tab:red", "hir_paper": "tab:red", "hir_achieved": "tab:purple",
              "hir_paper_achieved": "tab:purple", "binary": "tab:blue", "cla": "tab:green",
              "binary_m6": "tab:cyan"}
    fig, axes = plt.subplots(1, len(protocols), figsize=(6.5 * len(protocols), 4.5), dpi=120,
                             squeeze=False)
    for ax, protocol in zip(axes[0], protocols):
        # the paper protocol's panel also shows its step-count control when it ran
        for name in [*PROTOCOLS[protocol], *(["binary_m6"] if protocol == "paper" else [])]:
            runs = [results[s][name]["evals"] for s in results if name in results[s]]
            for rows in runs:
                ax.plot([r["rollouts"] for r in rows], [r["eval_ila"] for r in rows],
                        color=colors[name], alpha=0.25, linewidth=1)
            if runs:
                n = min(len(r) for r in runs)
                xs = [runs[0][i]["rollouts"] for i in range(n)]
                ys = [statistics.median([r[i]["eval_ila"] for r in runs]) for i in range(n)]
                ax.plot(xs, ys, color=colors[name], linewidth=2.5, marker="o", markersize=3,
                        label=f"{name} (median of {len(runs)} seeds)")
        ax.axhline(target, color="grey", linestyle=":", label=f"target {target:.2f}")
        ax.set_xlabel("generated rollouts")
        ax.set_ylabel("held-out ILA (greedy)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.set_title(f"{k_constraints} constraints/prompt, protocol '{protocol}'")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _method_table(results: dict, names: Sequence[str], target: float, budget: int,
                  baselines: dict[str, str], labels: dict[str, str]) -> list[str]:
    """Markdown rows: per method, ILA along the budget, rollouts to target and ratio vs its
    baseline, over the seeds that ran it."""
    marks = [EVAL_ROLLOUTS * i for i in (2, 4)] + [budget]
    marks = sorted(set(m for m in marks if m <= budget))
    head = ("| method | what | seeds | " + " | ".join(f"ILA@{m}" for m in marks)
            + " | mean ILA (evals after 0) | rollouts to target per seed | ratio vs baseline, "
            "median [90% CI] | mean ILA - baseline's, mean [90% CI] (seeds higher/lower) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name in names:
        seeds = [s for s in results if name in results[s]]
        if not seeds:
            continue
        base = baselines.get(name)
        ilas = [statistics.median([_ila_at(results[s][name]["evals"], m) or 0.0 for s in seeds])
                for m in marks]
        median_mean_ila = statistics.median([mean_ila(results[s][name]["evals"]) for s in seeds])
        hits = [rollouts_to_target(results[s][name]["evals"], target) for s in seeds]
        pairs = [ratio_with_bound(h, rollouts_to_target(results[s][base]["evals"], target),
                                  budget)
                 for s, h in zip(seeds, hits) if base and base in results[s]]
        ratio = _fmt_ratio(summarize_ratios(pairs)) if base and base != name else "-"
        both = [s for s in seeds if base and base != name and base in results[s]]
        diff = "-"
        if both:
            d = paired_difference([mean_ila(results[s][name]["evals"]) for s in both],
                                  [mean_ila(results[s][base]["evals"]) for s in both])
            diff = f"{_fmt_difference(d)} ({d['higher']}/{d['lower']})"
        lines.append(f"| {name} | {labels.get(name, '')} | {','.join(map(str, seeds))} | "
                     + " | ".join(f"{x:.2f}" for x in ilas)
                     + f" | {median_mean_ila:.3f} | "
                     + ", ".join(str(h) if h is not None else f">{budget}" for h in hits)
                     + f" | {ratio} | {diff} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="3 seeds, paper protocol, no ablations (<= 25 min on 2 CPU cores)")
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (default 10; 3 quick)")
    ap.add_argument("--protocols", default=None,
                    help="comma-separated subset of equal,paper (default both; paper quick)")
    ap.add_argument("--rollouts", type=int, default=None,
                    help=f"generated rollouts per run, a multiple of {EVAL_ROLLOUTS} "
                    "(default 5376 quick = 42 binary steps, 7680 full = 60)")
    ap.add_argument("--target", type=float, default=0.3, help="held-out ILA to reach")
    ap.add_argument("--eval-prompts", type=int, default=None,
                    help="held-out prompts per eval (default 100 quick, 200 full)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads of each run")
    ap.add_argument("--jobs", type=int, default=1, help="runs at once, each in its own process "
                    "(results do not depend on it; 2 on a 2-core machine with --threads 1)")
    ap.add_argument("--ablations", action="store_true", help="add the ablation table (not in "
                    "--quick)")
    ap.add_argument("--ablation-seeds", type=int, default=1,
                    help="seeds (the first N) the ablations run on")
    ap.add_argument("--ablation-names", default=None,
                    help=f"comma-separated subset of the ablations (default all: "
                    f"{', '.join(ABLATIONS)})")
    ap.add_argument("--model-size", default="tiny", choices=sorted(MODEL_SIZES),
                    help="the toy model: tiny (the default 0.26M parameters) or small (hidden "
                    "192, 4 layers: 1.8M, a probe of whether capacity changes the picture)")
    ap.add_argument("--constraints", type=int, default=K_CONSTRAINTS,
                    help=f"constraints per prompt, {K_CONSTRAINTS} (default) or 6 (the most the "
                    "toy fits in one prompt): a sparser regime for the same methods")
    ap.add_argument("--prompts-per-step", type=int, default=None, metavar="B",
                    help="prompts per step for every method (default the preset's 16): fewer "
                    "make more steps whose whole batch has no success")
    ap.add_argument("--out", type=Path, default=Path("runs/sample_efficiency"))
    args = ap.parse_args(argv)
    if not K_CONSTRAINTS <= args.constraints <= 6:
        ap.error(f"--constraints must be {K_CONSTRAINTS} or 6")
    n_constraints = args.constraints
    if args.quick and args.ablations:
        ap.error("--ablations is off in --quick")
    ablations = [n.strip() for n in (args.ablation_names or ",".join(ABLATIONS)).split(",")
                 if n.strip()] if args.ablations else []
    if any(n not in ABLATIONS for n in ablations):
        ap.error(f"--ablation-names: a comma-separated subset of {', '.join(ABLATIONS)}")
    # an ablation measured against another baseline than binary RL brings that baseline along
    ablations = list(dict.fromkeys(
        [b for n in ablations for b in (ABLATIONS[n][2],) if b in ABLATIONS] + ablations))
    n_seeds = args.seeds or (3 if args.quick else 10)
    protocols = [p.strip() for p in (args.protocols or ("paper" if args.quick else
                                                         "equal,paper")).split(",") if p.strip()]
    if not protocols or any(p not in PROTOCOLS for p in protocols):
        ap.error(f"--protocols: a comma-separated subset of {', '.join(PROTOCOLS)}")
    budget = args.rollouts or (5376 if args.quick else 7680)
    if budget <= 0 or budget % EVAL_ROLLOUTS:
        ap.error(f"--rollouts must be a positive multiple of {EVAL_ROLLOUTS}")
    eval_prompts = args.eval_prompts or (100 if args.quick else 200)
    methods = list(dict.fromkeys(m for p in protocols for m in PROTOCOLS[p]))

    from hir.toy import TRAIN_PRESET, ToyConfig, ToyTaskConfig
    from hir.toy.model import ToyModelConfig

    _quiet_worker(args.threads)
    toy = ToyConfig(task=ToyTaskConfig(min_constraints=n_constraints,
                                       max_constraints=n_constraints),
                    model=ToyModelConfig(**MODEL_SIZES[args.model_size]))
    B = args.prompts_per_step or TRAIN_PRESET["prompts_per_step"]
    if B <= 0 or any(EVAL_ROLLOUTS % (B * m) for m in (6, 8)):
        ap.error(f"--prompts-per-step: B * 6 and B * 8 must divide {EVAL_ROLLOUTS}")
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, dict]] = {}
    sparse: dict[int, tuple[float, float]] = {}
    t0 = time.perf_counter()
    print(f"regime: {n_constraints} constraints/prompt, B={B}, budget {budget} generated "
          f"rollouts per run, eval every {EVAL_ROLLOUTS} on {eval_prompts} held-out prompts, "
          f"target ILA {args.target}, protocols {', '.join(protocols)}, {n_seeds} seeds, "
          f"model {args.model_size}, threads {args.threads}", flush=True)

    kwargs = {"budget": budget, "eval_prompts": eval_prompts, "threads": args.threads}
    paths: dict[int, tuple[str, str, str]] = {}
    warmups = []
    for seed in range(n_seeds):
        size = "" if args.model_size == "tiny" else f"_{args.model_size}"
        warm = args.out / f"seed{seed}" / f"setup_k{n_constraints}{size}"
        if (warm / "model" / "config.json").exists() and (warm / "eval.jsonl").exists():
            # saved by an earlier run of this benchmark: same seed and defaults, same setup
            paths[seed] = (str(warm / "model"), str(warm / "train.jsonl"), str(warm / "eval.jsonl"))
            print(f"seed {seed}: reusing the warm-up saved in {warm}", flush=True)
        else:
            warmups.append((seed, _warmup_task, (seed, toy, warm)))
    for seed, saved in parallel(warmups, args.jobs, args.threads):
        paths[seed] = saved
        print(f"seed {seed}: warm-up done ({time.perf_counter() - t0:.0f}s)", flush=True)

    # every method on every seed, then each ablation on its seeds (one ablation at a time, so
    # an interrupted benchmark leaves whole rows behind)
    plan = [(seed, name) for seed in range(n_seeds) for name in methods]
    plan += [(seed, name) for name in ablations for seed in range(min(args.ablation_seeds,
                                                                      n_seeds))]
    runs = []
    for seed, name in plan:
        results.setdefault(seed, {})
        overrides = {**(METHODS[name] if name in METHODS else ABLATIONS[name][0]),
                     "prompts_per_step": B}
        runs.append(((seed, name), _run_task,
                     (overrides, paths[seed], args.out / f"seed{seed}" / name,
                      {**kwargs, "seed": seed})))
    for (seed, name), res in parallel(runs, args.jobs, args.threads):
        results[seed][name] = res
        ev = res["evals"]
        hit = rollouts_to_target(ev, args.target)
        took = "reused" if res["reused"] else f"{res['seconds']:.0f}s run"
        print(f"seed {seed} {name:18s}: ILA {ev[0]['eval_ila']:.2f} -> {ev[-1]['eval_ila']:.2f}"
              f", rollouts to {args.target:.2f}: {hit if hit is not None else 'not reached'}"
              f" ({took}, {time.perf_counter() - t0:.0f}s total)", flush=True)
    # the tables list methods in their own order, whatever order the runs finished in
    order = {name: i for i, name in enumerate([*methods, *ABLATIONS])}
    for seed in results:
        results[seed] = dict(sorted(results[seed].items(), key=lambda kv: order[kv[0]]))
        sparse[seed] = sparsity(results[seed]["binary"]["train"], B)
        print(f"seed {seed}: binary RL, groups with no success in steps 1-{SPARSE_STEPS}: "
              f"{sparse[seed][0]:.0%}; steps whose whole batch had no success: "
              f"{sparse[seed][1]:.0%}", flush=True)

    # -- report ---------------------------------------------------------------------------------
    lines = [f"# Sample efficiency, {n_constraints} constraints per prompt", "",
             f"B={B} prompts per step; budget {budget} generated rollouts per run; held-out "
             f"greedy ILA on {eval_prompts} "
             f"prompts every {EVAL_ROLLOUTS}; target {args.target}; seeds 0-{n_seeds - 1}; "
             f"a run that misses the target counts as {budget} (its ratio is then a bound).", "",
             "| seed | binary: groups without success, steps 1-5 | binary: steps without any "
             "success |", "|---|---|---|"]
    for s, (dead, empty) in sparse.items():
        lines.append(f"| {s} | {dead:.0%} | {empty:.0%} |")
    dead_ok = all(d >= MIN_DEAD_FRACTION for d, _ in sparse.values())
    lines += ["", "Sparse regime (>= 70% dead groups in binary RL's first 5 steps on every seed): "
              + ("yes" if dead_ok else "NO"), ""]
    summaries = {}   # HiR method -> its ratio summary against binary RL
    for protocol in protocols:
        lines += [f"## Protocol `{protocol}`", ""]
        lines += _method_table(results, PROTOCOLS[protocol], args.target, budget,
                               {"cla": "binary", **{h: "binary" for h in HIR_OF[protocol]}},
                               LABELS)
        lines.append("")
        for hir_name in HIR_OF[protocol]:
            pairs = [ratio_with_bound(
                rollouts_to_target(results[s][hir_name]["evals"], args.target),
                rollouts_to_target(results[s]["binary"]["evals"], args.target), budget)
                for s in results]
            summaries[hir_name] = summarize_ratios(pairs)
            d = paired_difference([mean_ila(results[s][hir_name]["evals"]) for s in results],
                                  [mean_ila(results[s]["binary"]["evals"]) for s in results])
            summaries[hir_name]["mean_ila_difference"] = d
            per_seed = ", ".join(f"{b if b != '=' else ''}{r:.2f}" if r is not None else "n/a"
                                 for r, b in pairs)
            lines.append(f"{hir_name}/binary rollouts-to-target per seed: {per_seed}; median "
                         f"{_fmt_ratio(summaries[hir_name])}; mean ILA - binary's "
                         f"{_fmt_difference(d)} (higher on {d['higher']} of {d['n']} seeds)  ")
        lines.append("")
    lines += ["## Held-out success per constraint at the budget (median over seeds)", ""]
    lines += constraint_table(args.out, results, [*methods, *ablations], budget)
    lines.append("")
    if args.ablations:
        names = [n for n in ["hir", "hir_achieved", *ablations]
                 if any(n in results[s] for s in results)]
        seeds_ab = [s for s in results if any(n in results[s] for n in ablations)]
        abl = {s: results[s] for s in seeds_ab}
        lines += ["## Ablations (protocol `equal`; `paper` for hir_paper_* and binary_m6)", ""]
        lines += _method_table(abl, ["binary", *names], args.target, budget,
                               {n: ABLATIONS[n][2] if n in ABLATIONS else "binary"
                                for n in names},
                               {**LABELS, "binary": "baseline",
                                "hir": "HiR as the paper (score, global, recompute, reinforce++, "
                                "joint, keep)", **{n: v[1] for n, v in ABLATIONS.items()}})
        lines.append("")
    if any("binary_m6" in results[s] for s in results):
        lines += ["## Paper protocol against its step-count control (`binary_m6`)", "",
                  "HiR's 6 + 2 takes as many optimizer steps per generated rollout as binary RL "
                  "generating 6; a ratio of 1 here means the replays add nothing beyond those "
                  "steps.", ""]
        lines += _method_table(results, ["binary_m6", *PAPER_HIR], args.target, budget,
                               {n: "binary_m6" for n in PAPER_HIR},
                               {**LABELS, **{n: v[1] for n, v in ABLATIONS.items()}})
        lines.append("")
    table = "\n".join(lines)
    (args.out / "table.md").write_text(table + "\n", encoding="utf-8")
    png = args.out / "sample_efficiency.png"
    plot(results, protocols, args.target, png, n_constraints)
    (args.out / "results.json").write_text(json.dumps({
        "k_constraints": n_constraints, "prompts_per_step": B, "model_size": args.model_size,
        "target": args.target,
        "budget_rollouts": budget,
        "seeds": n_seeds, "protocols": protocols, "eval_prompts": eval_prompts,
        "sparsity": {s: {"dead_groups_first5": d, "steps_without_success": e}
                     for s, (d, e) in sparse.items()},
        "ratios": summaries, "runs": results, "seconds": time.perf_counter() - t0}, indent=1))
    print()
    print(table)
    print(f"curves: {png}   table: {args.out / 'table.md'}   "
          f"({time.perf_counter() - t0:.0f}s)")
    if not dead_ok:
        print(f"WARNING: fewer than {MIN_DEAD_FRACTION:.0%} of binary RL's groups had no success "
              f"in its first {SPARSE_STEPS} steps on some seed: not the headline regime")
    if any(s["bounds"] for s in summaries.values()):
        print("note: some runs never reached the target and count as the budget, so a ratio "
              "marked '>=' or '<=' is a bound")
    # the last line is the paper protocol's HiR with the achieved rewrite (the equal protocol's
    # when only it ran); each other HiR variant's median is printed above it
    headline = HIR_OF["paper" if "paper" in protocols else protocols[0]][1]
    for name in [n for p in protocols for n in HIR_OF[p] if n != headline]:
        print(f"rollout_ratio_{name}={summaries[name]['median']:.3f}")
    print(f"rollout_ratio={summaries[headline]['median']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
