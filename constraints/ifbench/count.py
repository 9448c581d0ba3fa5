"""IFBench ``count:*``: how many words, numbers, names, pronouns, conjunctions, keywords."""

from __future__ import annotations

import re

from pydantic import field_validator

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._text import PUNCT_SPACE, remove_punct, whole_word, words


class NParams(Params):
    N: int


class WordCountRangeParams(Params):
    min_words: int
    max_words: int


@register("count:word_count_range")
class WordCountRange(Checker):
    Params = WordCountRangeParams

    def describe(self) -> str:
        p = self.params
        return f"The response must contain between {p.min_words} and {p.max_words} words."

    def check(self, response: str) -> Verdict:
        n = len(words(response))
        p = self.params
        return verdict(p.min_words <= n <= p.max_words,
                       f"found {n} words, need between {p.min_words} and {p.max_words}")


@register("count:unique_word_count")
class UniqueWordCount(Checker):
    Params = NParams

    def describe(self) -> str:
        return f"Use at least {self.params.N} unique words in the response."

    def check(self, response: str) -> Verdict:
        # Whitespace tokens, lowercased, stripped of ASCII punctuation; an all-punctuation token
        # becomes "" and counts as one word, as in the reference.
        unique = {w.strip(PUNCT_SPACE) for w in response.lower().split()}
        return verdict(len(unique) >= self.params.N,
                       f"found {len(unique)} unique words, need at least {self.params.N}")


_CONJUNCTIONS = frozenset(["and", "but", "for", "nor", "or", "so", "yet"])


class ConjunctionsParams(Params):
    small_n: int


@register("count:conjunctions")
class Conjunctions(Checker):
    Params = ConjunctionsParams

    def describe(self) -> str:
        return (f"Use at least {self.params.small_n} different coordinating conjunctions in the "
                "response.")

    def check(self, response: str) -> Verdict:
        # The reference collects the raw tokens (not their normalised form) into its set, so "and"
        # and "And," count as two different conjunctions. Corrected: count the conjunctions.
        raw = [w for w in response.split() if w.strip(PUNCT_SPACE).lower() in _CONJUNCTIONS]
        found = ({w.strip(PUNCT_SPACE).lower() for w in raw} if self.corrected else set(raw))
        shown = sorted({w.strip(PUNCT_SPACE).lower() for w in raw})
        return verdict(len(found) >= self.params.small_n,
                       f"found {len(found)} different coordinating conjunctions ({', '.join(shown)}"
                       f"), need at least {self.params.small_n}")


PERSON_NAMES = (
    "Emma", "Liam", "Sophia", "Jackson", "Olivia", "Noah", "Ava", "Lucas", "Isabella", "Mason",
    "Mia", "Ethan", "Charlotte", "Alexander", "Amelia", "Benjamin", "Harper", "Leo", "Zoe",
    "Daniel", "Chloe", "Samuel", "Lily", "Matthew", "Grace", "Owen", "Abigail", "Gabriel", "Ella",
    "Jacob", "Scarlett", "Nathan", "Victoria", "Elijah", "Layla", "Nicholas", "Audrey", "David",
    "Hannah", "Christopher", "Penelope", "Thomas", "Nora", "Andrew", "Aria", "Joseph", "Claire",
    "Ryan", "Stella", "Jonathan",
)
# Every name is letters only, so r"\bName\b" matches exactly where the name is a whole run of
# word characters: one pass collecting the runs replaces 50 scans of the response.
_WORD_RUN = re.compile(r"\w+")


@register("count:person_names")
class PersonNames(Checker):
    """The reference loads a spaCy pipeline here but never uses it: names are matched as plain
    substrings of the response (so "Ava" is found in "Avalanche"). Corrected: whole words."""

    Params = NParams

    def describe(self) -> str:
        return (f"Mention at least {self.params.N} different person names in the response, from "
                f"this list of person names: {', '.join(PERSON_NAMES)} .")

    def check(self, response: str) -> Verdict:
        if self.corrected:
            runs = set(_WORD_RUN.findall(response))
            found = [n for n in PERSON_NAMES if n in runs]
        else:
            found = [n for n in PERSON_NAMES if n in response]
        return verdict(len(found) >= self.params.N,
                       f"found {len(found)} listed names ({', '.join(found) or 'none'}), need at "
                       f"least {self.params.N}")


_DIGITS = re.compile(r"\d+")


@register("count:numbers")
class Numbers(Checker):
    Params = NParams

    def describe(self) -> str:
        return f"Include exactly {self.params.N} numbers in the response."

    def check(self, response: str) -> Verdict:
        # Punctuation is deleted first, so "3.14" and "1,000" are one number each.
        n = len(_DIGITS.findall(remove_punct(response)))
        return verdict(n == self.params.N, f"found {n} numbers, need exactly {self.params.N}")


_PRONOUNS = frozenset([
    "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves", "you", "your",
    "yours", "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers",
    "herself", "it", "its", "itself", "they", "them", "their", "theirs", "themselves",
])


@register("count:pronouns")
class Pronouns(Checker):
    Params = NParams

    def describe(self) -> str:
        return f"The response should include at least {self.params.N} pronouns."

    def check(self, response: str) -> Verdict:
        # "/" becomes a space so pronoun sets like "she/her" count; other punctuation is deleted.
        text = remove_punct(response.replace("/", " ").lower())
        n = sum(1 for w in text.split() if w in _PRONOUNS)
        return verdict(n >= self.params.N, f"found {n} pronouns, need at least {self.params.N}")


_MARKS = (".", ",", "!", "?", ";", ":")


@register("count:punctuation")
class PunctuationCover(Checker):
    def describe(self) -> str:
        return ("Use every standard punctuation mark at least once, including semicolons, colons, "
                "and the interrobang (?!).")

    def check(self, response: str) -> Verdict:
        if not ("!?" in response or "?!" in response or "‽" in response):
            return verdict(False, "no interrobang (?!, !? or ‽) found")
        # The interrobang itself does not count towards "?" and "!".
        rest = response.replace("?!", "", 1)
        if len(rest) == len(response):
            rest = response.replace("!?", "", 1)
        missing = [m for m in _MARKS if m not in rest]
        return verdict(not missing, "all of . , ! ? ; : and an interrobang found" if not missing
                       else f"missing {' '.join(missing)}")


class FiveKeywordsParams(Params):
    keyword1: str
    keyword2: str
    keyword3: str
    keyword4: str
    keyword5: str

    @field_validator("keyword1", "keyword2", "keyword3", "keyword4", "keyword5")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()  # the reference strips given keywords
        if not value:
            raise ValueError("a keyword must not be empty")
        return value


_TIMES = (1, 2, 3, 5, 7)


@register("count:keywords_multiple")
class KeywordsMultiple(Checker):
    """Reference: case-insensitive *substring* counts, so "whisper" is counted again inside
    "whispers" and "whispering". Corrected: whole-word counts (case-insensitive)."""

    Params = FiveKeywordsParams

    def _keywords(self) -> tuple[str, ...]:
        p = self.params
        return (p.keyword1, p.keyword2, p.keyword3, p.keyword4, p.keyword5)

    def describe(self) -> str:
        k = self._keywords()
        return (f"Include keyword {k[0]} once in your response, keyword {k[1]} twice in your "
                f"response, keyword {k[2]} three times in your response, keyword {k[3]} five times "
                f"in your response, and keyword {k[4]} seven times in your response.")

    def check(self, response: str) -> Verdict:
        if self.corrected:
            counts = [len(whole_word(k).findall(response)) for k in self._keywords()]
        else:  # case-insensitive substring counts
            lowered = response.lower()
            counts = [lowered.count(k.lower()) for k in self._keywords()]
        wrong = [f"{k!r} {c}x (need {t})" for k, c, t in zip(self._keywords(), counts, _TIMES)
                 if c != t]
        return verdict(not wrong, "every keyword appears the required number of times" if not wrong
                       else "wrong counts: " + ", ".join(wrong))


_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")


@register("count:words_japanese")
class WordsJapanese(Checker):
    Params = NParams

    @staticmethod
    def _ordinal_pattern(n: int) -> str:
        # The reference's patterns, including its missing "word" after "st"/"nd"/"rd".
        if n % 10 == 1:
            return "Every {N}st of your response must be in Japanese."
        if n % 10 == 2:
            return "Every {N}nd of your response must be in Japanese."
        if n % 10 == 3:
            return "Every {N}rd of your response must be in Japanese."
        return "Every {N}th word of your response must be in Japanese."

    def describe(self) -> str:
        return self._ordinal_pattern(self.params.N).format(N=self.params.N)

    def check(self, response: str) -> Verdict:
        n = self.params.N
        if n <= 0:
            return verdict(False, f"N={n} selects no words (the reference errors on it)")
        for i, word in enumerate(response.split()):
            word = word.strip(PUNCT_SPACE)
            if (i + 1) % n == 0 and word and not word.isdigit() and not _JAPANESE.search(word):
                return verdict(False, f"word {i + 1} ({word!r}) is not Japanese")
        return verdict(True, f"every {n}th word is Japanese (or a number)")
