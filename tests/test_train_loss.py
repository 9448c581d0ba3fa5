"""PPO-clip loss: clipping, token-mean normalisation, the k3 KL estimator."""

import math

import pytest

torch = pytest.importorskip("torch")

from hir.train.loss import k3_kl, ppo_loss  # noqa: E402

torch.set_num_threads(1)


def _grad(logp0, old, adv, eps=0.2, high=None):
    lp = torch.tensor([[logp0]], requires_grad=True)
    parts = ppo_loss(lp, torch.tensor([[old]]), torch.tensor([adv]), torch.ones(1, 1), 1,
                     clip_eps=eps, clip_eps_high=high)
    parts.loss.backward()
    return parts, lp.grad.item()


def test_positive_advantage_is_clipped_above_one_plus_eps():
    # ratio e^0.5 ~ 1.65 > 1.2: the clipped term is active, the loss is flat (no gradient)
    parts, g = _grad(0.5, 0.0, 1.0)
    assert parts.loss.item() == pytest.approx(-1.2)
    assert g == 0.0
    assert parts.clipped == 1


def test_positive_advantage_inside_the_trust_region_has_gradient():
    parts, g = _grad(0.1, 0.0, 1.0)
    assert parts.loss.item() == pytest.approx(-math.exp(0.1))
    assert g == pytest.approx(-math.exp(0.1))  # d(-A r)/d logp = -A r


def test_negative_advantage_is_clipped_below_one_minus_eps():
    parts, g = _grad(-0.5, 0.0, -1.0)
    assert parts.loss.item() == pytest.approx(0.8)
    assert g == 0.0


def test_negative_advantage_with_large_ratio_is_never_clipped():
    # pessimistic bound: a bad action made more likely keeps its full (growing) penalty
    parts, g = _grad(0.5, 0.0, -1.0)
    assert parts.loss.item() == pytest.approx(math.exp(0.5))
    assert g == pytest.approx(math.exp(0.5))


def test_clip_higher_uses_its_own_upper_bound():
    parts, _ = _grad(0.5, 0.0, 1.0, eps=0.2, high=0.28)
    assert parts.loss.item() == pytest.approx(-1.28)


def test_token_mean_weighs_tokens_not_sequences():
    # a 1-token sequence with A=1 and a 3-token sequence with A=-1, ratio 1 everywhere
    lp = torch.zeros(2, 3)
    mask = torch.tensor([[1, 0, 0], [1, 1, 1]])
    parts = ppo_loss(lp, lp.clone(), torch.tensor([1.0, -1.0]), mask, n_tokens=4)
    assert parts.loss.item() == pytest.approx((-1 + 3) / 4)  # not the sequence mean 0
    # micro-batches with the global token count add up to the full-batch loss
    a = ppo_loss(lp[:1], lp[:1], torch.tensor([1.0]), mask[:1], n_tokens=4).loss
    b = ppo_loss(lp[1:], lp[1:], torch.tensor([-1.0]), mask[1:], n_tokens=4).loss
    assert (a + b).item() == pytest.approx(parts.loss.item())


def test_padding_tokens_do_not_count():
    lp = torch.tensor([[0.3, 5.0]])
    parts = ppo_loss(lp, torch.zeros(1, 2), torch.tensor([1.0]), torch.tensor([[1, 0]]), 1)
    assert parts.loss.item() == pytest.approx(-min(math.exp(0.3), 1.2))


def test_k3_is_nonnegative_zero_at_equality_and_unbiased_for_kl():
    lp = torch.tensor([-1.0, -2.0, -0.5])
    assert torch.all(k3_kl(lp, lp) == 0)
    assert torch.all(k3_kl(lp, lp + torch.tensor([0.3, -0.7, 1.1])) > 0)
    # E_{x~p}[k3] = KL(p||q) for two categorical distributions
    p = torch.tensor([0.5, 0.3, 0.2])
    q = torch.tensor([0.2, 0.2, 0.6])
    expected = float((p * (p / q).log()).sum())
    estimate = float((p * k3_kl(p.log(), q.log())).sum())
    assert estimate == pytest.approx(expected, rel=1e-5)


def test_kl_term_needs_reference():
    lp = torch.zeros(1, 1)
    with pytest.raises(ValueError, match="ref_logprobs"):
        ppo_loss(lp, lp, torch.ones(1), torch.ones(1, 1), 1, kl_coef=0.1)
    parts = ppo_loss(lp, lp, torch.zeros(1), torch.ones(1, 1), 1, kl_coef=0.5,
                     ref_logprobs=torch.tensor([[-0.2]]))
    assert parts.loss.item() == pytest.approx(0.5 * (math.exp(-0.2) + 0.2 - 1))
