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
"""

from __future__ import annotations

from typing import Sequence

from hir.relabel import RelabelConfig, relabel
from hir.rows import Row

from .data import encode_prompt
from .rollout import Episode


def build(groups: Sequence[Sequence[Episode]], items: Sequence[Row], tokenizer, *,
          step: int, config: RelabelConfig, system: str | None,
          max_prompt_tokens: int) -> list[Episode]:
    """Select, rewrite and re-check with ``hir.relabel.relabel``; one replay ``Episode`` per
    surviving candidate, in its original's group (old log-probs are filled later).

    Items whose constraints are baked into a fixed prompt (IFEval rows) take no part: their
    groups are passed with no responses, so nothing of theirs is selected.
    """
    usable = [item.replayable for item in items]
    chosen = relabel([item.instruction for item in items],
                     [[e.response for e in g] if ok else [] for g, ok in zip(groups, usable)],
                     [[e.mask for e in g] if ok else [] for g, ok in zip(groups, usable)],
                     [[e.entropy for e in g] if ok else [] for g, ok in zip(groups, usable)],
                     lambda_=config.lambda_at(step), config=config)
    out = []
    for s in chosen:
        src = groups[s.group][s.response]
        text = s.instruction.render()
        prompt_ids = encode_prompt(tokenizer, text, system=system, max_tokens=max_prompt_tokens)
        out.append(Episode(group=src.group, instruction=s.instruction,
                           prompt_ids=prompt_ids, prompt=text, response_ids=list(src.response_ids),
                           response=src.response, reward=1.0, mask=None,
                           entropy=src.entropy, replay_of=s.response, source=src))
    return out


def fill_old_logprobs(fresh: Sequence[Episode], replays: Sequence[Episode], recomputed,
                      how: str) -> None:
    """Attach old log-probs: ``recomputed`` is index-aligned with ``fresh + replays``."""
    everything = list(fresh) + list(replays)
    if len(recomputed) != len(everything):
        raise ValueError(f"{len(recomputed)} log-prob rows for {len(everything)} sequences")
    for e, lp in zip(everything, recomputed):
        e.old_logprobs = lp
    if how == "recompute":
        return
    if how != "copy":
        raise ValueError(f"replay_logprobs must be 'recompute' or 'copy', got {how!r}")
    for r in replays:
        r.old_logprobs = r.source.old_logprobs.clone()
