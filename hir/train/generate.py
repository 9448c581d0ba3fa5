"""Step 1, generation: our sampling loop over the model's KV cache.

Batched, left-padded prompts, temperature and top-p. Per generated token it keeps the
log-probability of the sampled token and the entropy of the policy at the sampling temperature
(the mean token entropy is HiR's diversity score). A response ends at (and includes) the first eos
token, or after ``max_new_tokens``. Temperature 0 means greedy decoding (the held-out evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from .precision import autocast


@dataclass
class Generated:
    """One sampled response: its tokens (through eos), and per token the sampled token's
    log-prob and the policy's entropy."""

    response_ids: list[int]
    logprobs: list[float]
    entropies: list[float]


def _left_pad(batch: Sequence[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), width), dtype=torch.long)
    for i, x in enumerate(batch):
        ids[i, width - len(x):] = torch.tensor(x, dtype=torch.long)
        att[i, width - len(x):] = 1
    return ids.to(device), att.to(device)


def _accepts(model, name: str) -> bool:
    import inspect

    return name in inspect.signature(model.forward).parameters


def _cache_argument(model) -> str:
    """The KV-cache keyword: ``cache`` in recent transformers, ``past_key_values`` before."""
    return "cache" if _accepts(model, "cache") else "past_key_values"


def _sample(logp: torch.Tensor, top_p: float) -> torch.Tensor:
    """One token per row from log-probs, restricted to the top-p nucleus when top_p < 1.

    Drawn as argmax(p / E) with E ~ Exp(1) i.i.d. (the "exponential race", equivalent to
    Gumbel-max): exactly a categorical draw, and several times faster than
    ``torch.multinomial`` on CPU. Uses torch's global generator, so seeds reproduce it.
    """
    probs = logp.exp()
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > top_p  # the top token always stays
        drop = torch.zeros_like(outside).scatter(-1, order, outside)
        probs = probs.masked_fill(drop, 0.0)
    noise = torch.empty_like(probs).exponential_()
    return (probs / noise).argmax(-1)


@torch.no_grad()
def _generate_batch(model, ids: torch.Tensor, att: torch.Tensor, *, temperature: float,
                    top_p: float, max_new_tokens: int, eos: int, pad: int, bf16: bool,
                    device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Our sampling loop over the model's KV cache: tokens, their log-probs and entropies.

    Only one step's logits are alive at a time (``generate(output_logits=True)`` would keep all
    of them: steps x batch x vocab floats). Rows that have emitted eos get ``pad`` afterwards.
    """
    n = ids.shape[0]
    positions = (att.cumsum(-1) - 1).clamp_min(0)  # left padding: real tokens start at 0
    finished = torch.zeros(n, dtype=torch.bool, device=device)
    tokens, logps, ents = [], [], []
    cache = None
    cache_arg = _cache_argument(model)
    # only the last position's logits are needed: skip the prompt's [batch, length, vocab] block
    extra = {"logits_to_keep": 1} if _accepts(model, "logits_to_keep") else {}
    inp, attention, pos = ids, att, positions
    for _ in range(max_new_tokens):
        with autocast(device, bf16):
            out = model(input_ids=inp, attention_mask=attention, position_ids=pos,
                        use_cache=True, **{cache_arg: cache}, **extra)
        cache = getattr(out, cache_arg)
        if cache is None:  # e.g. a model in train mode with gradient checkpointing
            raise RuntimeError("the model returned no KV cache; sample in eval mode")
        logits = out.logits[:, -1].float()
        if temperature == 0:
            logp = torch.log_softmax(logits, dim=-1)
            nxt = logits.argmax(-1)
        else:
            logp = torch.log_softmax(logits / temperature, dim=-1)
            nxt = _sample(logp, top_p)
        nxt = torch.where(finished, torch.full_like(nxt, pad), nxt)
        tokens.append(nxt)
        logps.append(logp.gather(-1, nxt[:, None]).squeeze(-1))
        ents.append(-(logp.exp() * logp).nan_to_num().sum(-1))
        finished |= nxt == eos
        if bool(finished.all()):
            break
        inp = nxt[:, None]
        attention = torch.cat([attention, torch.ones((n, 1), dtype=attention.dtype,
                                                     device=device)], dim=1)
        pos = pos[:, -1:] + 1
    return torch.stack(tokens, 1), torch.stack(logps, 1), torch.stack(ents, 1)


def generate(model, tokenizer, prompts: Sequence[list[int]], *, temperature: float, top_p: float,
             max_new_tokens: int, device: torch.device, bf16: bool = False,
             batch_size: int = 64) -> list[Generated]:
    """Sample one response per prompt (repeat prompts for several); greedy when temperature == 0.

    Log-probs and entropies are of the policy at ``temperature`` (before top-p truncation), the
    same distribution the training forward pass scores.
    """
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    out: list[Generated] = []
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start:start + batch_size]
        ids, att = _left_pad(chunk, pad, device)
        new, token_logp, entropy = _generate_batch(
            model, ids, att, temperature=temperature, top_p=top_p,
            max_new_tokens=max_new_tokens, eos=eos, pad=pad, bf16=bf16, device=device)
        new, token_logp, entropy = new.cpu(), token_logp.cpu(), entropy.cpu()
        for i in range(new.shape[0]):
            row = new[i].tolist()
            n = row.index(eos) + 1 if eos in row else len(row)
            out.append(Generated(row[:n], token_logp[i, :n].tolist(), entropy[i, :n].tolist()))
    return out
