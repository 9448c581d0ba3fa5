"""``hir train`` and ``hir plot``: thin typer commands over ``hir.train``.

torch, transformers and matplotlib are imported inside the command bodies only, so ``hir check``
and ``hir --help`` start fast and torch-free.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from .progress import MAX_ERROR_MESSAGES, error_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def train(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="TOML config file "
                                          "(keys = TrainConfig fields; CLI options override)."),
    model: Optional[str] = typer.Option(None, help="transformers causal LM name or path "
                                        "(default: the built-in toy model)."),
    trust_remote_code: Optional[bool] = typer.Option(
        None, "--trust-remote-code/--no-trust-remote-code",
        help="Run the model's own Python code from its directory or Hub repo (off by default)."),
    data: Optional[str] = typer.Option(None, help="Training rows (JSONL, .json array or "
                                       ".parquet): hir, IFEval, MulDimIF, HIR-16K or verl rows "
                                       "(default: the built-in toy task)."),
    eval_data: Optional[str] = typer.Option(None, help="Held-out rows, same formats (default: a "
                                            "split of --data); each eval also logs its hir check "
                                            "accuracies (IFEval's four numbers)."),
    preset: Optional[str] = typer.Option(None, help="paper: the authors' released run's "
                                         "settings (docs/train.md); explicit options and the "
                                         "--config file win."),
    output_dir: Optional[str] = typer.Option(None, "--output-dir", "-o",
                                             help="Run directory (default runs/hir)."),
    max_steps: Optional[int] = typer.Option(None, help="Training steps."),
    seed: Optional[int] = typer.Option(None, help="Seed of sampling, data order and splits."),
    resume: Optional[Path] = typer.Option(None, help="Continue the run in this directory from "
                                          "its last checkpoint (its saved config is used; "
                                          "--max-steps/--eval-every/--save-every may change)."),
    replay: Optional[str] = typer.Option(None, help="hir (hindsight replay) | none (binary-reward "
                                         "RL baseline)."),
    reward: Optional[str] = typer.Option(None, help="ila (all constraints, binary) | cla "
                                         "(fraction satisfied; implies --replay none)."),
    replay_logprobs: Optional[str] = typer.Option(None, help="recompute (under the hindsight "
                                                  "prompt) | copy (from the original prompt)."),
    advantage: Optional[str] = typer.Option(None, help="reinforce++ | grpo."),
    replay_adv: Optional[str] = typer.Option(None, help="joint (replays share the advantage "
                                             "statistics, the paper) | fresh (beyond the paper: "
                                             "fresh rollouts get binary RL's advantages)."),
    replay_weight: Optional[float] = typer.Option(None, help="Multiplier of replay advantages."),
    replay_select: Optional[str] = typer.Option(None, help="score (entropy + lambda * CLA, the "
                                                "paper) | rarity (beyond the paper: CLA weighted "
                                                "by each constraint's failure rate) | random | "
                                                "cla (ablations)."),
    replay_rewrite: Optional[str] = typer.Option(None, help="keep (drop failed constraints, "
                                                 "the paper) | achieved (beyond the paper: keep "
                                                 "a failed count or end phrase with the value "
                                                 "the response met) | achieved_only (the same, "
                                                 "replaying only responses that need no drop)."),
    prompts_per_step: Optional[int] = typer.Option(None, "--prompts-per-step", "-B",
                                                   help="B: prompts per step (all processes)."),
    responses_per_prompt: Optional[int] = typer.Option(None, "--responses-per-prompt", "-m",
                                                       help="m: responses sampled per prompt."),
    lr: Optional[float] = typer.Option(None, help="Peak AdamW learning rate."),
    lr_schedule: Optional[str] = typer.Option(None, help="After warm-up: constant, or linear | "
                                              "cosine decay to --min-lr-ratio x lr (default "
                                              "constant)."),
    warmup_steps: Optional[int] = typer.Option(None, help="Steps of linear learning-rate "
                                               "warm-up (default 0)."),
    lr_decay_steps: Optional[int] = typer.Option(None, help="Step at which linear/cosine decay "
                                                 "ends (default: --max-steps of the first "
                                                 "launch)."),
    min_lr_ratio: Optional[float] = typer.Option(None, help="Final learning rate of the decay, "
                                                 "as a fraction of lr (default 0.0)."),
    temperature: Optional[float] = typer.Option(None, help="Sampling temperature (> 0)."),
    top_p: Optional[float] = typer.Option(None, help="Nucleus sampling mass (1 = off)."),
    max_new_tokens: Optional[int] = typer.Option(None, help="Longest response, in tokens."),
    update_epochs: Optional[int] = typer.Option(None, help="mu: optimizer steps per training "
                                                "step."),
    micro_batch_size: Optional[int] = typer.Option(None, help="Sequences per forward/backward "
                                                   "(memory)."),
    kl_coef: Optional[float] = typer.Option(None, help="k3 KL weight to the initial policy."),
    kl_reward_coef: Optional[float] = typer.Option(None, help="KL to the initial policy in the "
                                                   "reward, per token (reinforce++; the "
                                                   "authors' run: 0.001)."),
    lora_rank: Optional[int] = typer.Option(None, help="LoRA rank (needs peft: pip install "
                                            "'hir[lora]'); 0 trains every weight (default 0)."),
    lora_alpha: Optional[float] = typer.Option(None, help="LoRA scale numerator: adapters are "
                                               "scaled by alpha / rank (default 16.0)."),
    lora_dropout: Optional[float] = typer.Option(None, help="Dropout on the adapters' input "
                                                 "(default 0.0)."),
    lora_target_modules: Optional[str] = typer.Option(None, help="Comma-separated module names "
                                                      "(q_proj,v_proj) or all-linear (default "
                                                      "all-linear)."),
    lora_export_merged: Optional[bool] = typer.Option(
        None, "--lora-export-merged/--no-lora-export-merged",
        help="At the end, also write RUN/merged/: the base with the adapters merged in."),
    eval_every: Optional[int] = typer.Option(None, help="Steps between held-out greedy evals "
                                             "(0: only first and last)."),
    save_every: Optional[int] = typer.Option(None, help="Steps between checkpoints (0: only "
                                             "the last)."),
    device: Optional[str] = typer.Option(None, help="auto | cpu | cuda | cuda:N."),
    gradient_checkpointing: Optional[bool] = typer.Option(
        None, "--gradient-checkpointing/--no-gradient-checkpointing",
        help="Recompute activations in the backward pass (less memory)."),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or tables."),
) -> None:
    """Train a causal LM on verifiable instructions with Hindsight instruction Replay.

    Writes **metrics.jsonl**, **samples.jsonl**, **config.json**, checkpoints and
    **learning_curve.png** to the run directory. Multi-process: `torchrun --nproc-per-node N
    -m cli.main train ...`. **Exit status**: 0 ok; 1 some data rows rejected (trained on the rest);
    2 aborted (bad config or setup, an internal error).
    """
    # Every parameter named like a TrainConfig field overrides it (None = not given on the CLI);
    # taken before any other local exists, so the signature is the one list of overrides.
    options = dict(locals())

    from rich.console import Console
    from rich.table import Table

    from hir.train.config import ConfigFileError, TrainConfig, load_config

    rank = int(os.environ.get("RANK", "0"))
    console = Console(highlight=False, quiet=quiet or rank != 0)
    err = Console(stderr=True, highlight=False)
    overrides = {k: v for k, v in options.items() if k in TrainConfig.model_fields}
    try:
        cfg = load_config(config, overrides)
    except ConfigFileError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2)
    if quiet or rank != 0:
        cfg = cfg.model_copy(update={"progress": False})

    _quiet_transformers()
    from hir.train.trainer import SetupError, Trainer, batch_accounting
    from hir.train.distributed import teardown

    try:
        trainer = Trainer(cfg, resume=resume)
    except (SetupError, ConfigFileError, OSError) as exc:
        err.print(f"error: {exc}", markup=False)
        teardown()
        raise typer.Exit(2)
    cfg = trainer.config
    table = Table(title=f"hir train -> {trainer.run_dir}", show_header=False)
    for k, v in batch_accounting(cfg, trainer.d.world):
        table.add_row(k, v)
    table.add_row("model", cfg.model or "built-in toy (SFT-warmed)")
    table.add_row("train / held-out prompts", f"{len(trainer.train_items)} / "
                                              f"{len(trainer.eval_items)}")
    table.add_row("device", f"{trainer.device}" + (" (bf16 autocast)" if trainer.bf16 else ""))
    if trainer.resumed_from is not None:
        table.add_row("resumed from", str(trainer.resumed_from))
    console.print(table)
    for r in trainer.rejects[:MAX_ERROR_MESSAGES]:
        error_line(f"error: {r.message()}")
    if trainer.rejects:
        error_line(f"{len(trainer.rejects)} data rows rejected (all are in "
                   f"{trainer.run_dir / 'rejects.jsonl'}); training on the rest")

    try:
        result = _run_with_progress(trainer, console, cfg)
    finally:
        teardown()
    if trainer.d.main:
        png = trainer.run_dir / "learning_curve.png"
        if result.before is not None:
            from hir.train.plot import plot_runs
            plot_runs([trainer.run_dir], png, title="held-out success (greedy)")
        console.print(_summary(result))
        console.print(f"metrics: {trainer.run_dir / 'metrics.jsonl'}"
                      + (f"   curve: {png}" if png.exists() else ""))
    if trainer.rejects:
        raise typer.Exit(1)


def _quiet_transformers() -> None:
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


def _run_with_progress(trainer, console: Console, cfg):
    if not cfg.progress:
        return trainer.run()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.description}"),
                  console=console, transient=False) as bar:
        task = bar.add_task("", total=cfg.max_steps, completed=trainer.state.step)

        def on_step(row):
            bar.update(task, completed=row["step"],
                       description=f"reward {row['reward']:.2f} ila {row['train_ila']:.2f} "
                                   f"cla {row['train_cla']:.2f} replays {row['replays']}")
        return trainer.run(on_step=on_step)


def _summary(result) -> Table:
    from rich.table import Table

    table = Table(title="held-out success (greedy), before -> after")
    table.add_column("metric")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("n", justify="right")
    b, a = result.before, result.after
    if b is None or a is None:
        table.add_row("(no held-out data)", "-", "-", "-")
        return table
    table.add_row("ILA (all constraints)", f"{b.ila:.3f}", f"{a.ila:.3f}", str(a.n))
    table.add_row("CLA (constraints)", f"{b.cla:.3f}", f"{a.cla:.3f}", str(a.n))
    for cid in sorted(set(b.by_id) | set(a.by_id)):
        table.add_row(f"  {cid}", _fmt(b.by_id.get(cid)), _fmt(a.by_id.get(cid)),
                      str(a.counts.get(cid, b.counts.get(cid, 0))))
    return table


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def plot(
    runs: List[Path] = typer.Argument(..., help="Run directories (each with metrics.jsonl)."),
    output: Path = typer.Option(Path("runs.png"), "--output", "-o", help="PNG to write."),
    label: Optional[List[str]] = typer.Option(None, "--label", help="One label per run "
                                              "(default: directory names)."),
    title: Optional[str] = typer.Option(None),
) -> None:
    """Plot held-out success (ILA solid, CLA dashed) against generated rollouts, one line a run."""
    from rich.console import Console

    from hir.train.plot import plot_runs

    err = Console(stderr=True, highlight=False)
    try:
        path = plot_runs(runs, output, labels=label or None, title=title)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2)
    Console(highlight=False).print(f"wrote {path}")
