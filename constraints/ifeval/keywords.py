"""IFEval ``keywords:*``.

Reference behaviour reproduced: keywords are regular expressions searched case-insensitively
anywhere (so ``cat`` is found in "category" and counted in "concatenate"); forbidden words are
wrapped in ``\\b`` but still used as regexes; the letter count is over the lowercased response.
Corrected: keywords are literal phrases matched as whole words (see ``_common.whole_word``).

A keyword the reference uses as a regex may backtrack catastrophically (``(a|a)+$``): it runs under
``_common.USER_REGEX_TIMEOUT_S`` per search, beyond which the verdict is unavailable (the row is
rejected, with the pattern named) instead of stalling.
"""

from __future__ import annotations

import re

from pydantic import field_validator

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._common import (Count, Relation, SlowPattern, Text, TextList, compare, count_explanation,
                      surely_absent, user_regex, whole_word)


def _phrase_absent(phrase: str, text: str) -> bool:
    """``whole_word(phrase)`` certainly has no match: some word of the phrase is absent."""
    return any(surely_absent(part, text) for part in phrase.split())


class KeywordsParams(Params):
    keywords: TextList


@register("keywords:existence")
class KeywordExistence(Checker):
    Params = KeywordsParams

    def _keywords(self) -> list[str]:
        return sorted(self.params.keywords)

    def describe(self) -> str:
        return f"Include keywords {self._keywords()} in the response."

    def check(self, response: str) -> Verdict:
        try:
            return self._check(response)
        except SlowPattern as slow:
            return slow.verdict("keyword")

    def _check(self, response: str) -> Verdict:
        missing = []
        literal = []
        for keyword in self._keywords():
            if self.corrected:
                found = not _phrase_absent(keyword, response) and \
                    whole_word(keyword).search(response)
            else:
                pattern, is_regex = user_regex(keyword, re.IGNORECASE)
                found = not surely_absent(keyword, response) and pattern.search(response)
                if not is_regex:
                    literal.append(keyword)
            if not found:
                missing.append(keyword)
                if not self.corrected:
                    break  # the reference stops at the first missing keyword
        note = f" ({literal} matched literally: not valid regexes)" if literal else ""
        if missing:
            what = f"keyword {missing[0]!r}" if len(missing) == 1 else f"keywords {missing}"
            return verdict(False, f"{what} not found{note}")
        return verdict(True, f"found every keyword of {self._keywords()}{note}")


class FrequencyParams(Params):
    keyword: Text
    frequency: Count
    relation: Relation


@register("keywords:frequency")
class KeywordFrequency(Checker):
    Params = FrequencyParams

    def describe(self) -> str:
        p = self.params
        return (f"In your response, the word {p.keyword.strip()} should appear {p.relation} "
                f"{p.frequency} times.")

    def check(self, response: str) -> Verdict:
        p = self.params
        keyword = p.keyword.strip()
        note = ""
        if self.corrected:
            n = 0 if _phrase_absent(keyword, response) else \
                len(whole_word(keyword).findall(response))
        else:
            pattern, is_regex = user_regex(keyword, re.IGNORECASE)
            try:
                n = 0 if surely_absent(keyword, response) else len(pattern.findall(response))
            except SlowPattern as slow:
                return slow.verdict("keyword")
            note = "" if is_regex else " (matched literally: not a valid regex)"
        return verdict(compare(n, p.relation, p.frequency),
                       count_explanation(n, f"occurrence(s) of {keyword!r}", p.relation,
                                         p.frequency) + note)


class ForbiddenParams(Params):
    forbidden_words: TextList


@register("keywords:forbidden_words")
class ForbiddenWords(Checker):
    Params = ForbiddenParams

    def _words(self) -> list[str]:
        return sorted(set(self.params.forbidden_words))

    def describe(self) -> str:
        return f"Do not include keywords {self._words()} in the response."

    def check(self, response: str) -> Verdict:
        for word in self._words():
            if self.corrected:
                found = not _phrase_absent(word, response) and whole_word(word).search(response)
            else:
                pattern = user_regex(word, re.IGNORECASE, prefix=r"\b", suffix=r"\b")[0]
                try:
                    found = not surely_absent(word, response) and pattern.search(response)
                except SlowPattern as slow:
                    return slow.verdict("forbidden word")
            if found:
                return verdict(False, f"found forbidden word {word!r} ({found.group(0)!r})")
        return verdict(True, f"none of {self._words()} found")


class LetterParams(Params):
    letter: Text
    let_frequency: Count
    let_relation: Relation

    @field_validator("letter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1 or value.isspace():
            raise ValueError(f"must be a single non-space character, got {value!r}")
        return value


@register("keywords:letter_frequency")
class LetterFrequency(Checker):
    """Occurrences of one character in the lowercased response.

    The reference draws a *random* letter when the given one is not an ASCII letter (``#``, ``!``),
    so its verdict is random there. Both semantics count the given character instead (the
    prompts that use one ask for exactly that: "Contain 6 or more exclamation marks"); a letter
    parameter longer than one character is a validation error.
    """

    Params = LetterParams

    def _letter(self) -> str:
        return self.params.letter.strip().lower()

    def describe(self) -> str:
        p = self.params
        return (f"In your response, the letter {self._letter()} should appear {p.let_relation} "
                f"{p.let_frequency} times.")

    def check(self, response: str) -> Verdict:
        p = self.params
        letter = self._letter()
        n = response.lower().count(letter)
        note = ""
        if not ("a" <= letter <= "z") and not self.corrected:
            note = " (the reference draws a random letter for a non-letter; we count it as given)"
        return verdict(compare(n, p.let_relation, p.let_frequency),
                       count_explanation(n, f"occurrence(s) of {letter!r}", p.let_relation,
                                         p.let_frequency) + note)
