"""Advantage estimators: REINFORCE++ token-weighted whitening, GRPO groups with replays."""

import statistics

import pytest

torch = pytest.importorskip("torch")

from hir.train.advantages import compute, grpo, reinforce_pp  # noqa: E402

torch.set_num_threads(1)


def test_reinforce_pp_whitens_over_tokens_of_the_batch():
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0])
    lengths = torch.tensor([2, 3, 1, 4])
    a = reinforce_pp(rewards, lengths)
    # expand to one value per token: whitening is over tokens, so token stats are 0 mean, 1 std
    tokens = [float(x) for x, n in zip(a, lengths) for _ in range(int(n))]
    assert statistics.fmean(tokens) == pytest.approx(0.0, abs=1e-6)
    assert statistics.stdev(tokens) == pytest.approx(1.0, rel=1e-4)
    # successes above, failures below, equal rewards equal advantages
    assert a[0] > 0 > a[1] and a[0] == pytest.approx(a[3]) and a[1] == pytest.approx(a[2])


def test_reinforce_pp_constant_rewards_give_zero():
    a = reinforce_pp(torch.zeros(5), torch.ones(5) * 3)
    assert torch.all(a == 0)


def test_reinforce_pp_reduce_sees_global_statistics():
    # two "ranks" holding halves of a batch: with a reduce that adds the other half's stats,
    # each half gets the advantages the whole batch gives
    r1, l1 = torch.tensor([1.0, 0.0]), torch.tensor([2.0, 5.0])
    r2, l2 = torch.tensor([0.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, 3.0])
    whole = reinforce_pp(torch.cat([r1, r2]), torch.cat([l1, l2]))

    def stats(r, l):
        l = l.double()
        r = r.double()
        return torch.stack([l.sum(), (l * r).sum(), (l * r * r).sum()])

    a1 = reinforce_pp(r1, l1, reduce=lambda s: s + stats(r2, l2))
    a2 = reinforce_pp(r2, l2, reduce=lambda s: s + stats(r1, l1))
    assert torch.allclose(torch.cat([a1, a2]), whole)


def test_grpo_normalises_within_groups_and_replays_join_their_group():
    # group 0: 3 failures + 1 replay of one of them (reward 1); group 1: all failed, no replay
    rewards = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    groups = [0, 0, 0, 1, 1, 1, 0]
    a = grpo(rewards, groups)
    g0 = [0.0, 0.0, 0.0, 1.0]
    mu, sd = statistics.fmean(g0), statistics.stdev(g0)
    assert a[6] == pytest.approx((1.0 - mu) / sd, rel=1e-4)
    assert a[0] == pytest.approx((0.0 - mu) / sd, rel=1e-4)
    assert torch.all(a[3:6] == 0)  # a dead group carries no signal


def test_grpo_without_the_replay_has_no_signal():
    a = grpo(torch.zeros(3), [0, 0, 0])
    assert torch.all(a == 0)


def test_compute_rejects_unknown_estimator():
    with pytest.raises(ValueError, match="unknown advantage"):
        compute("ppo", torch.zeros(2), torch.ones(2), [0, 0])
