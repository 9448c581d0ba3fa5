"""The built-in default of ``hir train``: a toy instruction-following task, tokenizer and model.

``default_setup(config)`` builds everything a run needs without downloading anything:

1. the task (``task.py``): "Write about X." under 3-4 real IFEval constraints, a train split and a
   disjoint held-out eval split, drawn from ``config.seed``;
2. a word-level tokenizer covering the task (``tokenizer.py``);
3. a tiny randomly initialised Llama (``model.py``);
4. a short supervised warm-up on imperfect demonstrations (``warmup.py``), after which the policy
   follows single constraints often and all of them rarely (the sparse-reward regime of HiR).

``TRAIN_PRESET`` holds the trainer settings tuned for this task (the trainer applies them under
any option the user gives explicitly). Everything is deterministic in the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from .task import ToyPrompt, ToyTaskConfig, demonstration, make_prompts, make_splits, prompt_text

__all__ = [
    "ToyConfig", "ToySetup", "ToyTaskConfig", "ToyPrompt", "TRAIN_PRESET", "default_setup",
    "demonstration", "make_prompts", "make_splits", "prompt_text", "build_toy_tokenizer",
    "save_setup",
]

# TrainConfig values for the built-in task (keys are TrainConfig fields).
TRAIN_PRESET: dict[str, Any] = {
    "max_steps": 60,
    "prompts_per_step": 16,
    "responses_per_prompt": 8,
    "max_new_tokens": 48,
    "lr": 3e-4,           # 5e-4 peaks sooner then drifts down; 1e-3 degenerates (bullets everywhere)
    "micro_batch_size": 64,
    "eval_every": 10,
    "eval_max_prompts": 200,
    "save_every": 0,
}


@dataclass(frozen=True)
class ToyConfig:
    """Every knob of the built-in default (task size, model size, warm-up)."""

    task: "ToyTaskConfig" = field(default_factory=ToyTaskConfig)
    model: Any = None     # hir.toy.model.ToyModelConfig; None = its defaults
    warmup: Any = None    # hir.toy.warmup.WarmupConfig; None = its defaults


class ToySetup(NamedTuple):
    """What ``default_setup`` returns; unpacks as ``model, tokenizer, train, eval``."""

    model: Any
    tokenizer: Any
    train_instructions: list
    eval_instructions: list


def build_toy_tokenizer(train: list[ToyPrompt], held_out: list[ToyPrompt]):
    """The tokenizer for these prompts: their rendered texts plus every response word."""
    from .task import response_words
    from .tokenizer import build_tokenizer

    return build_tokenizer([prompt_text(p) for p in train + held_out], response_words())


def default_setup(config: Any = None, *, seed: int | None = None, toy: ToyConfig = ToyConfig(),
                  on_warmup_step: Callable[[int, float], None] | None = None) -> ToySetup:
    """Task, tokenizer and SFT-warmed tiny model for ``hir train`` with no model or data.

    ``config`` is the trainer's ``TrainConfig`` (its ``seed`` and ``progress`` are used) or None;
    ``seed`` overrides ``config.seed``. The model is returned in eval mode on the CPU.
    """
    import torch

    from .model import ToyModelConfig, build_model
    from .warmup import WarmupConfig, warmup

    if seed is None:
        seed = int(getattr(config, "seed", 0) or 0)
    train, held_out = make_prompts(seed, toy.task)
    tokenizer = build_toy_tokenizer(train, held_out)
    model = build_model(tokenizer, toy.model or ToyModelConfig(), seed=seed)
    show = bool(getattr(config, "progress", False)) and on_warmup_step is None
    wcfg = toy.warmup or WarmupConfig()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if show:
            _warmup_with_progress(model, tokenizer, train, wcfg, seed)
        else:
            warmup(model, tokenizer, train, wcfg, seed=seed, on_step=on_warmup_step)
    model.eval()
    return ToySetup(model, tokenizer, [p.instruction() for p in train],
                    [p.instruction() for p in held_out])


def _warmup_with_progress(model, tokenizer, train, wcfg, seed: int) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .warmup import warmup

    with Progress(TextColumn("toy warm-up (SFT)"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TextColumn("loss {task.fields[loss]:.3f}"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("warm-up", total=wcfg.steps, loss=float("nan"))
        warmup(model, tokenizer, train, wcfg, seed=seed,
               on_step=lambda s, loss: bar.update(task, completed=s + 1, loss=loss))


def save_setup(setup: ToySetup, directory) -> tuple[str, str, str]:
    """Write a setup as a run of ``hir train --model M --data D --eval-data E`` would read it.

    Returns ``(model_dir, train_jsonl, eval_jsonl)``. Used by the benchmark, which warms one model
    up per seed and hands the same one to every method it compares.
    """
    import json
    from pathlib import Path

    directory = Path(directory)
    model_dir = directory / "model"
    setup.model.save_pretrained(model_dir, safe_serialization=True)
    setup.tokenizer.save_pretrained(model_dir)
    paths = []
    for name, instructions in (("train.jsonl", setup.train_instructions),
                               ("eval.jsonl", setup.eval_instructions)):
        path = directory / name
        with open(path, "w", encoding="utf-8") as f:
            for inst in instructions:
                f.write(json.dumps({"instruction": inst.model_dump()}) + "\n")
        paths.append(str(path))
    return str(model_dir), paths[0], paths[1]
