"""IFEval ``change_case:*``.

Reference: ``english_capital`` / ``english_lowercase`` are ``str.isupper()`` / ``str.islower()``
and langdetect says ``en``; when langdetect cannot tell, the instruction counts as followed
(corrected: it fails: we cannot confirm English). ``capital_word_frequency`` counts the tokens of
``nltk.word_tokenize`` that are ``isupper()``.
"""

from __future__ import annotations

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ..text import detect_language, word_tokenize
from ._common import Count, Relation, compare, count_explanation


class CapitalFrequencyParams(Params):
    capital_frequency: Count
    capital_relation: Relation


@register("change_case:capital_word_frequency")
class CapitalWordFrequency(Checker):
    Params = CapitalFrequencyParams

    def describe(self) -> str:
        p = self.params
        return ("In your response, words with all capital letters should appear "
                f"{p.capital_relation} {p.capital_frequency} times.")

    def check(self, response: str) -> Verdict:
        p = self.params
        n = sum(1 for token in word_tokenize(response) if token.isupper())
        return verdict(compare(n, p.capital_relation, p.capital_frequency),
                       count_explanation(n, "all-capital word(s)", p.capital_relation,
                                         p.capital_frequency))


class _EnglishCase(Checker):
    case_name = ""

    def _case_ok(self, response: str) -> bool:
        raise NotImplementedError

    def check(self, response: str) -> Verdict:
        if not self._case_ok(response):
            return verdict(False, f"the response is not all {self.case_name}")
        language = detect_language(response)
        if language is None:
            if self.corrected:
                return verdict(False, f"all {self.case_name}, but no language could be detected "
                                      "(need English)")
            return verdict(True, f"all {self.case_name}; no language could be detected (the "
                                 "reference counts this as followed)")
        return verdict(language == "en",
                       f"all {self.case_name}, detected language {language!r}, need 'en'")


@register("change_case:english_capital")
class EnglishCapital(_EnglishCase):
    case_name = "capital letters"

    def _case_ok(self, response: str) -> bool:
        return response.isupper()

    def describe(self) -> str:
        return "Your entire response should be in English, and in all capital letters."


@register("change_case:english_lowercase")
class EnglishLowercase(_EnglishCase):
    case_name = "lowercase letters"

    def _case_ok(self, response: str) -> bool:
        return response.islower()

    def describe(self) -> str:
        return ("Your entire response should be in English, and in all lowercase letters. "
                "No capital letters are allowed.")
