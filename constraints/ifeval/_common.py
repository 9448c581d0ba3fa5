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

from pydantic import Field, StrictInt, StrictStr

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


def count_explanation(actual: int, unit: str, relation: str, threshold: int) -> str:
    return f"found {actual} {unit}, need {relation} {threshold}"


@lru_cache(maxsize=1024)
def user_regex(user: str, flags: int = 0, prefix: str = "", suffix: str = ""
               ) -> tuple[re.Pattern[str], bool]:
    """Compile ``prefix + user + suffix`` where ``user`` is a parameter the reference uses as a
    regular expression (keywords, markers, section splitters).

    Returns ``(compiled, is_regex)``. When ``user`` is not a valid regular expression (``:)``,
    ``(``) the reference raises and aborts the whole evaluation; we match it literally instead
    (``is_regex`` False) and the checkers say so in their explanation.
    """
    try:
        return re.compile(prefix + user + suffix, flags), True
    except re.error:
        return re.compile(prefix + re.escape(user) + suffix, flags), False


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
