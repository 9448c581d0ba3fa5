"""IFBench ``words:*``: constraints on the words themselves (letters, lengths, positions)."""

from __future__ import annotations

import string
from collections import Counter
from functools import lru_cache

import syllapy  # loaded with the IFBench family, as the reference imports it
from pydantic import Field, field_validator

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._text import PUNCT_SPACE, Unavailable, pos_tagger, remove_punct, sentences, word_tokenize

_ALPHABET = string.ascii_lowercase


@register("words:alphabet")
class AlphabetLoop(Checker):
    def describe(self) -> str:
        return ("Each word must start with the next letter of the alphabet, looping back to 'A' "
                "after 'Z'.")

    def check(self, response: str) -> Verdict:
        tokens = remove_punct(response).strip(PUNCT_SPACE).split()
        if not tokens:  # the reference raises IndexError here
            return verdict(False, "no words found")
        letter = tokens[0][0].lower()
        if letter not in _ALPHABET:
            return verdict(False, f"the first word starts with {letter!r}, not a letter a-z")
        for position, word in enumerate(tokens[1:], start=2):
            word = word.lower()
            letter = _ALPHABET[(_ALPHABET.index(letter) + 1) % 26]
            if word[0] != letter:
                return verdict(False, f"word {position} ({word!r}) should start with {letter!r}")
        return verdict(True, f"{len(tokens)} words follow the alphabet")


_VOWELS = frozenset("aeiou")


@register("words:vowel")
class ThreeVowels(Checker):
    def describe(self) -> str:
        return "Write a paragraph using words that contain only three types of vowels."

    def check(self, response: str) -> Verdict:
        lines = response.strip().split("\n")
        if len(lines) != 1:
            return verdict(False, f"found {len(lines)} lines, need a single paragraph on one line")
        used = sorted(_VOWELS.intersection(lines[0].lower()))
        return verdict(len(used) <= 3, f"uses {len(used)} vowel types ({''.join(used)}), need at "
                                       "most 3")


_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxyz")


def _has_cluster(word: str) -> bool:
    return any(a in _CONSONANTS and b in _CONSONANTS for a, b in zip(word, word[1:]))


@register("words:consonants")
class ConsonantClusters(Checker):
    def describe(self) -> str:
        return ("Ensure each word in your response has at least one consonant cluster (two or more "
                "consonants together).")

    def check(self, response: str) -> Verdict:
        # Whitespace tokens, punctuation kept: "it." has no cluster, "it's" neither.
        for word in response.lower().strip().split():
            if not _has_cluster(word):
                return verdict(False, f"{word!r} has no consonant cluster")
        return verdict(True, "every word has a consonant cluster")


class WordsPositionParams(Params):
    keyword: str

    @field_validator("keyword")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the keyword must not be empty")
        return value.strip()


class KeywordPositionParams(WordsPositionParams):
    n: int = Field(ge=1)
    m: int = Field(ge=1)


@register("words:keywords_specific_position")
class KeywordSpecificPosition(Checker):
    Params = KeywordPositionParams

    def describe(self) -> str:
        p = self.params
        return (f"Include keyword {p.keyword} in the {p.n}-th sentence, as the {p.m}-th word of "
                "that sentence.")

    def check(self, response: str) -> Verdict:
        p = self.params
        ss = sentences(response)
        if len(ss) < p.n:
            return verdict(False, f"found {len(ss)} sentences, need at least {p.n}")
        tokens = word_tokenize(ss[p.n - 1])  # punctuation marks are tokens too
        if len(tokens) < p.m:
            return verdict(False, f"sentence {p.n} has {len(tokens)} tokens, need at least {p.m}")
        found = tokens[p.m - 1]
        return verdict(found == p.keyword, f"token {p.m} of sentence {p.n} is {found!r}, need "
                                           f"{p.keyword!r} (case-sensitive)")


@register("words:last_first")
class LastFirst(Checker):
    def describe(self) -> str:
        return "The last word of each sentence must become the first word of the next sentence."

    def check(self, response: str) -> Verdict:
        ss = sentences(response)
        for i in range(len(ss) - 1):
            last = ss[i].rstrip(PUNCT_SPACE).split()
            first = ss[i + 1].lstrip(PUNCT_SPACE).split()
            if not last or not first:  # the reference raises IndexError on a wordless sentence
                return verdict(False, f"sentence {i + 1 if not last else i + 2} has no words")
            if last[-1].lower() != first[0].lower():
                return verdict(False, f"sentence {i + 1} ends with {last[-1]!r} but sentence "
                                      f"{i + 2} starts with {first[0]!r}")
        return verdict(True, f"{len(ss)} sentences chained last word to first word")


@register("words:paragraph_last_first")
class ParagraphLastFirst(Checker):
    def describe(self) -> str:
        return ("Each paragraph must end with the same word it started with, separate paragraphs "
                "with a newline.")

    def check(self, response: str) -> Verdict:
        for number, paragraph in enumerate(response.split("\n"), start=1):
            paragraph = paragraph.strip().lower()
            if not paragraph:
                continue
            tokens = paragraph.strip(PUNCT_SPACE).split()
            if not tokens:  # the reference raises IndexError on an all-punctuation line
                return verdict(False, f"line {number} has no words")
            if tokens[0] != tokens[-1]:
                return verdict(False, f"line {number} starts with {tokens[0]!r} but ends with "
                                      f"{tokens[-1]!r}")
        return verdict(True, "every paragraph ends with its first word")


_PRIMES = frozenset([2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
                     73, 79, 83, 89, 97])


@register("words:prime_lengths")
class PrimeLengths(Checker):
    def describe(self) -> str:
        return "Use only words with lengths that are prime numbers."

    def check(self, response: str) -> Verdict:
        for word in remove_punct(response).split():
            if len(word) not in _PRIMES:
                return verdict(False, f"{word!r} has {len(word)} characters, not a prime")
        return verdict(True, "every word has a prime length")


class LimitedRepeatsParams(Params):
    small_n: int


@register("words:repeats")
class LimitedRepeats(Checker):
    Params = LimitedRepeatsParams

    def describe(self) -> str:
        return f"The response should not repeat any word more than {self.params.small_n} times."

    def check(self, response: str) -> Verdict:
        counts = Counter(remove_punct(response.lower()).split())
        if not counts:
            return verdict(True, "no words found")
        word, n = counts.most_common(1)[0]
        return verdict(n <= self.params.small_n, f"the most repeated word {word!r} appears {n} "
                                                 f"times, need at most {self.params.small_n}")


@lru_cache(maxsize=4096)
def _first_tag(response: str) -> str | None:
    tokens = word_tokenize(response)
    if not tokens:
        return None
    # The perceptron's features for token 0 look at most two tokens ahead, so tagging the first
    # three tokens gives the same first tag as tagging the whole response.
    return pos_tagger().tag(list(tokens[:3]))[0][1]


@register("words:start_verb")
class StartWithVerb(Checker):
    def describe(self) -> str:
        return "The response must start with a verb."

    def check(self, response: str) -> Verdict:
        try:
            tag = _first_tag(response)
        except Unavailable as exc:
            return Verdict(False, f"unavailable: {exc}", unavailable=True)
        if tag is None:
            return verdict(False, "no tokens found")
        return verdict("VB" in tag, f"the first token is tagged {tag}, need a verb tag (VB*)")


@register("words:no_consecutive")
class NoConsecutiveFirstLetter(Checker):
    def describe(self) -> str:
        return "No two consecutive words can share the same first letter."

    def check(self, response: str) -> Verdict:
        tokens = remove_punct(response.lower()).split()
        for a, b in zip(tokens, tokens[1:]):
            if a[0] == b[0]:
                return verdict(False, f"{a!r} and {b!r} both start with {a[0]!r}")
        return verdict(True, "no two consecutive words share a first letter")


@lru_cache(maxsize=65536)
def _syllable_parity(word: str) -> int:
    return syllapy.count(word) % 2


@register("words:odd_even_syllables")
class AlternateSyllableParity(Checker):
    def describe(self) -> str:
        return "Alternate between words with odd and even numbers of syllables."

    def check(self, response: str) -> Verdict:
        tokens = remove_punct(response).lower().split()
        parities = [_syllable_parity(w) for w in tokens]
        for i in range(len(parities) - 1):
            if parities[i] == parities[i + 1]:
                kind = "even" if parities[i] == 0 else "odd"
                return verdict(False, f"{tokens[i]!r} and {tokens[i + 1]!r} both have an {kind} "
                                      "number of syllables")
        return verdict(True, f"{len(tokens)} words alternate odd and even syllable counts")


@register("words:palindrome")
class Palindromes(Checker):
    def describe(self) -> str:
        return "Include at least 10 single-word palindromes, each at least 5 characters long."

    def check(self, response: str) -> Verdict:
        found = [w for w in remove_punct(response).lower().split() if len(w) >= 5 and w == w[::-1]]
        return verdict(len(found) >= 10, f"found {len(found)} palindromes of 5+ characters "
                                         "(repeats count), need at least 10")


@register("words:words_position")
class WordsPosition(Checker):
    Params = WordsPositionParams

    def describe(self) -> str:
        return ("The second word in your response and the second to last word in your response "
                f"should be the word {self.params.keyword}.")

    def check(self, response: str) -> Verdict:
        tokens = word_tokenize(response)  # punctuation marks are tokens too
        if len(tokens) < 2:
            return verdict(False, f"found {len(tokens)} tokens, need at least 2")
        k = self.params.keyword
        return verdict(tokens[1] == tokens[-2] == k, f"the second token is {tokens[1]!r} and the "
                                                     f"second to last is {tokens[-2]!r}, need {k!r}")
