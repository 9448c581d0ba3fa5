"""Scoring a response against a list of constraints, strict and loose, as the references do.

Loose mode follows the IFEval/IFBench reference exactly: a constraint is followed loosely when it
is followed by any of 8 variants of the response (the response; without its first line; without
its last line; without both; and each of those with every ``*`` removed). Variants that are empty
after stripping never count. Strict mode judges the response itself (an all-whitespace response
follows nothing, unless the checker's family judges blank answers: ``Checker.judges_blank``).

Results are lists index-aligned with the constraint list: ids repeat within a prompt, so results
are never keyed by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .base import Checker, Mode, MODES, Semantics, Verdict
from .registry import build_all

EMPTY = Verdict(False, "the response is empty")


def loose_variants(response: str) -> list[str]:
    """The reference's 8 loose variants of a response, in the reference's order."""
    lines = response.split("\n")
    remove_first = "\n".join(lines[1:]).strip()
    remove_last = "\n".join(lines[:-1]).strip()
    remove_both = "\n".join(lines[1:-1]).strip()
    return [
        response,
        response.replace("*", ""),
        remove_first,
        remove_last,
        remove_both,
        remove_first.replace("*", ""),
        remove_last.replace("*", ""),
        remove_both.replace("*", ""),
    ]


def _judge(checker: Checker, response: str) -> Verdict:
    if not checker.judges_blank and not response.strip():
        return EMPTY
    return checker.check(response)


def judge_loose(checker: Checker, variants: Sequence[str],
                strict: Verdict | None = None) -> Verdict:
    """Passed if any variant passes; otherwise the verdict on the response itself.

    Identical variants are judged once (a response without '*' or with one line has many).
    ``strict``: the verdict already given on ``variants[0]`` (the response itself), reused
    because a check is a function of the text alone.
    """
    seen: set[str] = set()
    first: Verdict | None = None
    for index, text in enumerate(variants):
        if text in seen:
            continue
        seen.add(text)
        result = strict if index == 0 and strict is not None else _judge(checker, text)
        if result.unavailable or result.passed:
            return result
        if first is None:
            first = result
    assert first is not None
    return first


@dataclass(frozen=True)
class Scored:
    """Index-aligned verdicts of one response, strict and/or loose."""

    strict: list[Verdict] | None = None
    loose: list[Verdict] | None = None
    checkers: list[Checker] = field(default_factory=list, repr=False)

    @property
    def follow_all_strict(self) -> bool:
        return all(v.passed for v in self.strict or [])

    @property
    def follow_all_loose(self) -> bool:
        return all(v.passed for v in self.loose or [])

    @property
    def unavailable(self) -> list[int]:
        """Indices of constraints whose checker could not run (the row must be rejected)."""
        out = []
        for verdicts in (self.strict, self.loose):
            for i, v in enumerate(verdicts or []):
                if v.unavailable and i not in out:
                    out.append(i)
        return sorted(out)


def score(checkers: Sequence[Checker], response: str, *,
          modes: Iterable[Mode] = MODES) -> Scored:
    """Judge ``response`` with already-built checkers in the given modes."""
    modes = tuple(modes)
    for m in modes:
        if m not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {m!r}")
    strict = [_judge(c, response) for c in checkers] if "strict" in modes else None
    loose = None
    if "loose" in modes:
        variants = loose_variants(response)
        loose = [judge_loose(c, variants, strict[i] if strict is not None else None)
                 for i, c in enumerate(checkers)]
    return Scored(strict=strict, loose=loose, checkers=list(checkers))


def check(constraint_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any] | None] | None,
          response: str, *, prompt: str | None = None, mode: Mode = "strict",
          semantics: Semantics = "reference") -> list[Verdict]:
    """Judge one response against a constraint list; verdicts index-aligned with the list.

    >>> [v.passed for v in check(["punctuation:no_comma"], [{}], "No commas here.")]
    [True]

    Raises ``ConstraintError`` (naming the constraint index, id and field) for an unknown id or
    invalid parameters.
    """
    checkers = build_all(constraint_ids, kwargs, prompt=prompt, semantics=semantics)
    scored = score(checkers, response, modes=(mode,))
    return scored.strict if mode == "strict" else scored.loose  # type: ignore[return-value]


def describe(constraint_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any] | None] | None,
             *, prompt: str | None = None) -> list[str]:
    """The natural-language sentence of each constraint, index-aligned."""
    return [c.describe() for c in build_all(constraint_ids, kwargs, prompt=prompt)]
