"""Hindsight rewriting: the instruction a failed response actually followed.

``hindsight`` keeps exactly the constraints the response satisfied, in their original order, with
the same task and template (``rules`` renumbers on render). Paired with the same response and reward
1, this is a replay sample: a success by construction, which the re-check invariant tests assert
(``hir.relabel.recheck`` enforces it where a checker reads the prompt).
"""

from __future__ import annotations

from typing import Sequence

from .instructions import Instruction


def hindsight(instruction: Instruction, satisfied: Sequence[bool]) -> Instruction:
    """``instruction`` restricted to the constraints marked satisfied."""
    if len(satisfied) != len(instruction.constraints):
        raise ValueError(f"{len(satisfied)} satisfied flags for "
                         f"{len(instruction.constraints)} constraints")
    return instruction.keep(i for i, ok in enumerate(satisfied) if ok)
