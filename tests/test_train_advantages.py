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


# -- replays: replay_adv (joint | fresh) and replay_weight -----------------------------------------

from hir.train.advantages import with_replays  # noqa: E402

# 8 fresh rollouts (2 successes) in groups 0/1, then 3 replays (reward 1) in groups 0, 1, 1
FRESH_R = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
FRESH_G = [0, 0, 0, 0, 1, 1, 1, 1]
FRESH_L = [3.0, 5.0, 2.0, 4.0, 6.0, 1.0, 2.0, 3.0]
REP_G, REP_L = [0, 1, 1], [5.0, 6.0, 3.0]


def _batch():
    rewards = torch.tensor(FRESH_R + [1.0] * 3)
    lengths = torch.tensor(FRESH_L + REP_L, dtype=torch.float64)
    return rewards, lengths, FRESH_G + REP_G, [False] * 8 + [True] * 3


@pytest.mark.parametrize("kind", ["reinforce++", "grpo"])
def test_joint_weight_one_is_the_plain_estimator(kind):
    r, l, g, rep = _batch()
    out, fresh_only = with_replays(kind, r, l, g, rep)
    assert torch.equal(out, compute(kind, r, l, g))
    assert torch.equal(fresh_only, compute(kind, r[:8], l[:8], g[:8]))


@pytest.mark.parametrize("kind", ["reinforce++", "grpo"])
@pytest.mark.parametrize("weight", [1.0, 0.25])
def test_fresh_mode_gives_binary_rl_advantages_and_weighted_success_advantage(kind, weight):
    r, l, g, rep = _batch()
    out, _ = with_replays(kind, r, l, g, rep, mode="fresh", weight=weight)
    binary = compute(kind, r[:8], l[:8], g[:8])  # the same batch without its replays
    assert torch.equal(out[:8], binary)
    if kind == "reinforce++":  # every fresh success gets the same advantage
        assert torch.allclose(out[8:], weight * binary[0].repeat(3))
    else:  # the fresh success of the replay's own group
        assert out[8] == pytest.approx(weight * float(binary[0]))
        assert out[9] == pytest.approx(weight * float(binary[6]))
        assert out[10] == pytest.approx(weight * float(binary[6]))
    assert float(out[8]) > 0


def test_weight_scales_replays_in_joint_mode():
    r, l, g, rep = _batch()
    full, _ = with_replays("reinforce++", r, l, g, rep)
    quarter, _ = with_replays("reinforce++", r, l, g, rep, weight=0.25)
    assert torch.equal(quarter[:8], full[:8])
    assert torch.allclose(quarter[8:], 0.25 * full[8:])
    zero, _ = with_replays("reinforce++", r, l, g, rep, weight=0.0)
    assert torch.all(zero[8:] == 0) and torch.equal(zero[:8], full[:8])


@pytest.mark.parametrize("kind", ["reinforce++", "grpo"])
def test_fresh_mode_falls_back_to_joint_without_a_fresh_success(kind):
    r = torch.tensor([0.0] * 8 + [1.0] * 3)
    l = torch.tensor(FRESH_L + REP_L, dtype=torch.float64)
    g, rep = FRESH_G + REP_G, [False] * 8 + [True] * 3
    joint = compute(kind, r, l, g)
    out, fresh_only = with_replays(kind, r, l, g, rep, mode="fresh", weight=0.5)
    assert torch.all(out[:8] == 0) and torch.all(fresh_only == 0)  # binary RL: no signal
    assert torch.allclose(out[8:], 0.5 * joint[8:])
    assert torch.all(torch.isfinite(out))


def test_fresh_mode_grpo_per_group_fallback():
    # group 0 has a fresh success, group 1 none: its replay keeps the joint advantage
    r = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    l = torch.ones(6, dtype=torch.float64)
    g, rep = [0, 0, 1, 1, 0, 1], [False] * 4 + [True] * 2
    out, fresh_only = with_replays("grpo", r, l, g, rep, mode="fresh")
    joint = compute("grpo", r, l, g)
    assert out[4] == pytest.approx(float(fresh_only[0]))
    assert out[5] == pytest.approx(float(joint[5]))


def test_fresh_mode_reduce_sees_global_statistics():
    # two ranks: rank 1 has no success of its own; the global batch has one on rank 0
    r0, l0 = torch.tensor([1.0, 0.0, 1.0]), torch.tensor([2.0, 3.0, 2.0], dtype=torch.float64)
    r1, l1 = torch.tensor([0.0, 0.0, 1.0]), torch.tensor([4.0, 1.0, 3.0], dtype=torch.float64)
    rep0, rep1 = [False, False, True], [False, False, True]
    whole, _ = with_replays("reinforce++", torch.cat([r0, r1]), torch.cat([l0, l1]),
                            [0, 0, 0, 1, 1, 1], rep0 + rep1, mode="fresh", weight=0.5)

    def other(r, l, rep):
        fr = ~torch.tensor(rep)
        n_fresh_succ = float((r[fr] >= 1).sum())
        def red(s):
            if s.numel() == 1:
                return s + n_fresh_succ
            return s + torch.stack([l[fr].sum(), (l[fr] * r[fr].double()).sum(),
                                    (l[fr] * r[fr].double() ** 2).sum()])
        return red

    # joint whitening's reduce would differ, so compare only with mode="fresh" pieces
    a1, _ = with_replays("reinforce++", r1, l1, [1, 1, 1], rep1, mode="fresh", weight=0.5,
                         reduce=_joint_then(other(r0, l0, rep0), r0, l0))
    assert torch.allclose(a1, whole[3:])


def _joint_then(fresh_reduce, r_other, l_other):
    """A reduce that answers the joint statistics call first, then the fresh ones."""
    calls = {"n": 0}

    def red(s):
        calls["n"] += 1
        if calls["n"] == 1:  # joint: all of the other rank's sequences
            l = l_other.double()
            return s + torch.stack([l.sum(), (l * r_other.double()).sum(),
                                    (l * r_other.double() ** 2).sum()])
        return fresh_reduce(s)
    return red


def test_unknown_replay_adv_is_rejected():
    r, l, g, rep = _batch()
    with pytest.raises(ValueError, match="replay_adv"):
        with_replays("reinforce++", r, l, g, rep, mode="both")
