"""Choosing which failed responses to replay (HiR's selection step).

Candidates are the failed responses that satisfied part of their instruction: 0 < CLA < 1. A
response that satisfied nothing has nothing to replay; one that satisfied everything is already a
success. Each candidate gets the score

    F = F_div + lambda_s * CLA,     lambda_s = lambda0 * (1 + eta) ** step

where F_div is the response's mean token entropy (diversity: the policy was unsure, so the sample
carries signal) and CLA its fraction of satisfied constraints. lambda_s grows each step, so selection
moves from diverse samples early in training to nearly-correct ones later.

Without an entropy for a response F_div is 0 and the score is lambda_s * CLA: candidates rank by CLA
alone. Mixing responses with and without entropies in one selection favours those with entropies
(F_div >= 0); dumps normally carry entropies for all responses or none.

Difficulty weights (an option beyond the paper, ``weights``): the CLA term may weight each
constraint, ``sum(w_i * satisfied_i) / sum(w_i)``, so that among responses with the same number of
satisfied constraints those that satisfied the *hard* ones rank first (the trainer's
``replay_select="rarity"`` weights a constraint by its failure rate in the batch). ``Candidate.cla``
stays the plain fraction.

Budgets: ``group`` keeps the top k candidates of each group (fewer if it has fewer); ``global``
keeps the top K candidates over the whole batch, K = k * number of groups unless ``total`` is given
(the authors' released trainer selects over the batch). Ties break deterministically: higher score,
then higher CLA, then lower group index, then lower response index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .knobs import BUDGETS, Budget
from .masks import Mask

def mean_entropy(entropy: float | None = None, *, token_entropies: Sequence[float] | None = None,
                 logprobs: Sequence[float] | None = None) -> float | None:
    """A response's mean token entropy from whatever the dump carries; None when it carries nothing.

    - ``entropy``: already a per-response scalar, returned as is.
    - ``token_entropies``: the policy's entropy at each generated token; their mean.
    - ``logprobs``: the log-probabilities of the sampled tokens; the mean of ``-logprob`` (the mean
      surprisal) is a one-sample Monte Carlo estimate of the mean entropy: E[-log p(x)] = H(p).
      It is noisier than true entropies but needs nothing beyond what rollouts log anyway.

    An empty token list gives None (no tokens, no estimate). Non-finite values are an error.
    """
    given = [x is not None for x in (entropy, token_entropies, logprobs)]
    if sum(given) > 1:
        raise ValueError("give one of entropy, token_entropies, logprobs")
    if entropy is not None:
        value = float(entropy)
    elif token_entropies is not None:
        if len(token_entropies) == 0:
            return None
        value = _mean(token_entropies)
    elif logprobs is not None:
        if len(logprobs) == 0:
            return None
        value = -_mean(logprobs)
    else:
        return None
    if not math.isfinite(value):
        raise ValueError(f"entropy must be finite, got {value}")
    return value


def _mean(values: Sequence[float]) -> float:
    try:
        return math.fsum(float(x) for x in values) / len(values)
    except OverflowError:  # finite values whose sum is not: 1e308 + 1e308
        return math.fsum(float(x) / len(values) for x in values)


@dataclass(frozen=True)
class Candidate:
    """A failed, partly satisfying response and its selection score."""

    group: int       # index of the group in the batch
    response: int    # index of the response in its group
    cla: float
    entropy: float | None
    score: float


def _order(c: Candidate) -> tuple:
    return (-c.score, -c.cla, c.group, c.response)


def weighted_cla(satisfied: Sequence[bool], weights: Sequence[float] | None) -> float:
    """``sum(w_i * satisfied_i) / sum(w_i)``; the plain fraction without weights (or all zero)."""
    if weights is None or not satisfied:
        return sum(satisfied) / len(satisfied) if satisfied else 1.0
    if len(weights) != len(satisfied):
        raise ValueError(f"{len(weights)} weights for {len(satisfied)} constraints")
    total = math.fsum(weights)
    if total <= 0:
        return sum(satisfied) / len(satisfied)
    return math.fsum(w for w, ok in zip(weights, satisfied) if ok) / total


def candidates(groups_masks: Sequence[Sequence[Mask]],
               entropies: Sequence[Sequence[float | None] | None] | None = None, *,
               lambda_: float, weights: Sequence[Sequence[float] | None] | None = None,
               eligible: Sequence[Sequence[bool]] | None = None) -> list[Candidate]:
    """Every response with 0 < CLA < 1, scored with CLA weight ``lambda_``, in (group, response)
    order. ``weights[g]``: per-constraint weights of group g's instruction (None: unweighted).
    ``eligible[g][r]`` False excludes response r of group g (None: every response may be one)."""
    if entropies is not None and len(entropies) != len(groups_masks):
        raise ValueError(f"{len(entropies)} entropy lists for {len(groups_masks)} groups")
    if weights is not None and len(weights) != len(groups_masks):
        raise ValueError(f"{len(weights)} weight lists for {len(groups_masks)} groups")
    if eligible is not None and len(eligible) != len(groups_masks):
        raise ValueError(f"{len(eligible)} eligibility lists for {len(groups_masks)} groups")
    out = []
    for g, group in enumerate(groups_masks):
        ents = entropies[g] if entropies is not None else None
        if ents is not None and len(ents) != len(group):
            raise ValueError(f"group {g}: {len(ents)} entropies for {len(group)} responses")
        if eligible is not None and len(eligible[g]) != len(group):
            raise ValueError(f"group {g}: {len(eligible[g])} eligibility flags for "
                             f"{len(group)} responses")
        w = weights[g] if weights is not None else None
        for r, m in enumerate(group):
            if not m.partial or (eligible is not None and not eligible[g][r]):
                continue
            h = ents[r] if ents is not None else None
            term = m.cla if w is None else weighted_cla(m.satisfied, w)
            out.append(Candidate(g, r, m.cla, h, (h or 0.0) + lambda_ * term))
    return out


def select(groups_masks: Sequence[Sequence[Mask]],
           entropies: Sequence[Sequence[float | None] | None] | None = None, *,
           lambda_: float, k: int = 2, budget: Budget = "group",
           total: int | None = None,
           weights: Sequence[Sequence[float] | None] | None = None,
           eligible: Sequence[Sequence[bool]] | None = None) -> list[Candidate]:
    """The candidates to replay, best first within the budget.

    ``groups_masks[g][r]`` is the mask of response r of group g; ``entropies`` is index-aligned
    (a None group or value means no entropy); ``lambda_`` is lambda_s of the batch's step
    (``hir.knobs.lambda_at``), computed once by the caller; ``weights`` are optional difficulty
    weights and ``eligible`` an optional filter (``candidates``). Returns candidates sorted by
    (group, response), the order replays are written in. ``total`` overrides K for the global
    budget.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, got {budget!r}")
    pool = candidates(groups_masks, entropies, lambda_=lambda_, weights=weights,
                      eligible=eligible)
    if budget == "group":
        by_group: dict[int, list[Candidate]] = {}
        for c in pool:
            by_group.setdefault(c.group, []).append(c)
        chosen = [c for cs in by_group.values() for c in sorted(cs, key=_order)[:k]]
    else:
        K = k * len(groups_masks) if total is None else total
        if K < 0:
            raise ValueError(f"total must be >= 0, got {K}")
        chosen = sorted(pool, key=_order)[:K]
    return sorted(chosen, key=lambda c: (c.group, c.response))
