"""A tiny, randomly initialised ``transformers`` causal LM for the toy task.

A standard ``LlamaForCausalLM`` (so the trainer handles it exactly like a hub model: generate with a
KV cache, save_pretrained, from_pretrained), small enough that RL on two CPU cores takes minutes:
about 0.26M parameters at the defaults, most of them in the (tied) word embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast


@dataclass(frozen=True)
class ToyModelConfig:
    hidden_size: int = 96
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 256
    max_positions: int = 256


def build_model(tokenizer: PreTrainedTokenizerFast, config: ToyModelConfig = ToyModelConfig(),
                *, seed: int = 0) -> LlamaForCausalLM:
    """A fresh model whose vocabulary and special tokens match ``tokenizer``.

    Initialisation is seeded with a private generator state, so the same seed gives the same
    weights whatever the caller did to torch's global RNG before (and the global RNG is restored).
    """
    cfg = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_heads,
        max_position_embeddings=config.max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(cfg)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model
