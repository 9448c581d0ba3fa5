"""IFEval ``startend:*``.

Reference: ``end_checker`` compares lowercased, after stripping whitespace and then ``"``;
``quotation`` wants a stripped response longer than one character that starts and ends with ``"``.
Corrected: typographic double quotes (“…”, „…“, «…») also wrap a response.
"""

from __future__ import annotations

import re

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._common import Text


_WORD_START = re.compile(r"(?<!\S)\S")


class EndParams(Params):
    end_phrase: Text


@register("startend:end_checker")
class EndChecker(Checker):
    Params = EndParams

    def describe(self) -> str:
        return (f"Finish your response with this exact phrase {self.params.end_phrase.strip()}. "
                "No other words should follow this phrase.")

    def check(self, response: str) -> Verdict:
        want = self.params.end_phrase.strip().lower()
        got = response.strip().strip('"').lower()
        if got.endswith(want):
            return verdict(True, f"the response ends with {want!r}")
        return verdict(False, f"the response ends with {got[-max(len(want), 20):]!r}, need {want!r}")

    def achieved(self, response: str) -> dict | None:
        """The response's own last words, as many as the asked phrase has (fewer if the response
        is shorter), with their punctuation: the ending the response actually wrote."""
        got = response.strip().strip('"')
        if got != got.rstrip():  # '... "' keeps the space before the quote: nothing ends it
            return None
        n_words = max(len(self.params.end_phrase.split()), 1)
        starts = [m.start() for m in _WORD_START.finditer(got)]
        if not starts:
            return None
        phrase = got[starts[-min(n_words, len(starts))]:]
        # A phrase spanning lines would render as a broken sentence; keep its last line only.
        phrase = phrase.rsplit("\n", 1)[-1].strip()
        return {"end_phrase": phrase} if phrase else None


_TYPOGRAPHIC_PAIRS = (("\u201c", "\u201d"), ("\u201e", "\u201c"), ("\u00ab", "\u00bb"))


@register("startend:quotation")
class Quotation(Checker):
    def describe(self) -> str:
        return "Wrap your entire response with double quotation marks."

    def check(self, response: str) -> Verdict:
        text = response.strip()
        if len(text) > 1 and text[0] == '"' and text[-1] == '"':
            return verdict(True, 'the response is wrapped in "double quotes"')
        if self.corrected and len(text) > 1 and (text[0], text[-1]) in _TYPOGRAPHIC_PAIRS:
            return verdict(True, f"the response is wrapped in {text[0]}typographic quotes{text[-1]}")
        return verdict(False, f"the response starts with {text[:1]!r} and ends with {text[-1:]!r}, "
                              'need it wrapped in "double quotes"')
