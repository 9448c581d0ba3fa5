"""Advantages from per-sequence rewards: REINFORCE++ (global whitening) and GRPO (per group).

Rewards are outcome rewards (one number per sequence), so every token of a sequence gets the same
advantage. With ``reduce`` (a sum all-reduce across data-parallel ranks, or None on one process)
the statistics cover the whole global batch, so DDP gives the same advantages as one process.

- ``reinforce++`` (the authors' released choice): with gamma = 1 and no reward-side KL, each
  token's return is the sequence reward; returns are whitened over all response tokens of the
  batch (mean and std over tokens, as verl/OpenRLHF's ``masked_whiten``), so a batch where every
  sequence has the same reward gets zero advantages.
- ``grpo``: ``(r - mean_g) / (std_g + eps)`` within each group; a group is one prompt's fresh
  responses plus the replays built from them (a replay joins its original's group).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

Reduce = Callable[[torch.Tensor], torch.Tensor] | None
EPS = 1e-6


def reinforce_pp(rewards: torch.Tensor, lengths: torch.Tensor, reduce: Reduce = None,
                 eps: float = EPS) -> torch.Tensor:
    """Whitened per-sequence advantages, token-weighted statistics over the (global) batch.

    ``rewards`` and ``lengths`` (response tokens per sequence) are 1-D and aligned.
    """
    rewards = rewards.double()
    weights = lengths.double()
    stats = torch.stack([weights.sum(), (weights * rewards).sum(),
                         (weights * rewards * rewards).sum()])
    if reduce is not None:
        stats = reduce(stats)
    n, s, ss = stats.unbind()
    mean = s / n.clamp_min(1)
    # unbiased token variance, as masked_whiten does
    var = (ss - n * mean * mean) / (n - 1).clamp_min(1)
    std = var.clamp_min(0).sqrt()
    return ((rewards - mean) / (std + eps)).float()


def grpo(rewards: torch.Tensor, groups: Sequence[int] | torch.Tensor,
         eps: float = EPS) -> torch.Tensor:
    """Group-normalised advantages (unbiased std within each group, as GRPO/DeepSeekMath).

    A group with one member or identical rewards gets zero advantage.
    """
    rewards = rewards.double()
    groups = torch.as_tensor(groups)
    out = torch.zeros_like(rewards)
    for g in torch.unique(groups):
        idx = groups == g
        r = rewards[idx]
        if r.numel() < 2:
            continue
        out[idx] = (r - r.mean()) / (r.std(unbiased=True) + eps)
    return out.float()


def compute(kind: str, rewards: torch.Tensor, lengths: torch.Tensor,
            groups: Sequence[int], reduce: Reduce = None) -> torch.Tensor:
    if kind == "reinforce++":
        return reinforce_pp(rewards, lengths, reduce)
    if kind == "grpo":
        return grpo(rewards, groups)
    raise ValueError(f"unknown advantage estimator {kind!r} (use 'reinforce++' or 'grpo')")
