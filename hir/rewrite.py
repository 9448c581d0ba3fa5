"""Hindsight rewriting: the instruction a failed response actually followed.

``hindsight`` keeps exactly the constraints the response satisfied, in their original order, with
the same task and template (``rules`` renumbers on render). Paired with the same response and reward
1, this is a replay sample: a success by construction, which the re-check invariant tests assert
(``hir.relabel.recheck`` enforces it where a checker reads the prompt).

``achieved`` (an option beyond the paper, ``RelabelConfig.rewrite="achieved"``) proposes, for each
failed constraint whose family can say so (``Checker.achieved``), the same constraint with the
parameters the response met instead: "exactly 3 bullet points" failed with 2 bullets becomes
"exactly 2 bullet points" rather than disappearing. This is hindsight experience replay's
*achieved goal* (Andrychowicz et al., 2017) for parametric constraints. A replay that drops a
constraint trains the failing behaviour under a prompt that no longer asks for anything about it,
and an imperfectly conditioned policy carries part of that push back to prompts that do ask (the
interference measured in ``docs/sample_efficiency.md``); a rephrased constraint instead trains
the behaviour under a prompt that asks for exactly what it did.
"""

from __future__ import annotations

from typing import Collection, Sequence

from constraints import Semantics

from .instructions import ConstraintSpec, Instruction


def hindsight(instruction: Instruction, satisfied: Sequence[bool],
              replace: Sequence[ConstraintSpec | None] | None = None) -> Instruction:
    """``instruction`` restricted to the constraints marked satisfied; with ``replace``, a
    constraint not marked satisfied whose entry is a spec is kept as that spec instead."""
    n = len(instruction.constraints)
    if len(satisfied) != n:
        raise ValueError(f"{len(satisfied)} satisfied flags for {n} constraints")
    if replace is None:
        return instruction.keep(i for i, ok in enumerate(satisfied) if ok)
    if len(replace) != n:
        raise ValueError(f"{len(replace)} replacements for {n} constraints")
    specs = [c.model_copy(deep=True) if ok else replace[i]
             for i, (c, ok) in enumerate(zip(instruction.constraints, satisfied))]
    return Instruction(task=instruction.task, constraints=[s for s in specs if s is not None],
                       template=instruction.template, context=instruction.context)


def achieved(instruction: Instruction, response: str, satisfied: Sequence[bool], *,
             semantics: Semantics = "reference",
             families: Collection[str] | None = None) -> list[ConstraintSpec | None]:
    """Per constraint, index-aligned: for a failed one, the spec with the parameters ``response``
    met (``Checker.achieved``, wording rephrased by ``ConstraintSpec.with_kwargs``), or None
    where its family or its wording cannot say it, or where ``families`` (constraint ids; None:
    all) leaves its id out; None for every satisfied one."""
    if len(satisfied) != len(instruction.constraints):
        raise ValueError(f"{len(satisfied)} satisfied flags for "
                         f"{len(instruction.constraints)} constraints")
    out: list[ConstraintSpec | None] = []
    checkers = None
    for i, (spec, ok) in enumerate(zip(instruction.constraints, satisfied)):
        if ok or (families is not None and spec.id not in families):
            out.append(None)
            continue
        if checkers is None:
            checkers = instruction.checkers(semantics)
        params = checkers[i].achieved(response)
        out.append(spec.with_kwargs(params) if params is not None else None)
    return out
