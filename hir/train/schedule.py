"""The learning-rate schedule: linear warm-up, then constant, linear or cosine decay.

The learning rate of a training step is a pure function of the step number and the run's config
(``lr_at``), set on the optimizer before the step's update epochs. Nothing else holds schedule
state: a resumed run sets the rate from the step in its checkpoint and follows exactly the
schedule of an uninterrupted run. The decay horizon ``lr_decay_steps`` is fixed when a run starts
(``resolve``), so extending a run with ``--resume --max-steps`` does not stretch its schedule.

With ``s`` the 0-based training step, ``w = warmup_steps``, ``T = lr_decay_steps`` and
``m = min_lr_ratio``, the multiplier of ``lr`` is

- warm-up, ``s < w``: ``(s + 1) / w`` (the first step already learns, at ``lr / w``; the last
  warm-up step reaches ``lr``);
- then, with progress ``p = min(1, (s - w) / max(1, T - w))``: ``constant`` 1, ``linear``
  ``m + (1 - m) * (1 - p)``, ``cosine`` ``m + (1 - m) * (1 + cos(pi * p)) / 2``; past ``T`` the
  rate stays at ``m * lr``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import TrainConfig

SCHEDULES: tuple[str, ...] = ("constant", "linear", "cosine")


def lr_factor(step: int, *, schedule: str, warmup_steps: int, decay_steps: int,
              min_lr_ratio: float) -> float:
    """The multiplier of the base learning rate at 0-based training step ``step``."""
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown lr schedule {schedule!r} (use one of {', '.join(SCHEDULES)})")
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, decay_steps - warmup_steps))
    if schedule == "linear":
        shape = 1.0 - progress
    else:
        shape = 0.5 * (1.0 + math.cos(math.pi * progress))
    return min_lr_ratio + (1.0 - min_lr_ratio) * shape


def lr_at(step: int, config: TrainConfig) -> float:
    """The learning rate of 0-based training step ``step`` under ``config`` (resolved)."""
    decay = config.lr_decay_steps if config.lr_decay_steps is not None else config.max_steps
    return config.lr * lr_factor(step, schedule=config.lr_schedule,
                                 warmup_steps=config.warmup_steps, decay_steps=decay,
                                 min_lr_ratio=config.min_lr_ratio)


def resolve(config: TrainConfig) -> TrainConfig:
    """``config`` with its decay horizon fixed: ``lr_decay_steps`` None becomes ``max_steps``
    (called once, when a run starts; the saved config then carries the number)."""
    if config.lr_decay_steps is not None:
        return config
    return config.model_copy(update={"lr_decay_steps": max(1, config.max_steps)})


def set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
