"""Test fixture: a tiny, randomly initialised model and a small instruction file, built locally
(no downloads).

For the trainer tests (through ``tiny_lm.py``) and ``benchmarks/trainer_throughput.py`` (which
puts ``tests/`` on ``sys.path``); plain Python without pytest, so the benchmark can import it.
``write_tiny(dir)`` saves a word-level tokenizer (``hir.toy.tokenizer``) and a
``LlamaForCausalLM`` of a few thousand parameters with ``save_pretrained``, plus ``data.jsonl`` of
instructions over real IFEval checkers, so a run goes through exactly the ``--model PATH --data
FILE`` path a user's run does. Responses of a random model are word salad, which satisfies some
constraints (no commas, lowercase) and rarely all: there are failures to replay from the first
step.
"""

from __future__ import annotations

import json
from pathlib import Path

TOPICS = ("the sea", "rain", "cats", "bread", "trains", "the moon")
WORDS = ("water", "waves", "cold", "warm", "fish", "night", "soft", "dark", "fast", "green",
         "and", "the", "is", "very", "with", "so", "river", "golden", "peace", "dream")


def instructions() -> list:
    """Twelve instructions of two or three constraints each."""
    from hir.instructions import ConstraintSpec, Instruction

    specs = [
        [ConstraintSpec(id="punctuation:no_comma"),
         ConstraintSpec(id="change_case:english_lowercase")],
        [ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["river"]}),
         ConstraintSpec(id="punctuation:no_comma")],
        [ConstraintSpec(id="startend:end_checker", kwargs={"end_phrase": "peace"}),
         ConstraintSpec(id="change_case:english_lowercase"),
         ConstraintSpec(id="punctuation:no_comma")],
        [ConstraintSpec(id="length_constraints:number_words",
                        kwargs={"relation": "less than", "num_words": 6}),
         ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["golden"]})],
    ]
    out = []
    for i, topic in enumerate(TOPICS):
        for j in (0, 1):
            out.append(Instruction(task=f"Write about {topic}.",
                                   constraints=specs[(i + j) % len(specs)], template="inline"))
    return out


def write_tiny(directory: str | Path, *, seed: int = 0, hidden: int = 16, layers: int = 1
               ) -> tuple[Path, Path]:
    """Save a tiny model + tokenizer and a data file under ``directory``; returns their paths."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from hir.toy.tokenizer import build_tokenizer

    directory = Path(directory)
    insts = instructions()
    tokenizer = build_tokenizer([i.render() for i in insts], WORDS)
    cfg = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
                      num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=2,
                      max_position_embeddings=256, tie_word_embeddings=True,
                      pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                      eos_token_id=tokenizer.eos_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(cfg)
    model_dir = directory / "tiny-model"
    model.save_pretrained(model_dir, safe_serialization=True)
    tokenizer.save_pretrained(model_dir)
    data = directory / "data.jsonl"
    with open(data, "w", encoding="utf-8") as f:
        for inst in insts:
            f.write(json.dumps({"instruction": inst.model_dump()}) + "\n")
    return model_dir, data
