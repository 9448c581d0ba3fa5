"""The training-side forward pass: log-probs of response tokens given prompt tokens.

Used for old-policy, reference and update log-probs, for any (prompt, response) pairs, in
micro-batches. Old-policy log-probs are recomputed with it rather than taken from the sampler, so
the PPO ratio of the first update epoch is exactly 1 (sampler and training forward pass differ in
padding and cache numerics). A ``token_mask`` marks the response tokens of each padded row.
"""

from __future__ import annotations

from typing import Sequence

import torch

from .precision import autocast


def _right_pad(pairs: Sequence[tuple[list[int], list[int]]], pad_id: int, device):
    """Token ids, attention mask, and the positions whose next token is a response token."""
    width = max(len(p) + len(r) for p, r in pairs)
    ids = torch.full((len(pairs), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(pairs), width), dtype=torch.long)
    at_response = torch.zeros((len(pairs), width - 1), dtype=torch.bool)  # over shifted targets
    for i, (p, r) in enumerate(pairs):
        seq = p + r
        ids[i, :len(seq)] = torch.tensor(seq, dtype=torch.long)
        att[i, :len(seq)] = 1
        at_response[i, len(p) - 1:len(seq) - 1] = True
    return ids.to(device), att.to(device), at_response.to(device)


def forward_logprobs(model, pairs: Sequence[tuple[list[int], list[int]]], *, temperature: float,
                     pad_id: int, device: torch.device, bf16: bool = False
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probs of response tokens, shape [batch, max_response_len], and their ``token_mask``.

    Differentiable (call under ``torch.no_grad()`` for old/reference log-probs). Log-probs are
    of the policy at the sampling ``temperature``, the distribution the responses came from.
    """
    ids, att, at_response = _right_pad(pairs, pad_id, device)
    with autocast(device, bf16):
        logits = model(input_ids=ids, attention_mask=att, use_cache=False).logits
    targets = ids[:, 1:]
    # log_softmax (in float32) only at response positions: prompts are most of the sequence
    picked = logits[:, :-1][at_response].float()
    if temperature not in (0, 1):
        picked = picked / temperature
    token_logp = torch.log_softmax(picked, dim=-1).gather(
        -1, targets[at_response][:, None]).squeeze(-1)
    lengths = [len(r) for _, r in pairs]
    width = max(lengths)
    out = torch.zeros((len(pairs), width), dtype=token_logp.dtype, device=device)
    token_mask = torch.zeros((len(pairs), width), dtype=torch.bool, device=device)
    for i, n in enumerate(lengths):
        token_mask[i, :n] = True
    out[token_mask] = token_logp
    return out, token_mask


@torch.no_grad()
def sequence_logprobs(model, pairs: Sequence[tuple[list[int], list[int]]], *, temperature: float,
                      pad_id: int, device: torch.device, bf16: bool, micro_batch: int
                      ) -> list[torch.Tensor]:
    """Per-sequence response log-probs (CPU float32 tensors), computed in micro-batches."""
    out: list[torch.Tensor] = []
    for start in range(0, len(pairs), micro_batch):
        chunk = pairs[start:start + micro_batch]
        lp, token_mask = forward_logprobs(model, chunk, temperature=temperature, pad_id=pad_id,
                                          device=device, bf16=bf16)
        for i in range(len(chunk)):
            out.append(lp[i, token_mask[i]].float().cpu())
    return out
