"""REINFORCE++ advantages with the KL to the reference in the reward (``kl_reward_coef``).

The authors' run (verl, ``algorithm.use_kl_in_reward=True``, fixed coefficient beta = 0.001)
puts the KL to the frozen initial policy into the reward instead of the loss: every response
token t carries the reward ``-beta * kl_t`` with ``kl_t = log pi_old(y_t) - log pi_ref(y_t)``
(the "k1" estimator, verl's ``kl_penalty: kl``), and the last token also the outcome reward R.
With gamma = 1 a token's return is ``G_t = R - beta * sum_{s >= t} kl_s``; REINFORCE++ whitens the
returns over all response tokens of the (global) batch. Advantages are then per token, not per
sequence as in ``advantages.py`` (which this reduces to when beta = 0).

A replay is scored like any sequence of the batch; its ``kl`` comes from the sequences named by
``replay.old_logprob_sources``: under ``copy`` its original's old and reference log-probs, as the
authors' trainer copies both (``old_log_probs`` and ``ref_log_prob``) from the original.
"""

from __future__ import annotations

from typing import Sequence

import torch

from .advantages import EPS, Reduce


def token_returns(rewards: Sequence[float], kl: Sequence[torch.Tensor], coef: float
                  ) -> list[torch.Tensor]:
    """Per-token returns ``R - coef * (reverse cumulative sum of kl)`` (float64), one a sequence."""
    out = []
    for r, k in zip(rewards, kl):
        tail = torch.flip(torch.cumsum(torch.flip(k.double(), [0]), 0), [0])
        out.append(float(r) - coef * tail)
    return out


def whiten(returns: Sequence[torch.Tensor], reduce: Reduce = None) -> list[torch.Tensor]:
    """Returns whitened over all their tokens (and over ranks with ``reduce``), float32."""
    flat = torch.cat([r.double() for r in returns]) if returns else \
        torch.zeros(0, dtype=torch.float64)
    stats = torch.stack([torch.tensor(float(flat.numel()), dtype=torch.float64), flat.sum(),
                         (flat * flat).sum()])
    if reduce is not None:
        stats = reduce(stats)
    n, s, ss = stats.unbind()
    mean = s / n.clamp_min(1)
    var = (ss - n * mean * mean) / (n - 1).clamp_min(1)  # unbiased, as masked_whiten
    std = var.clamp_min(0).sqrt()
    return [((r.double() - mean) / (std + EPS)).float() for r in returns]


def advantages(rewards: Sequence[float], kl: Sequence[torch.Tensor], coef: float,
               is_replay: Sequence[bool], *, weight: float = 1.0, reduce: Reduce = None
               ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per-token advantages of a batch (``weight`` scales the replays', as ``replay_weight``),
    and of its fresh rollouts under fresh-only statistics (binary RL's, in batch order, for the
    step's diagnostics). ``reduce`` must be given on every rank alike (it is a collective)."""
    returns = token_returns(rewards, kl, coef)
    joint = whiten(returns, reduce)
    fresh_only = whiten([g for g, rep in zip(returns, is_replay) if not rep], reduce)
    if weight != 1.0:
        joint = [a * weight if rep else a for a, rep in zip(joint, is_replay)]
    return joint, fresh_only
