"""The policy loss: PPO clipped surrogate, token-mean, plus an optional k3 KL to a reference.

``token-mean`` means the sum of per-token losses divided by the number of response tokens in the
whole update batch (``n_tokens``), not a mean of per-sequence means: long and short responses
weigh per token, as in DAPO/verl's "token-mean". Callers pass the global token count so that
micro-batches (and data-parallel ranks) add up to exactly the loss of the full batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def k3_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimator of KL(pi || ref): exp(r) - r - 1 with r = ref - logp (>= 0)."""
    r = ref_logprobs - logprobs
    return torch.exp(r) - r - 1.0


@dataclass
class LossParts:
    loss: torch.Tensor          # what to backpropagate (already divided by n_tokens)
    policy: float               # summed policy loss of these tokens / n_tokens
    kl: float                   # summed k3 KL / n_tokens
    clipped: float              # number of tokens where the clipped term was active


def ppo_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
             token_mask: torch.Tensor, n_tokens: int | float, *, clip_eps: float = 0.2,
             clip_eps_high: float | None = None, kl_coef: float = 0.0,
             ref_logprobs: torch.Tensor | None = None) -> LossParts:
    """PPO-clip loss over [batch, time] tensors; ``advantages`` is [batch] or [batch, time].

    ``token_mask`` is 1 on response tokens. The loss is
    ``sum(token_mask * (max(-A*ratio, -A*clip(ratio, 1-eps, 1+eps_high)) + kl_coef*k3)) / n_tokens``.
    """
    token_mask = token_mask.to(logprobs.dtype)
    if advantages.dim() == 1:
        advantages = advantages[:, None]
    high = clip_eps if clip_eps_high is None else clip_eps_high
    ratio = torch.exp(logprobs - old_logprobs)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip_eps, 1.0 + high)
    per_token = torch.maximum(unclipped, clipped)
    policy_sum = (per_token * token_mask).sum()
    total = policy_sum
    kl_sum = torch.zeros((), dtype=logprobs.dtype, device=logprobs.device)
    if kl_coef > 0:
        if ref_logprobs is None:
            raise ValueError("kl_coef > 0 needs ref_logprobs")
        kl_sum = (k3_kl(logprobs, ref_logprobs) * token_mask).sum()
        total = total + kl_coef * kl_sum
    n = float(max(n_tokens, 1))
    active = ((clipped > unclipped).to(token_mask.dtype) * token_mask).sum()
    return LossParts(loss=total / n, policy=policy_sum.item() / n, kl=kl_sum.item() / n,
                     clipped=active.item())
