"""What every MulDimIF checker shares: its parameters (the pair and the sentence) and its base.

A MulDimIF constraint *is* its sentence ("The answer must contain at least 100 words"). The
checker parses the sentence once, when it is built, into a typed rule; ``describe()`` gives the
sentence back verbatim, so a hindsight rewrite of a prompt keeps the constraint word for word.

``semantics="reference"`` parses as the official checker does, including the sentences it does
not understand (it then passes or fails every response: the rule records which). In
``semantics="corrected"`` a sentence that cannot be parsed is a ``ConstraintError`` naming it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StrictStr

from ..base import Checker, Params, Semantics, Verdict, verdict
from ..errors import ConstraintError
from ._keys import PREFIX, checker_name, key

NonEmpty = Annotated[StrictStr, Field(min_length=1)]
# The test set's longest sentence has 321 characters. The parsing regexes run on the sentence, so
# a bound on its length bounds the time spent parsing data we did not write.
Sentence = Annotated[StrictStr, Field(min_length=1, max_length=1000)]


class MulDimIFParams(Params):
    """One MulDimIF constraint ``[type, subtype, constraint]`` as the test set writes it."""

    type: NonEmpty
    subtype: NonEmpty
    constraint: Sentence


class MulDimIFChecker(Checker):
    """Base of the 12 MulDimIF checkers (one per reference class).

    Subclasses set ``name`` (their id without the ``muldimif:`` prefix) and implement ``parse``
    (sentence -> rule, reading ``self.corrected``) and ``check``.
    """

    Params = MulDimIFParams
    name: ClassVar[str] = ""
    judges_blank = True  # the reference judges an empty answer like any other

    def __init__(self, params: MulDimIFParams, *, prompt: str | None = None,
                 semantics: Semantics = "reference") -> None:
        super().__init__(params, prompt=prompt, semantics=semantics)
        judged_by = checker_name(params.type, params.subtype)
        if judged_by != self.name:
            raise ConstraintError(f"MulDimIF {key(params.type, params.subtype)!r} constraints are "
                                  f"judged by '{PREFIX}{judged_by}', not by this checker",
                                  field="subtype")
        self.rule = self.parse(params.constraint)

    def parse(self, text: str):
        raise NotImplementedError

    def not_understood(self, why: str) -> None:
        """Corrected semantics: a sentence the parser does not understand is an error."""
        if self.corrected:
            raise ConstraintError(f"cannot parse the constraint sentence "
                                  f"{self.params.constraint!r}: {why}", field="constraint")

    def describe(self) -> str:
        return self.params.constraint


def parse_int(digits: str) -> int:
    """``int()`` of what ``str.isdigit()`` accepted; "²" passes that test but not ``int()``, and
    the reference raises there: so do we, when the checker is built."""
    try:
        return int(digits)
    except ValueError:
        raise ConstraintError(f"the reference raises on the number {digits!r}",
                              field="constraint") from None


def fixed(passed: bool, why: str) -> Verdict:
    """The verdict of a sentence the reference does not understand: the same for every response."""
    return verdict(passed, f"the reference does not understand this sentence ({why}), so it "
                           f"{'passes' if passed else 'fails'} every response")
