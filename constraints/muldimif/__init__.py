"""MulDimIF's constraints (Ye et al., 2025), as the HiR authors' release checks them.

A MulDimIF constraint is a ``[type, subtype, sentence]`` triple. ``spec`` turns one into the
(constraint id, kwargs) that ``constraints.build`` takes and ``triple`` turns it back; the ids are
``muldimif:<name>``, one per class of the reference checker (see docs/muldimif.md).
``semantics="reference"`` reproduces the official verdicts; ``semantics="corrected"`` fixes its
known wrong ones and refuses sentences it cannot parse.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import ConstraintError
# Importing the checker modules registers the checkers.
from . import keywords, language, length, markdown, other, punctuation, table  # noqa: F401
from ._keys import CHECKER_BY_KEY, PREFIX, checker_name

__all__ = ["spec", "triple", "CHECKER_BY_KEY"]

_NAMES = frozenset(CHECKER_BY_KEY.values())


def spec(type_: str, subtype: str, text: str) -> tuple[str, dict]:
    """The (constraint id, kwargs) of the MulDimIF constraint ``[type_, subtype, text]``.

    ``ConstraintError`` for a pair the MulDimIF reference does not define.
    """
    return (PREFIX + checker_name(type_, subtype),
            {"type": type_, "subtype": subtype, "constraint": text})


def triple(constraint_id: str, kwargs: Mapping[str, Any]) -> tuple[str, str, str]:
    """The MulDimIF ``[type, subtype, text]`` of a spec made by ``spec`` (its inverse)."""
    if not constraint_id.startswith(PREFIX) or constraint_id[len(PREFIX):] not in _NAMES:
        raise ConstraintError("not a MulDimIF constraint id", constraint_id=constraint_id)
    values = []
    for field in ("type", "subtype", "constraint"):
        value = kwargs.get(field)
        if not isinstance(value, str):
            raise ConstraintError("required parameter is missing or not a string",
                                  constraint_id=constraint_id, field=field)
        values.append(value)
    if checker_name(values[0], values[1]) != constraint_id[len(PREFIX):]:
        raise ConstraintError(f"pair {values[0]!r} / {values[1]!r} is not judged by this id",
                              constraint_id=constraint_id, field="subtype")
    return values[0], values[1], values[2]
