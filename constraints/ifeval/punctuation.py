"""IFEval ``punctuation:*``."""

from __future__ import annotations

from ..base import Checker, Verdict, verdict
from ..registry import register


@register("punctuation:no_comma")
class NoComma(Checker):
    def describe(self) -> str:
        return "In your entire response, refrain from the use of any commas."

    def check(self, response: str) -> Verdict:
        n = response.count(",")
        return verdict(n == 0, "no commas" if n == 0 else f"found {n} comma(s), need none")
