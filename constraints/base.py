"""The checker contract: validated parameters in, a self-explaining verdict out.

A checker is one class per constraint id (``group:name``, IFEval style). It declares a pydantic
``Params`` model, renders its natural-language sentence with ``describe()`` and judges one response
with ``check()``. ``semantics`` selects between the official reference behaviour ("reference",
for reproducing published numbers) and our fixes of its known wrong verdicts ("corrected", for use
as an RL reward). This module imports nothing heavy: it is on the path of every ``hir check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Semantics = Literal["reference", "corrected"]
Mode = Literal["strict", "loose"]
SEMANTICS: tuple[str, ...] = ("reference", "corrected")
MODES: tuple[str, ...] = ("strict", "loose")


class Params(BaseModel):
    """Base of every checker's parameter model. Unknown (non-null) parameters are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """For checkers that take no parameters."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one constraint on one response.

    ``explanation`` says what was measured and what was required ("found 212 words, need at least
    300"). ``unavailable`` marks a checker whose data could not be loaded: such a verdict is never a
    silent pass or fail; callers reject the row.
    """

    passed: bool
    explanation: str
    unavailable: bool = False

    def __bool__(self) -> bool:  # pragma: no cover - guard against `if verdict:` mistakes
        raise TypeError("use verdict.passed, not the verdict itself, as a boolean")


def verdict(ok: bool, explanation: str) -> Verdict:
    return Verdict(bool(ok), explanation)


class Checker:
    """Base class of all checkers.

    Subclasses set ``id`` (via ``@register``) and implement ``describe`` and ``check``. A checker
    with parameters declares them as a module-level model and points ``Params`` at it::

        class WordsParams(Params):
            num_words: int

        @register("length_constraints:number_words")
        class NumberOfWords(Checker):
            Params = WordsParams

    A checker without parameters leaves the default, ``NoParams``. Set ``uses_prompt = True`` when
    the check needs the prompt text (then ``self.prompt`` holds it).
    """

    id: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = NoParams
    uses_prompt: ClassVar[bool] = False
    # IFEval's rule: an all-whitespace response follows nothing, before any check runs. A family
    # whose reference judges blank answers like any other (MulDimIF) sets this True.
    judges_blank: ClassVar[bool] = False

    def __init__(self, params: Params, *, prompt: str | None = None,
                 semantics: Semantics = "reference") -> None:
        self.params = params
        self.prompt = prompt
        self.semantics = semantics

    @property
    def corrected(self) -> bool:
        return self.semantics == "corrected"

    def describe(self) -> str:
        """The constraint as one natural-language sentence, as it would appear in a prompt."""
        raise NotImplementedError

    def check(self, response: str) -> Verdict:
        """Judge one response."""
        raise NotImplementedError

    def achieved(self, response: str) -> dict[str, Any] | None:
        """Parameters of this constraint that ``response`` satisfies, changing as few of the
        current ones as the family allows: what the response *did*, for hindsight rewriting that
        describes a failed constraint instead of dropping it (``hir.relabel``'s ``rewrite
        "achieved"``). None when the family has no such parameters (the default: most families
        are a yes/no property, and "not lowercase" is no constraint). Callers re-check: a value
        returned here is a proposal, and ``check`` has the last word.
        """
        return None

    def __repr__(self) -> str:
        given = self.params.model_dump(exclude_none=True)
        return f"{type(self).__name__}({self.id!r}, {given})"
