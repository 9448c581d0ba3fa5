"""Constraint masks: which constraints of an instruction one response satisfied.

The mask is what hindsight relabeling reads: ``satisfied[i]`` says whether constraint ``i`` was
followed, ``ila`` (instruction-level accuracy) whether all were, ``cla`` (constraint-level accuracy)
the fraction that were. Verdicts come from the ``constraints`` engine with the same defaults as
``hir check`` (strict mode, reference semantics), so a mask agrees with ``hir check`` on the same row.

An instruction with no constraints is vacuously satisfied: ``ila`` True, ``cla`` 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from constraints import Checker, Mode, Semantics, Verdict, score

from .instructions import Instruction


@dataclass(frozen=True)
class Mask:
    """Index-aligned verdicts of one response against one instruction's constraints."""

    verdicts: list[Verdict]
    satisfied: list[bool]
    ila: bool
    cla: float

    @property
    def unavailable(self) -> list[int]:
        """Indices whose checker could not run: such a mask must not be used for relabeling."""
        return [i for i, v in enumerate(self.verdicts) if v.unavailable]

    @property
    def partial(self) -> bool:
        """Failed but satisfied something: 0 < CLA < 1, HiR's replay candidates."""
        return 0.0 < self.cla < 1.0


def from_verdicts(verdicts: Sequence[Verdict]) -> Mask:
    satisfied = [v.passed and not v.unavailable for v in verdicts]
    n = len(satisfied)
    return Mask(verdicts=list(verdicts), satisfied=satisfied, ila=all(satisfied),
                cla=(sum(satisfied) / n) if n else 1.0)


def mask(instruction: Instruction, response: str, *, mode: Mode = "strict",
         semantics: Semantics = "reference", prompt: str | None = None,
         checkers: Sequence[Checker] | None = None) -> Mask:
    """Judge ``response`` against every constraint of ``instruction``.

    ``prompt`` is what prompt-reading checkers see (default: the rendered instruction; give the
    dump's own prompt when the response was generated from a differently worded one, as
    ``hir check`` does with a row's ``prompt``). Pass ``checkers`` (from
    ``instruction.checkers(semantics)``) to reuse them across the responses of a group; building
    them is a large part of the cost for short responses. Raises ``ConstraintError`` for an unknown
    id or invalid parameters.
    """
    if checkers is None:
        checkers = instruction.checkers(semantics, prompt=prompt)
    elif len(checkers) != len(instruction.constraints):
        raise ValueError(f"{len(checkers)} checkers for {len(instruction.constraints)} constraints")
    scored = score(checkers, response, modes=(mode,))
    return from_verdicts(scored.strict if mode == "strict" else scored.loose)


def masks(instruction: Instruction, responses: Sequence[str], *, mode: Mode = "strict",
          semantics: Semantics = "reference", prompt: str | None = None) -> list[Mask]:
    """Masks of a group of responses to one instruction (checkers built once)."""
    checkers = instruction.checkers(semantics, prompt=prompt)
    return [mask(instruction, r, mode=mode, checkers=checkers) for r in responses]
