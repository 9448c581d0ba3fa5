"""Hindsight rewriting: the instruction a failed response actually followed.

``hindsight`` keeps exactly the constraints the response satisfied, in their original order, with
the same task and template (``rules`` renumbers on render). Paired with the same response and reward
1, this is a replay sample: a success by construction, which the re-check invariant tests assert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from .instructions import Instruction


def hindsight(instruction: Instruction, satisfied: Sequence[bool]) -> Instruction:
    """``instruction`` restricted to the constraints marked satisfied."""
    if len(satisfied) != len(instruction.constraints):
        raise ValueError(f"{len(satisfied)} satisfied flags for "
                         f"{len(instruction.constraints)} constraints")
    return instruction.keep(i for i, ok in enumerate(satisfied) if ok)


@dataclass
class Replay:
    """One relabeled sample: the hindsight instruction, the original response, reward 1."""

    source_id: str
    response_index: int
    instruction: Instruction          # the hindsight instruction
    response: str
    reward: float = 1.0
    kept: list[int] = field(default_factory=list)     # indices into the original constraint list
    dropped: list[int] = field(default_factory=list)
    cla: float = 0.0                  # the response's CLA under the original instruction
    score: float = 0.0                # its selection score F
    lambda_: float = 0.0              # lambda_s at the step it was selected

    def to_row(self, system: str | None = None) -> dict[str, Any]:
        """The JSONL output row (``lambda`` spelled out; ``prompt`` and ``messages`` rendered)."""
        return {
            "source_id": self.source_id,
            "response_index": self.response_index,
            "instruction": self.instruction.model_dump(),
            "prompt": self.instruction.render(),
            "messages": self.instruction.messages(system),
            "response": self.response,
            "reward": self.reward,
            "kept": list(self.kept),
            "dropped": list(self.dropped),
            "cla": self.cla,
            "score": self.score,
            "lambda": self.lambda_,
        }


def make_replay(source_id: str, response_index: int, instruction: Instruction, response: str,
                satisfied: Sequence[bool], *, cla: float, score: float, lambda_: float) -> Replay:
    """A ``Replay`` of ``response`` under the hindsight rewrite of ``instruction``."""
    kept = [i for i, ok in enumerate(satisfied) if ok]
    dropped = [i for i, ok in enumerate(satisfied) if not ok]
    return Replay(source_id=source_id, response_index=response_index,
                  instruction=hindsight(instruction, satisfied), response=response, reward=1.0,
                  kept=kept, dropped=dropped, cla=cla, score=score, lambda_=lambda_)
