"""Parameter types and helpers shared by the IFEval checkers.

Why the parameter types are what they are: the reference evaluation drops every *falsy* kwarg
(``{k: v for k, v in kwargs.items() if v}``) before ``build_description``, and
``build_description`` replaces a missing value (and, for most counts, a negative one) with a
*random* one. So in the reference a count of 0, an empty string or an empty list does not mean
"zero" or "nothing": it means "draw something at random". We cannot reproduce a random draw and
will not invent one, so such values are validation errors here (counts must be >= 1, strings and
lists non-empty). Types are strict: ``"3"`` is not a count and ``true`` is not a number.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Literal

import regex
from pydantic import Field, StrictInt, StrictStr

from ..base import Verdict

Relation = Literal["less than", "at least"]

# A threshold the reference keeps as given (it draws a random one for None, 0 and negatives).
Count = Annotated[StrictInt, Field(ge=1)]
# A non-empty string (the reference draws a random one for None and "").
Text = Annotated[StrictStr, Field(min_length=1)]
# A non-empty list of non-empty strings (the reference draws random words for None and []).
TextList = Annotated[list[Text], Field(min_length=1)]

# IFEval's language codes and the names its descriptions use (instructions_util.LANGUAGE_CODES).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "es": "Spanish", "pt": "Portuguese", "ar": "Arabic", "hi": "Hindi",
    "fr": "French", "ru": "Russian", "de": "German", "ja": "Japanese", "it": "Italian",
    "bn": "Bengali", "uk": "Ukrainian", "th": "Thai", "ur": "Urdu", "ta": "Tamil",
    "te": "Telugu", "bg": "Bulgarian", "ko": "Korean", "pl": "Polish", "he": "Hebrew",
    "fa": "Persian", "vi": "Vietnamese", "ne": "Nepali", "sw": "Swahili", "kn": "Kannada",
    "mr": "Marathi", "gu": "Gujarati", "pa": "Punjabi", "ml": "Malayalam", "fi": "Finnish",
}
LanguageCode = Literal[
    "en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it", "bn", "uk", "th", "ur", "ta",
    "te", "bg", "ko", "pl", "he", "fa", "vi", "ne", "sw", "kn", "mr", "gu", "pa", "ml", "fi",
]


def compare(actual: int, relation: str, threshold: int) -> bool:
    """The reference's two relations: ``less than`` is ``<``, ``at least`` is ``>=``."""
    return actual < threshold if relation == "less than" else actual >= threshold


def achieved_count(actual: int, relation: str) -> int | None:
    """The threshold nearest to the response's own count under the same relation: ``less than
    actual + 1`` or ``at least actual``; None for ``at least 0`` (a count must be >= 1)."""
    if relation == "less than":
        return actual + 1
    return actual if actual >= 1 else None


def count_explanation(actual: int, unit: str, relation: str, threshold: int) -> str:
    return f"found {actual} {unit}, need {relation} {threshold}"


# Seconds one search of a pattern taken from the data (a keyword used as a regex by the
# reference...) may run on one response before its row is rejected. The longest such search on the
# conformance files takes under a millisecond (docs/ifeval.md), so no real row comes near it; a
# catastrophically backtracking pattern such as ``(a|a)+$`` reaches it on a few dozen characters.
USER_REGEX_TIMEOUT_S = 0.5

# Without any of these (escapes aside) a pattern has no repetition and no alternative, so it
# never backtracks: each start position costs at most its length, and ``re`` runs it in linear
# time. With one of them it may backtrack catastrophically and runs under the time bound. The
# prefixes and suffixes the checkers wrap around the data's pattern (``\b``, ``\s?`` ...
# ``\s?\d+\s?``) keep a pattern that cannot backtrack linear.
_BACKTRACKING = frozenset("*+?{|")
_ESCAPE = re.compile(r"\\.", re.DOTALL)


class SlowPattern(Exception):
    """A pattern from the data did not finish within ``USER_REGEX_TIMEOUT_S`` on a response."""

    def __init__(self, source: str, timeout: float) -> None:
        super().__init__(source)
        self.source = source
        self.timeout = timeout

    def verdict(self, role: str) -> Verdict:
        """The unavailable verdict that rejects the row, naming the pattern (``role``: "keyword")."""
        return Verdict(False, f"the {role} pattern {self.source!r} did not finish within "
                              f"{self.timeout:g} s on this response (catastrophic backtracking); "
                              "the row is rejected", unavailable=True)


class UserPattern:
    """A compiled pattern built from the data, searched in bounded time.

    A pattern that cannot backtrack runs on ``re``, as the reference runs it. One that can runs on
    the ``regex`` engine (the one NLTK uses) with a timeout: beyond ``USER_REGEX_TIMEOUT_S`` its
    methods raise ``SlowPattern``. ``regex`` (version 0, the default) matches as ``re`` does
    except for a few Unicode classes (docs/ifeval.md: ``\\w``/``\\b`` include combining marks,
    ``\\s`` excludes U+001C..U+001F, POSIX classes such as ``[[:alpha:]]``).
    """

    __slots__ = ("source", "_re", "_bounded")

    def __init__(self, source: str, compiled: re.Pattern[str], may_backtrack: bool) -> None:
        self.source = source  # the data's own text, for explanations
        self._re = compiled
        self._bounded = None
        if may_backtrack:
            self._bounded = regex.compile(compiled.pattern, compiled.flags & _SHARED_FLAGS)

    @property
    def bounded(self) -> bool:
        """True when the pattern runs under the time bound (it may backtrack)."""
        return self._bounded is not None

    def _run(self, method: str, text: str):
        if self._bounded is None:
            return getattr(self._re, method)(text)
        timeout = USER_REGEX_TIMEOUT_S  # read at call time: tests lower it
        try:
            return getattr(self._bounded, method)(text, timeout=timeout)
        except TimeoutError:
            raise SlowPattern(self.source, timeout) from None

    def search(self, text: str):
        return self._run("search", text)

    def findall(self, text: str) -> list:
        return self._run("findall", text)

    def split(self, text: str) -> list[str]:
        return self._run("split", text)


# The flags user patterns are compiled with; ``re`` and ``regex`` give them the same values.
_SHARED_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE
assert all(getattr(regex, f.name) == f for f in (re.IGNORECASE, re.MULTILINE, re.DOTALL))


@lru_cache(maxsize=1024)
def user_regex(user: str, flags: int = 0, prefix: str = "", suffix: str = ""
               ) -> tuple[UserPattern, bool]:
    """Compile ``prefix + user + suffix`` where ``user`` is a parameter the reference uses as a
    regular expression (keywords, markers, section splitters).

    Returns ``(compiled, is_regex)``. When ``user`` is not a valid regular expression for ``re``
    (``:)``, ``(``) the reference raises and aborts the whole evaluation; we match it literally
    instead (``is_regex`` False) and the checkers say so in their explanation. A pattern that may
    backtrack runs in bounded time (``UserPattern``): callers turn ``SlowPattern`` into an
    unavailable verdict.
    """
    try:
        compiled, is_regex = re.compile(prefix + user + suffix, flags), True
    except re.error:
        compiled, is_regex = re.compile(prefix + re.escape(user) + suffix, flags), False
    return UserPattern(user, compiled, is_regex and may_backtrack(user)), is_regex


def may_backtrack(pattern: str) -> bool:
    """Whether ``pattern`` has a repetition or an alternative (outside escapes): only then can
    a search backtrack more than the pattern's own length at a start position."""
    return not _BACKTRACKING.isdisjoint(_ESCAPE.sub("", pattern))


# Characters with a meaning in a regular expression (patterns here are never re.VERBOSE).
_REGEX_SYNTAX = frozenset("\\.^$*+?{}[]|()")


def surely_absent(pattern: str, text: str) -> bool:
    """True when ``re.compile(pattern, re.IGNORECASE)`` certainly finds nothing in ``text``: a
    shortcut taken before searching, never a different answer.

    Decided only for a pattern without regex syntax (a plain literal) and ASCII pattern and
    text; then a case-insensitive match is an occurrence of the lower-cased pattern in the
    lower-cased text (the non-ASCII characters re.IGNORECASE equates with ASCII letters, like
    the Kelvin sign, cannot occur). Otherwise False: search.
    """
    return (pattern.isascii() and text.isascii() and _REGEX_SYNTAX.isdisjoint(pattern)
            and pattern.lower() not in text.lower())


@lru_cache(maxsize=1024)
def whole_word(phrase: str) -> re.Pattern[str]:
    """A case-insensitive literal match of ``phrase`` that does not start or end inside a word.

    ``cat`` matches "a cat." but not "category"; ``C++`` matches "in C++ code"; any run of
    whitespace inside the phrase matches any run of whitespace ("fun  fact" = "fun fact").
    """
    parts = [re.escape(p) for p in phrase.split()]
    body = r"\s+".join(parts) if parts else re.escape(phrase)
    head = r"(?<!\w)" if re.match(r"\w", phrase.strip()[:1] or " ") else ""
    tail = r"(?!\w)" if re.match(r"\w", phrase.strip()[-1:] or " ") else ""
    return re.compile(head + body + tail, re.IGNORECASE)
