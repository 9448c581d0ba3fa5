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

With hindsight replays in the batch, ``with_replays`` applies ``replay_adv``/``replay_weight``:

- ``joint`` (the paper): the formulas above over fresh rollouts and replays together, so the
  replays share the whitening statistics (they dilute the advantage of the real successes);
- ``fresh`` (beyond the paper): fresh rollouts get exactly binary RL's advantages (statistics over
  the fresh rollouts only) and each replay gets the advantage a fresh success gets under those
  statistics (for ``grpo``: a fresh success of its own group). Where there is no fresh success to
  take it from (none in the global batch for ``reinforce++``, none in the group for ``grpo``) the
  replay falls back to its ``joint`` advantage;
- either way each replay's advantage is then multiplied by ``replay_weight``.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

Reduce = Callable[[torch.Tensor], torch.Tensor] | None
EPS = 1e-6


def whitening_stats(rewards: torch.Tensor, lengths: torch.Tensor, reduce: Reduce = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std) of the rewards over all response tokens of the (global) batch (float64)."""
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
    return mean, std


def reinforce_pp(rewards: torch.Tensor, lengths: torch.Tensor, reduce: Reduce = None,
                 eps: float = EPS) -> torch.Tensor:
    """Whitened per-sequence advantages, token-weighted statistics over the (global) batch.

    ``rewards`` and ``lengths`` (response tokens per sequence) are 1-D and aligned.
    """
    mean, std = whitening_stats(rewards, lengths, reduce)
    return ((rewards.double() - mean) / (std + eps)).float()


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


REPLAY_ADV: tuple[str, ...] = ("joint", "fresh")


def with_replays(kind: str, rewards: torch.Tensor, lengths: torch.Tensor, groups: Sequence[int],
                 is_replay: Sequence[bool], *, mode: str = "joint", weight: float = 1.0,
                 reduce: Reduce = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages of a batch of fresh rollouts and replays (``is_replay`` marks the replays), and
    the fresh rollouts' advantages under fresh-only statistics (binary RL's, in batch order).

    ``mode``/``weight`` are ``replay_adv``/``replay_weight`` (module docstring). With ``joint``
    and weight 1 the first tensor is exactly ``compute(kind, ...)``. A success is a sequence with
    reward >= 1. ``reduce`` must be given on every rank alike (it is a collective).
    """
    if mode not in REPLAY_ADV:
        raise ValueError(f"replay_adv must be one of {REPLAY_ADV}, got {mode!r}")
    rep = torch.as_tensor(list(is_replay), dtype=torch.bool)
    fresh = ~rep
    groups_t = torch.as_tensor(list(groups))
    joint = compute(kind, rewards, lengths, list(groups), reduce)
    fresh_only = compute(kind, rewards[fresh], lengths[fresh], groups_t[fresh].tolist(), reduce)
    if mode == "joint":
        out = joint
    else:
        out = joint.clone()
        out[fresh] = fresh_only
        r_fresh = rewards[fresh].double()
        if kind == "reinforce++":
            n_succ = torch.tensor([float((r_fresh >= 1).sum())], dtype=torch.float64)
            if reduce is not None:
                n_succ = reduce(n_succ)
            if float(n_succ[0]) > 0:
                mean, std = whitening_stats(rewards[fresh], lengths[fresh], reduce)
                out[rep] = float((1.0 - mean) / (std + EPS))
        elif kind == "grpo":
            g_fresh = groups_t[fresh]
            for g in torch.unique(groups_t[rep]):
                succ = (g_fresh == g) & (r_fresh >= 1)
                if bool(succ.any()):
                    ref = float(fresh_only[succ].max())
                    if ref > 0:
                        out[rep & (groups_t == g)] = ref
    if weight != 1.0:
        out = out.clone()
        out[rep] = out[rep] * weight
    return out, fresh_only
