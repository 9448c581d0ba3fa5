"""Steps 3-4: choose failed rollouts to replay and turn them into successes (hindsight replay).

Selection, rewriting and the re-check are ``hir.relabel.relabel`` (``hir.select.select``
then ``hir.rewrite``), the one implementation ``hir relabel`` runs too. A replay is the
hindsight instruction's prompt tokens + the *same* response tokens, reward 1, in the group of
the rollout it came from.

Old-policy log-probs of a replay (the denominator of its PPO ratio), ``replay_logprobs``:

- ``recompute`` (default): the policy's log-probs of the response under the hindsight prompt,
  i.e. the sequence actually trained on. The first-epoch ratio is exactly 1, as for fresh rollouts,
  so clipping acts only on the policy's change during the update epochs.
- ``copy`` (the authors' released choice): the log-probs the response had under the *original*
  prompt. The ratio then also carries the change of context, pi(y | x') / pi(y | x), and clipping
  bounds how far a replay can pull the policy toward responses that were unlikely under x'.

Which candidates fill the budget, ``replay_select``: ``score`` (the paper's F = mean token
entropy + lambda_s * CLA), ``cla`` (lambda_s * CLA only: ``hir.select`` scores a response without
an entropy that way) or ``random`` (uniform among the candidates: each gets a uniform random
number from ``rng`` in place of its entropy and lambda_s is 0, so the ranking is a uniform random
order; ``hir.select`` still decides what is a candidate and applies the budget), or ``rarity``
(beyond the paper: the score with a difficulty-weighted CLA term, each constraint weighted by
its failure rate over the batch's rollouts of its constraint id, so that replays keep the
constraints the policy rarely satisfies; ``failure_weights``).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Sequence

from hir.relabel import RelabelConfig, relabel
from hir.rows import Row

from .data import encode_prompt
from .episode import Episode


def build(groups: Sequence[Sequence[Episode]], items: Sequence[Row], tokenizer, *,
          lambda_: float, config: RelabelConfig, system: str | None,
          max_prompt_tokens: int, select: str = "score",
          rng: random.Random | None = None) -> list[Episode]:
    """One replay ``Episode`` per response ``hir.relabel.relabel`` selects and re-checks, in
    (group, response) order; ``lambda_`` is lambda_s of the step. ``select`` is
    ``replay_select``; ``random`` draws from ``rng`` (required then).

    Items whose constraints are baked into a fixed prompt (IFEval rows) take no part: their
    groups are passed with no responses, so nothing of theirs is selected.
    """
    usable = [list(g) if item.replayable else [] for item, g in zip(items, groups)]
    weights = None
    if select in ("score", "rarity"):
        entropies: list = [[e.entropy for e in g] for g in usable]
        if select == "rarity":
            weights = failure_weights(groups, items)
    elif select == "cla":
        entropies = [None] * len(usable)
    elif select == "random":
        if rng is None:
            raise ValueError("replay_select='random' needs an rng")
        entropies = [[rng.random() for _ in g] for g in usable]
        lambda_ = 0.0
    else:
        raise ValueError("replay_select must be 'score', 'rarity', 'random' or 'cla', "
                         f"got {select!r}")
    chosen = relabel([item.instruction for item in items],
                     [[e.response for e in g] for g in usable],
                     [[e.mask for e in g] for g in usable],
                     entropies, lambda_=lambda_, config=config, weights=weights)
    out = []
    for s in chosen:
        original = groups[s.group][s.response]
        text = s.instruction.render()
        out.append(Episode(
            group=original.group, instruction=s.instruction, prompt=text,
            prompt_ids=encode_prompt(tokenizer, text, system=system, max_tokens=max_prompt_tokens),
            response=original.response, response_ids=original.response_ids, reward=1.0,
            original=original))
    return out


def failure_weights(groups: Sequence[Sequence[Episode]], items: Sequence[Row]
                    ) -> list[list[float]]:
    """Per group, each constraint's weight for ``replay_select="rarity"``: the fraction of the
    batch's verdicts on that constraint id (every rollout of every group) that failed."""
    failed: dict[str, int] = defaultdict(int)
    seen: dict[str, int] = defaultdict(int)
    for item, group in zip(items, groups):
        ids = [c.id for c in item.instruction.constraints]
        for e in group:
            for cid, ok in zip(ids, e.mask.satisfied):
                seen[cid] += 1
                failed[cid] += not ok
    return [[failed[c.id] / seen[c.id] if seen[c.id] else 1.0 for c in item.instruction.constraints]
            for item in items]


def old_logprob_sources(batch: Sequence[Episode], how: str) -> list[int]:
    """For each sequence of ``batch``, the index of the sequence whose log-probs (under the
    current policy, before the update) are its old-policy log-probs: its own, or for a replay
    under ``copy`` its original's. The one place the ``replay_logprobs`` rule lives.
    """
    if how not in ("recompute", "copy"):
        raise ValueError(f"replay_logprobs must be 'recompute' or 'copy', got {how!r}")
    if how == "recompute":
        return list(range(len(batch)))
    index = {id(e): i for i, e in enumerate(batch)}
    return [index[id(e.original)] if e.original is not None else i for i, e in enumerate(batch)]
