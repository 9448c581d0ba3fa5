"""The unit of a training step: an episode is one (prompt, response) sequence of the update batch.

A fresh rollout is sampled (step 1) and verified (step 2); a hindsight replay (steps 3-4) is the
same response under its rewritten prompt, reward 1, and refers to the rollout it replays through
``original``. Per-sequence training numbers (old and reference log-probs, advantages) are not
stored here: the step keeps them in lists aligned with the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from hir.instructions import Instruction
from hir.masks import Mask, mask as judge


@dataclass
class Episode:
    """A fresh rollout, or the hindsight replay of one."""

    group: int                  # its prompt's index in this rank's batch (a replay: its original's)
    instruction: Instruction    # what it is judged against (a replay: the hindsight instruction)
    prompt: str                 # the prompt text, before the chat template
    prompt_ids: list[int]
    response: str
    response_ids: list[int]
    entropy: float | None = None        # mean token entropy at sampling (fresh rollouts)
    mask: Mask | None = None            # which constraints hold (fresh rollouts, after verify)
    reward: float = 0.0
    original: Episode | None = None     # a replay's fresh rollout


def verify(episode: Episode, *, mode: str, semantics: str, reward: str, checkers=None) -> None:
    """Step 2: the constraint mask and the reward (ILA: 0/1, CLA: fraction satisfied)."""
    episode.mask = judge(episode.instruction, episode.response, mode=mode, semantics=semantics,
                         checkers=checkers)
    episode.reward = float(episode.mask.ila) if reward == "ila" else float(episode.mask.cla)
