"""The toy model and its warm-up: shapes, seeded initialisation, loss going down."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from hir.toy import build_toy_tokenizer, make_prompts  # noqa: E402
from hir.toy.model import ToyModelConfig, build_model  # noqa: E402
from hir.toy.task import ToyTaskConfig  # noqa: E402
from hir.toy.warmup import WarmupConfig, encode_pair, warmup  # noqa: E402

SMALL = ToyModelConfig(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64)


@pytest.fixture(scope="module")
def toy():
    torch.set_num_threads(1)
    train, held_out = make_prompts(0, ToyTaskConfig(n_train=60, n_eval=10))
    return build_toy_tokenizer(train, held_out), train


def test_forward_shape_and_vocabulary(toy):
    tok, _ = toy
    model = build_model(tok, SMALL)
    ids = torch.tensor([tok("Write about rain.", add_special_tokens=False)["input_ids"]])
    logits = model(input_ids=ids).logits
    assert logits.shape == (1, ids.shape[1], len(tok))
    assert model.config.eos_token_id == tok.eos_token_id
    assert model.config.pad_token_id == tok.pad_token_id


def test_initialisation_is_seeded_and_leaves_the_global_rng_alone(toy):
    tok, _ = toy
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build_model(tok, SMALL, seed=5)
    after = torch.rand(1)
    b = build_model(tok, SMALL, seed=5)
    c = build_model(tok, SMALL, seed=6)
    assert torch.equal(before, after)
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_default_model_is_small():
    from hir.toy.model import ToyModelConfig as Default

    cfg = Default()
    assert cfg.hidden_size <= 128 and cfg.num_layers <= 4


def test_labels_cover_the_response_and_eos_only(toy):
    tok, _ = toy
    ids, labels = encode_pair(tok, "Write about rain.", "Rain is calm.")
    n_prompt = sum(1 for y in labels if y == -100)
    assert ids[:n_prompt] == tok(tok.apply_chat_template(
        [{"role": "user", "content": "Write about rain."}], add_generation_prompt=True,
        tokenize=False), add_special_tokens=False)["input_ids"]
    assert labels[n_prompt:] == ids[n_prompt:]
    assert ids[-1] == tok.eos_token_id
    assert tok.decode(ids[n_prompt:-1]) == "Rain is calm."


def test_warmup_reduces_the_loss(toy):
    tok, train = toy
    model = build_model(tok, SMALL)
    result = warmup(model, tok, train, WarmupConfig(steps=30, batch_size=8, n_demos=60,
                                                    warmup_steps=2, lr=5e-3), seed=0)
    assert len(result.losses) == 30
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    assert last < 0.7 * first
    assert not model.training
    # the demonstrations are imperfect by design, as measured by the real checkers
    assert 0.2 < result.satisfied_rate < 0.8
    assert result.all_satisfied_rate < result.satisfied_rate


def test_default_setup_is_deterministic_and_gives_instructions(tmp_path):
    from hir.instructions import Instruction
    from hir.toy import ToyConfig, ToySetup, default_setup, save_setup

    toy = ToyConfig(task=ToyTaskConfig(n_train=40, n_eval=8), model=SMALL,
                    warmup=WarmupConfig(steps=3, batch_size=4, n_demos=12, warmup_steps=1))
    a = default_setup(seed=3, toy=toy)
    b = default_setup(seed=3, toy=toy)
    assert isinstance(a, ToySetup)
    model, tok, train, held_out = a
    assert len(train) == 40 and len(held_out) == 8
    assert all(isinstance(i, Instruction) for i in train + held_out)
    assert [i.render() for i in train] == [i.render() for i in b.train_instructions]
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)
    assert not model.training
    model_dir, train_path, eval_path = save_setup(a, tmp_path)
    from transformers import AutoModelForCausalLM

    again = AutoModelForCausalLM.from_pretrained(model_dir)
    ids = torch.tensor([tok(held_out[0].render(), add_special_tokens=False)["input_ids"]])
    assert torch.allclose(again(input_ids=ids).logits, model(input_ids=ids).logits, atol=1e-5)
    import json
    rows = [json.loads(line) for line in open(train_path, encoding="utf-8")]
    assert [Instruction.model_validate(r["instruction"]) for r in rows] == train
