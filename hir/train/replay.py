"""Steps 3-4: choose failed rollouts to replay and turn them into successes (hindsight replay).

Selection and rewriting are ``hir.select.select`` and ``hir.rewrite.hindsight``, the same code
``hir relabel`` runs. A replay is the hindsight instruction's prompt tokens + the *same* response
tokens, reward 1, in the group of the rollout it came from.

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

from hir.rewrite import hindsight
from hir.select import Candidate, select

from .data import Item, encode_prompt
from .rollout import Episode


def choose(groups: Sequence[Sequence[Episode]], items: Sequence[Item], *, step: int,
           k: int, budget: str, lambda0: float, eta: float) -> list[Candidate]:
    """Failed, partly satisfying rollouts of replayable prompts, ranked by hir.select."""
    masks = [[e.mask for e in g] if items[i].replayable else [] for i, g in enumerate(groups)]
    entropies = [[e.entropy for e in g] if items[i].replayable else [] for i, g in
                 enumerate(groups)]
    return select(masks, entropies, step=step, k=k, budget=budget, lambda0=lambda0, eta=eta)


def build(groups: Sequence[Sequence[Episode]], chosen: Sequence[Candidate], tokenizer, *,
          system: str | None, max_prompt_tokens: int) -> list[Episode]:
    """One replay ``Episode`` per chosen candidate (old log-probs filled later by the trainer)."""
    out = []
    for c in chosen:
        src = groups[c.group][c.response]
        rewritten = hindsight(src.instruction, src.mask.satisfied)
        prompt_ids = encode_prompt(tokenizer, rewritten.render(), system=system,
                                   max_tokens=max_prompt_tokens)
        out.append(Episode(group=src.group, instruction=rewritten, prompt_ids=prompt_ids,
                           response_ids=list(src.response_ids), response=src.response,
                           reward=1.0, mask=None, entropy=src.entropy,
                           replay_of=c.response, source=src))
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
