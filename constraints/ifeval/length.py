"""IFEval ``length_constraints:*``.

Reference behaviour reproduced: sentences are NLTK English Punkt sentences, words are ``\\w+``
tokens, ``number_paragraphs`` splits on ``\\s?\\*\\*\\*\\s?`` (so the ``***`` inside
``***bold italic***`` also splits), ``nth_paragraph_first_word`` counts the non-empty
``\\n\\n``-paragraphs but picks the n-th of *all* of them (empty ones included).
Corrected: ``***`` divides paragraphs only on a line of its own, and the n-th paragraph is the
n-th non-empty one.
"""

from __future__ import annotations

import re

from pydantic import ValidationInfo, field_validator

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ..text import count_sentences, count_words
from ._common import Count, Relation, Text, achieved_count, compare, count_explanation


class SentencesParams(Params):
    num_sentences: Count
    relation: Relation


@register("length_constraints:number_sentences")
class NumberOfSentences(Checker):
    Params = SentencesParams

    def describe(self) -> str:
        p = self.params
        return f"Your response should contain {p.relation} {p.num_sentences} sentences."

    def check(self, response: str) -> Verdict:
        p = self.params
        n = count_sentences(response)
        return verdict(compare(n, p.relation, p.num_sentences),
                       count_explanation(n, "sentence(s)", p.relation, p.num_sentences))

    def achieved(self, response: str) -> dict | None:
        n = achieved_count(count_sentences(response), self.params.relation)
        return None if n is None else {"num_sentences": n, "relation": self.params.relation}


class WordsParams(Params):
    num_words: Count
    relation: Relation


@register("length_constraints:number_words")
class NumberOfWords(Checker):
    Params = WordsParams

    def describe(self) -> str:
        p = self.params
        return f"Answer with {p.relation} {p.num_words} words."

    def check(self, response: str) -> Verdict:
        p = self.params
        n = count_words(response)
        return verdict(compare(n, p.relation, p.num_words),
                       count_explanation(n, "word(s)", p.relation, p.num_words))

    def achieved(self, response: str) -> dict | None:
        n = achieved_count(count_words(response), self.params.relation)
        return None if n is None else {"num_words": n, "relation": self.params.relation}


class ParagraphsParams(Params):
    num_paragraphs: Count


_DIVIDER_REFERENCE = re.compile(r"\s?\*\*\*\s?")
_DIVIDER_LINE = re.compile(r"^[^\S\n]*\*\*\*[^\S\n]*$", re.MULTILINE)


def _count_divided(parts: list[str]) -> tuple[int | None, str]:
    """The reference's paragraph count: empty first/last parts are dropped, an empty part in the
    middle (two dividers in a row) makes the response fail (``None``)."""
    n = len(parts)
    for i, part in enumerate(parts):
        if not part.strip():
            if i in (0, len(parts) - 1):
                n -= 1
            else:
                return None, f"paragraph {i + 1} (between two dividers) is empty"
    return n, ""


@register("length_constraints:number_paragraphs")
class NumberOfParagraphs(Checker):
    Params = ParagraphsParams

    def describe(self) -> str:
        return (f"There should be {self.params.num_paragraphs} paragraphs. "
                "Paragraphs are separated with the markdown divider: ***")

    def check(self, response: str) -> Verdict:
        divider = _DIVIDER_LINE if self.corrected else _DIVIDER_REFERENCE
        n, why = _count_divided(divider.split(response))
        want = self.params.num_paragraphs
        if n is None:
            return verdict(False, f"{why}, need {want} paragraphs separated by ***")
        return verdict(n == want, f"found {n} paragraph(s) separated by ***, need exactly {want}")


class FirstWordParams(Params):
    num_paragraphs: Count
    nth_paragraph: Count
    first_word: Text

    @field_validator("nth_paragraph")
    @classmethod
    def _nth_within_count(cls, value: int, info: ValidationInfo) -> int:
        # The reference draws a random paragraph index when nth_paragraph > num_paragraphs.
        total = info.data.get("num_paragraphs")
        if total is not None and value > total:
            raise ValueError(f"nth_paragraph ({value}) must not exceed num_paragraphs ({total})")
        return value


_FIRST_WORD_STOP = re.compile("[.,?!'\"]")


def first_word_of(paragraph: str) -> str:
    """The reference's first word: the first whitespace token, leading quotes removed, cut at the
    first of ``. , ? ! ' "``, lowercased character by character (as the reference: a final
    capital sigma stays "σ", where ``str.lower`` on the word would give "ς")."""
    word = paragraph.split(maxsplit=1)[0].lstrip("'").lstrip('"')
    stop = _FIRST_WORD_STOP.search(word)
    return "".join(map(str.lower, word[:stop.start()] if stop else word))


@register("length_constraints:nth_paragraph_first_word")
class NthParagraphFirstWord(Checker):
    Params = FirstWordParams

    def describe(self) -> str:
        p = self.params
        return (f"There should be {p.num_paragraphs} paragraphs. Paragraphs and only paragraphs "
                "are separated with each other by two new lines as if it was '\\n\\n' in python. "
                f"Paragraph {p.nth_paragraph} must start with word {p.first_word.lower()}.")

    def check(self, response: str) -> Verdict:
        p = self.params
        want_word = p.first_word.lower()
        paragraphs = response.split("\n\n")
        non_empty = [para for para in paragraphs if para.strip()]
        n = len(non_empty)
        if p.nth_paragraph > n:
            return verdict(False, f"found {n} paragraph(s), need {p.num_paragraphs} "
                                  f"(no paragraph {p.nth_paragraph})")
        chosen = (non_empty if self.corrected else paragraphs)[p.nth_paragraph - 1].strip()
        if not chosen:
            return verdict(False, f"paragraph {p.nth_paragraph} of the unfiltered split is "
                                  "empty (reference indexing)")
        word = first_word_of(chosen)
        ok = n == p.num_paragraphs and word == want_word
        return verdict(ok, f"found {n} paragraph(s), need {p.num_paragraphs}; paragraph "
                           f"{p.nth_paragraph} starts with {word!r}, need {want_word!r}")
