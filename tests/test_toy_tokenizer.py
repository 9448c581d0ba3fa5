"""The toy tokenizer: exact round trip, full coverage of the task, save/load, chat template."""

from __future__ import annotations

import random

import pytest

from hir.toy import build_toy_tokenizer, make_prompts, prompt_text
from hir.toy.task import ToyTaskConfig, demonstration


@pytest.fixture(scope="module")
def setup():
    train, held_out = make_prompts(0, ToyTaskConfig(n_train=200, n_eval=40))
    return build_toy_tokenizer(train, held_out), train, held_out


def _texts(train, held_out):
    rng = random.Random(0)
    demos = [demonstration(p, rng, q)[0] for p in train[:80] for q in (0.0, 0.5, 1.0)]
    return [prompt_text(p) for p in train + held_out] + demos


def test_round_trip_is_exact_and_nothing_is_unknown(setup):
    tok, train, held_out = setup
    for text in _texts(train, held_out):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok.unk_token_id not in ids, text
        assert tok.decode(ids) == text  # spaces and newlines (bullet lines) survive


def test_rewritten_instructions_are_covered(setup):
    # HiR drops constraints from a prompt; every such prompt must still encode without <|unk|>
    tok, train, _ = setup
    for p in train[:50]:
        inst = p.instruction()
        for i in range(len(inst.constraints)):
            ids = tok(inst.keep([i]).render(), add_special_tokens=False)["input_ids"]
            assert tok.unk_token_id not in ids


def test_achieved_rewrites_are_covered(setup):
    # --replay-rewrite achieved states a count or an end phrase the response met: any number of
    # words or bullets, and an end phrase carrying its own full stop ("... words my friends..")
    from hir.knobs import RelabelConfig
    from hir.masks import mask
    from hir.relabel import relabel

    tok, train, _ = setup
    rng = random.Random(1)
    prompts = train[:60]
    responses = [[demonstration(p, rng, 0.5)[0] for _ in range(4)] for p in prompts]
    instructions = [p.instruction() for p in prompts]
    masks = [[mask(i, r, semantics="corrected") for r in rs]
             for i, rs in zip(instructions, responses)]
    chosen = relabel(instructions, responses, masks, [None] * len(prompts), lambda_=2.0,
                     config=RelabelConfig(k=4, rewrite="achieved", semantics="corrected"))
    assert sum(len(s.rephrased) for s in chosen) >= 20
    for s in chosen:
        ids = tok(s.instruction.render(), add_special_tokens=False)["input_ids"]
        assert tok.unk_token_id not in ids, s.instruction.render()
    for n in range(100):
        ids = tok(f"Write about rain. Use less than {n} words.", add_special_tokens=False)
        assert tok.unk_token_id not in ids["input_ids"]


def test_words_are_single_tokens(setup):
    tok, _, _ = setup
    assert len(tok(" thunder", add_special_tokens=False)["input_ids"]) == 1
    assert len(tok("Write about the ocean.", add_special_tokens=False)["input_ids"]) == 5


def test_unknown_text_maps_to_unk(setup):
    tok, _, _ = setup
    ids = tok(" zyzzyva", add_special_tokens=False)["input_ids"]
    assert ids == [tok.unk_token_id]


def test_special_tokens_and_chat_template(setup):
    tok, _, _ = setup
    assert {tok.pad_token, tok.eos_token, tok.bos_token, tok.unk_token} == {
        "<|pad|>", "<|end|>", "<|bos|>", "<|unk|>"}
    assert len({tok.pad_token_id, tok.eos_token_id, tok.bos_token_id, tok.unk_token_id}) == 4
    text = tok.apply_chat_template([{"role": "user", "content": "Write about rain."}],
                                   add_generation_prompt=True, tokenize=False)
    assert text == "<|bos|><|user|>Write about rain.<|end|><|assistant|>"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.convert_tokens_to_ids("<|assistant|>")
    assert tok.decode(ids, skip_special_tokens=True) == "Write about rain."


def test_save_and_reload(setup, tmp_path):
    from transformers import AutoTokenizer

    tok, train, held_out = setup
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    assert again.get_vocab() == tok.get_vocab()
    assert again.eos_token_id == tok.eos_token_id and again.pad_token_id == tok.pad_token_id
    for text in _texts(train, held_out)[:40]:
        assert again(text, add_special_tokens=False)["input_ids"] == \
            tok(text, add_special_tokens=False)["input_ids"]
    assert again.chat_template == tok.chat_template
