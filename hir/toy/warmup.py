"""Supervised warm-up of the toy model on imperfect demonstrations.

A freshly initialised model cannot produce a single valid response, so RL from it would see no
reward at all. The warm-up teaches it the task's grammar and, imperfectly, the constraints: each
demonstration satisfies each of its constraints with probability ``p_satisfy`` (see
``hir.toy.task.demonstration``), so the warmed-up policy often follows a single constraint and
rarely all of them. That is the starting point HiR is designed for: binary all-constraints reward
is sparse, while partial successes are plentiful.

Steps:
  1. Draw ``n_demos`` demonstrations for the training prompts (seeded).
  2. Encode each as chat-template prompt + response + eos; the loss covers the response and eos.
  3. Train with AdamW for ``steps`` steps of ``batch_size`` sequences (cosine-free: constant lr
     after a short linear warm-up), shuffling with a seeded generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from .task import ToyPrompt, demonstration, prompt_text


@dataclass(frozen=True)
class WarmupConfig:
    steps: int = 600
    batch_size: int = 32
    lr: float = 3e-3
    warmup_steps: int = 20
    n_demos: int = 3000
    p_satisfy: float = 0.5


@dataclass
class WarmupResult:
    losses: list[float] = field(default_factory=list)
    n_demos: int = 0
    satisfied_rate: float = 0.0   # fraction of demonstration constraints satisfied (real checkers)
    all_satisfied_rate: float = 0.0  # fraction of demonstrations satisfying all their constraints


def encode_pair(tokenizer: PreTrainedTokenizerFast, prompt: str, response: str
                ) -> tuple[list[int], list[int]]:
    """Token ids of prompt (chat template, generation prompt) + response + eos, and the labels
    (-100 on the prompt, so only the response and eos are learned)."""
    head = tokenizer.apply_chat_template([{"role": "user", "content": prompt}],
                                         add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(head, add_special_tokens=False)["input_ids"]
    response_ids = tokenizer(response, add_special_tokens=False)["input_ids"]
    response_ids = response_ids + [tokenizer.eos_token_id]
    return prompt_ids + response_ids, [-100] * len(prompt_ids) + response_ids


def _collate(batch: Sequence[tuple[list[int], list[int]]], pad_id: int
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids, _ in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (x, y) in enumerate(batch):  # right padding: positions start at 0 for every row
        ids[row, :len(x)] = torch.tensor(x)
        labels[row, :len(y)] = torch.tensor(y)
        mask[row, :len(x)] = 1
    return ids, labels, mask


def make_demonstrations(prompts: Sequence[ToyPrompt], n: int, *, seed: int, p_satisfy: float
                        ) -> list[tuple[ToyPrompt, str, list[bool]]]:
    rng = random.Random(f"hir-toy-demos-{seed}")
    out = []
    for i in range(n):
        prompt = prompts[i % len(prompts)]
        text, verdicts = demonstration(prompt, rng, p_satisfy)
        out.append((prompt, text, verdicts))
    return out


def warmup(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast,
           prompts: Sequence[ToyPrompt], config: WarmupConfig = WarmupConfig(), *, seed: int = 0,
           on_step: Callable[[int, float], None] | None = None) -> WarmupResult:
    """Fit ``model`` to imperfect demonstrations of ``prompts`` in place; returns the loss curve."""
    demos = make_demonstrations(prompts, config.n_demos, seed=seed, p_satisfy=config.p_satisfy)
    n_constraints = sum(len(v) for _, _, v in demos)
    result = WarmupResult(
        n_demos=len(demos),
        satisfied_rate=sum(sum(v) for _, _, v in demos) / max(n_constraints, 1),
        all_satisfied_rate=sum(all(v) for _, _, v in demos) / max(len(demos), 1))
    if config.steps == 0:
        return result
    encoded = [encode_pair(tokenizer, prompt_text(p), text) for p, text, _ in demos]
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0,
                                  betas=(0.9, 0.98))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / max(config.warmup_steps, 1)))
    order_rng = random.Random(f"hir-toy-warmup-order-{seed}")
    order: list[int] = []
    model.train()
    for step in range(config.steps):
        if len(order) < config.batch_size:
            fresh = list(range(len(encoded)))
            order_rng.shuffle(fresh)
            order += fresh
        batch, order = [encoded[i] for i in order[:config.batch_size]], order[config.batch_size:]
        ids, labels, mask = (t.to(device) for t in _collate(batch, tokenizer.pad_token_id))
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        result.losses.append(loss.item())
        if on_step is not None:
            on_step(step, loss.item())
    model.eval()
    return result
