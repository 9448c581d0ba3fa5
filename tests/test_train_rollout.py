"""Our KV-cache sampling loop against transformers' generate and our training forward pass."""

import pytest

from tiny_lm import load, torch  # skips this module without torch / transformers
from hir.train.data import encode_prompt
from hir.train.generate import _sample, generate
from hir.train.logprobs import sequence_logprobs
from tiny_model import instructions


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, tok = load(tmp_path_factory.mktemp("tiny"), hidden=32, layers=2)
    # prompts of different lengths, so left padding and position ids matter
    prompts = [encode_prompt(tok, i.render()) for i in instructions()[:4]]
    assert len({len(p) for p in prompts}) > 1
    return model, tok, prompts


def test_greedy_decoding_matches_transformers_generate(tiny):
    model, tok, prompts = tiny
    ours = generate(model, tok, prompts, temperature=0.0, top_p=1.0, max_new_tokens=10,
                    device=torch.device("cpu"))
    for p, g in zip(prompts, ours):  # one at a time: no padding on the reference side
        ref = model.generate(torch.tensor([p]), attention_mask=torch.ones(1, len(p),
                             dtype=torch.long), max_new_tokens=10, do_sample=False,
                             eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        ref_new = ref[0, len(p):].tolist()
        if tok.eos_token_id in ref_new:
            ref_new = ref_new[:ref_new.index(tok.eos_token_id) + 1]
        assert g.response_ids == ref_new


def test_sampler_logprobs_equal_the_training_forward_pass(tiny):
    model, tok, prompts = tiny
    torch.manual_seed(0)
    gens = generate(model, tok, prompts, temperature=0.7, top_p=1.0, max_new_tokens=8,
                    device=torch.device("cpu"))
    recomputed = sequence_logprobs(model, [(p, g.response_ids) for p, g in zip(prompts, gens)],
                                   temperature=0.7, pad_id=tok.pad_token_id,
                                   device=torch.device("cpu"), bf16=False, micro_batch=4)
    for g, lp in zip(gens, recomputed):
        assert torch.allclose(torch.tensor(g.logprobs), lp, atol=1e-4)
        assert all(0 <= h <= torch.log(torch.tensor(float(len(tok)))) + 1e-4
                   for h in g.entropies)


def test_sampling_is_reproducible_from_the_seed(tiny):
    model, tok, prompts = tiny
    runs = []
    for _ in range(2):
        torch.manual_seed(123)
        runs.append([g.response_ids for g in generate(
            model, tok, prompts * 2, temperature=1.0, top_p=0.9, max_new_tokens=8,
            device=torch.device("cpu"))])
    assert runs[0] == runs[1]


def test_top_p_keeps_only_the_nucleus():
    logp = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    torch.manual_seed(0)
    draws = {int(_sample(logp, 0.7)) for _ in range(200)}
    assert draws == {0, 1}  # 0.5 + 0.3 covers 0.7; tokens 2 and 3 are never drawn
    draws = {int(_sample(logp, 0.4)) for _ in range(50)}
    assert draws == {0}     # the top token always stays


def test_sampler_draws_from_the_distribution():
    p = torch.tensor([0.5, 0.3, 0.15, 0.05])
    torch.manual_seed(0)
    draws = _sample(torch.log(p).expand(20000, 4).contiguous(), 1.0)
    freq = torch.bincount(draws, minlength=4).double() / 20000
    assert torch.allclose(freq, p.double(), atol=0.015)
    # inside the nucleus, probabilities are renormalised: 0.5 : 0.3
    torch.manual_seed(1)
    draws = _sample(torch.log(p).expand(20000, 4).contiguous(), 0.7)
    freq = torch.bincount(draws, minlength=4).double() / 20000
    assert torch.allclose(freq, torch.tensor([0.625, 0.375, 0, 0], dtype=torch.double),
                          atol=0.015)
