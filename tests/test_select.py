"""HiR selection: candidates, the score, the lambda schedule, both budgets, ties."""

from __future__ import annotations

import math

import pytest

from constraints import Verdict
from hir.masks import from_verdicts
from hir.knobs import lambda_at
from hir.select import Candidate, candidates, mean_entropy, select


def m(passed: int, total: int):
    return from_verdicts([Verdict(i < passed, "") for i in range(total)])


def test_lambda_schedule():
    assert lambda_at(0) == 2.0
    assert lambda_at(1) == pytest.approx(2.1)
    assert lambda_at(10) == pytest.approx(2.0 * 1.05 ** 10)
    assert lambda_at(3, lambda0=1.0, eta=0.0) == 1.0
    assert lambda_at(5) > lambda_at(4)
    with pytest.raises(ValueError):
        lambda_at(-1)


def test_mean_entropy_from_each_source():
    assert mean_entropy(1.25) == 1.25
    assert mean_entropy(token_entropies=[1.0, 2.0, 4.0]) == pytest.approx(7 / 3)
    assert mean_entropy(logprobs=[-0.5, -1.5]) == pytest.approx(1.0)
    assert mean_entropy() is None
    assert mean_entropy(token_entropies=[]) is None
    with pytest.raises(ValueError):
        mean_entropy(1.0, logprobs=[-1.0])
    with pytest.raises(ValueError):
        mean_entropy(token_entropies=[math.nan])


def test_candidates_are_partial_failures_only():
    groups = [[m(0, 3), m(1, 3), m(3, 3), m(2, 3)]]
    assert [(c.group, c.response) for c in candidates(groups, lambda_=2.0)] == [(0, 1), (0, 3)]


def test_score_is_entropy_plus_lambda_cla():
    groups = [[m(1, 2), m(1, 4)]]
    got = candidates(groups, [[0.7, None]], lambda_=lambda_at(2))
    lam = lambda_at(2)
    assert got[0] == Candidate(0, 0, 0.5, 0.7, pytest.approx(0.7 + lam * 0.5))
    assert got[1].score == pytest.approx(lam * 0.25)  # no entropy: CLA alone


def test_group_budget_keeps_the_top_k_of_each_group():
    groups = [[m(1, 4), m(3, 4), m(2, 4), m(0, 4)], [m(1, 2)], [m(4, 4)]]
    chosen = select(groups, k=2, lambda_=2.0)
    assert [(c.group, c.response) for c in chosen] == [(0, 1), (0, 2), (1, 0)]
    assert select(groups, k=0, lambda_=2.0) == []


def test_entropy_wins_early_and_cla_wins_late():
    # response 0: diverse but barely right; response 1: confident and nearly right
    groups = [[m(1, 4), m(3, 4)]]
    ent = [[3.0, 0.1]]
    early = select(groups, ent, lambda_=lambda_at(0, 1.0, 0.2), k=1)
    late = select(groups, ent, lambda_=lambda_at(30, 1.0, 0.2), k=1)
    assert early[0].response == 0
    assert late[0].response == 1
    # without entropies the choice is by CLA at any step
    assert select(groups, lambda_=1.0, k=1)[0].response == 1


def test_global_budget_selects_over_the_batch():
    groups = [[m(3, 4), m(3, 4), m(3, 4)], [m(1, 4), m(1, 4)], [m(0, 4)]]
    by_group = select(groups, k=1, budget="group", lambda_=2.0)
    assert [(c.group, c.response) for c in by_group] == [(0, 0), (1, 0)]
    overall = select(groups, k=1, budget="global", lambda_=2.0)  # K = 1 * 3 groups
    assert [(c.group, c.response) for c in overall] == [(0, 0), (0, 1), (0, 2)]
    assert len(select(groups, k=1, budget="global", total=4, lambda_=2.0)) == 4
    assert len(select(groups, k=5, budget="global", lambda_=2.0)) == 5  # fewer candidates than K


def test_ties_break_by_group_then_response():
    groups = [[m(1, 2), m(1, 2), m(1, 2)], [m(1, 2)]]
    chosen = select(groups, [[1.0, 1.0, 1.0], [1.0]], lambda_=2.0, k=1, budget="global",
                    total=2)
    assert [(c.group, c.response) for c in chosen] == [(0, 0), (0, 1)]
    assert select(groups, k=2, lambda_=2.0) == select(list(groups), k=2, lambda_=2.0)


def test_bad_arguments():
    groups = [[m(1, 2)]]
    with pytest.raises(ValueError):
        select(groups, budget="batch", lambda_=2.0)
    with pytest.raises(ValueError):
        select(groups, k=-1, lambda_=2.0)
    with pytest.raises(ValueError):
        select(groups, [[1.0, 2.0]], lambda_=2.0)
    with pytest.raises(ValueError):
        select(groups, [[1.0], [1.0]], lambda_=2.0)


# -- difficulty weights (replay_select="rarity", beyond the paper) --------------------------------

def sat(*flags: bool):
    return from_verdicts([Verdict(f, "") for f in flags])


def test_weighted_cla():
    from hir.select import weighted_cla
    assert weighted_cla([True, False, False], None) == pytest.approx(1 / 3)
    assert weighted_cla([True, False, False], [0.0, 0.5, 0.5]) == 0.0
    assert weighted_cla([False, True, False], [0.1, 0.6, 0.3]) == pytest.approx(0.6)
    assert weighted_cla([True, False], [0.0, 0.0]) == 0.5  # no weight anywhere: plain fraction
    with pytest.raises(ValueError):
        weighted_cla([True, False], [1.0])


def test_weights_rank_equal_cla_by_the_hard_constraint_they_kept():
    # two candidates with CLA 1/2: one kept the easy constraint 0, the other the hard constraint 1
    groups = [[sat(True, False)], [sat(False, True)]]
    plain = select(groups, lambda_=2.0, k=1, budget="global", total=1)
    assert [(c.group, c.cla) for c in plain] == [(0, 0.5)]  # tie: lower group index
    weighted = select(groups, lambda_=2.0, k=1, budget="global", total=1,
                      weights=[[0.1, 0.9], [0.1, 0.9]])
    assert [(c.group, c.cla) for c in weighted] == [(1, 0.5)]  # Candidate.cla stays the fraction
    assert weighted[0].score == pytest.approx(2.0 * 0.9)
    with pytest.raises(ValueError, match="weight lists"):
        candidates(groups, lambda_=1.0, weights=[[1.0, 1.0]])
