"""IFEval ``punctuation:*``.

Reference: only the ASCII comma counts. Corrected: the commas of other scripts count too
(fullwidth ``，``, ideographic ``、``, Arabic ``،``): "refrain from any commas" in Chinese or Arabic
is otherwise trivially followed.
"""

from __future__ import annotations

from ..base import Checker, Verdict, verdict
from ..registry import register

_OTHER_COMMAS = ("\uff0c", "\u3001", "\u060c")


@register("punctuation:no_comma")
class NoComma(Checker):
    def describe(self) -> str:
        return "In your entire response, refrain from the use of any commas."

    def check(self, response: str) -> Verdict:
        n = response.count(",")
        if self.corrected:
            n += sum(response.count(c) for c in _OTHER_COMMAS)
        return verdict(n == 0, "no commas" if n == 0 else f"found {n} comma(s), need none")
