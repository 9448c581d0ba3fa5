"""IFBench ``sentence:*``: constraints across sentences (regex sentences, as the reference)."""

from __future__ import annotations

from pydantic import Field, field_validator

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._text import PUNCT_SPACE, remove_punct, sentences, whole_word


def _alliteration(sentence: str) -> int:
    """The reference's alliteration score: a run of k words sharing a first letter scores k."""
    tokens = [w.lstrip(PUNCT_SPACE) for w in sentence.lower().split()]
    tokens = [w for w in tokens if w]
    score, in_run = 0, False
    for a, b in zip(tokens, tokens[1:]):
        if a[0] == b[0]:
            score += 1 if in_run else 2
            in_run = True
        else:
            in_run = False
    return score


@register("sentence:alliteration_increment")
class AlliterationIncrement(Checker):
    def describe(self) -> str:
        return ("Each sentence must have a longer sequence of consecutive alliterative words than "
                "the previous one.")

    def check(self, response: str) -> Verdict:
        previous = -1
        scores = []
        for number, sentence in enumerate(sentences(response), start=1):
            score = _alliteration(sentence)
            scores.append(score)
            if score <= previous:
                return verdict(False, f"sentence {number} has {score} alliterative words, not "
                                      f"more than sentence {number - 1} ({previous})")
            previous = score
        return verdict(True, f"alliterative words per sentence increase: {scores}")


class WordCountIncrementParams(Params):
    small_n: int


@register("sentence:increment")
class WordCountIncrement(Checker):
    Params = WordCountIncrementParams

    def describe(self) -> str:
        return (f"Each sentence must contain exactly {self.params.small_n} more words than the "
                "previous one.")

    def check(self, response: str) -> Verdict:
        # Words: whitespace tokens after deleting punctuation.
        counts = [len(remove_punct(s).split()) for s in sentences(response)]
        if not counts:
            return verdict(False, "no sentences found")
        step = self.params.small_n
        for i in range(1, len(counts)):
            if counts[i] != counts[i - 1] + step:
                return verdict(False, f"sentence {i + 1} has {counts[i]} words, need "
                                      f"{counts[i - 1] + step} ({counts[i - 1]} + {step})")
        return verdict(True, f"words per sentence: {counts}")


class KeywordInSentenceParams(Params):
    word: str
    N: int = Field(ge=1)

    @field_validator("word")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("the keyword must not be empty")
        return value


@register("sentence:keyword")
class KeywordInSentence(Checker):
    """Reference: case-insensitive *substring* of the N-th sentence, so "art" is found in
    "start". Corrected: the keyword as a whole word (case-insensitive)."""

    Params = KeywordInSentenceParams

    def describe(self) -> str:
        return (f'The response must include keyword "{self.params.word}" in the '
                f"{self.params.N}-th sentence.")

    def check(self, response: str) -> Verdict:
        ss = sentences(response)
        n, word = self.params.N, self.params.word
        if len(ss) < n:
            return verdict(False, f"found {len(ss)} sentences, need at least {n}")
        if self.corrected:
            found = whole_word(word).search(ss[n - 1]) is not None
        else:  # case-insensitive substring: "fleet" is found in "fleetness"
            found = word.lower() in ss[n - 1].lower()
        return verdict(found, f"sentence {n} {'contains' if found else 'does not contain'} "
                              f"{word!r}")
