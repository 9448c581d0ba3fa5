"""Verifiable instruction-following constraints: a pluggable registry of checkers.

Torch-free by design: this package is all ``hir check`` needs.

    >>> from constraints import check
    >>> [v.passed for v in check(["punctuation:no_comma"], [{}], "Hello, world")]
    [False]
"""

from .base import MODES, SEMANTICS, Checker, Mode, NoParams, Params, Semantics, Verdict
from .engine import Scored, check, describe, loose_variants, score
from .errors import ConstraintError, UnknownConstraint
from .registry import ENTRY_POINT_GROUP, build, build_all, checker_class, ids, register

__all__ = [
    "MODES", "SEMANTICS", "Checker", "Mode", "NoParams", "Params", "Semantics", "Verdict",
    "Scored", "check", "describe", "loose_variants", "score",
    "ConstraintError", "UnknownConstraint",
    "ENTRY_POINT_GROUP", "build", "build_all", "checker_class", "ids", "register",
]
