"""NLTK's ``NLTKWordTokenizer`` (the improved Treebank tokenizer that ``nltk.word_tokenize`` runs
on each Punkt sentence), NLTK 3.10.x, without importing NLTK.

The tokenizer is a fixed sequence of regular-expression substitutions that pad tokens with spaces,
then a split on whitespace. The rule table below is NLTK's, in NLTK's order, compiled as NLTK
compiles each rule: with the ``regex`` engine (through its ``redos.compile``), except the
MacIntyre contractions, which NLTK compiles with the standard library's ``re``. The two engines
differ on ``\\w`` and ``\\s`` for some Unicode characters, so the engine is part of the rule.
``tests/test_punkt_exact.py`` compares the tokens with NLTK's own on real and generated text.
Parentheses are not converted to ``-LRB-`` (``word_tokenize`` does not ask for it).
``tokenize_sentence`` runs the table with string operations where they provably give the same
text (see "The fast route" below); ``_tokenize_by_rules`` runs it as it stands, for the tests.
"""

from __future__ import annotations

import re

import regex

__all__ = ["tokenize_sentence"]

# (pattern, substitution, characters one of which any match contains): a rule is skipped when
# none of its characters is in the text, which leaves the text as the substitution would.
_STARTING_QUOTES = [
    (regex.compile("([«“‘„]|[`]+)", re.U), r" \1 ", "«“‘„`"),
    (regex.compile(r"^\""), r"``", '"'),
    (regex.compile(r"(``)"), r" \1 ", "`"),
    (regex.compile(r"([ \(\[{<])(\"|\'{2})"), r"\1 `` ", "\"'"),
    (regex.compile(r"(?i)(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)", re.U), r"\1 ", "'"),
]
_ENDING_QUOTES = [
    (regex.compile("([»”’])", re.U), r" \1 ", "»”’"),
    (regex.compile(r"''"), " '' ", "'"),
    (regex.compile(r'"'), " '' ", '"'),
    (regex.compile(r"\s+"), " ", None),  # always: collapses every kind of white space
    (regex.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 ", "'"),
    (regex.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 ", "'"),
]
_PUNCTUATION = [
    (regex.compile(r'([^\.])(\.)([\]\)}>"\'' "»”’ " r"]*+)\s*$", re.U), r"\1 \2 \3 ", "."),
    (regex.compile(r"([:,])([^\d])"), r" \1 \2", ":,"),
    (regex.compile(r"([:,])$"), r" \1 ", ":,"),
    (regex.compile(r"\.{2,}", re.U), r" \g<0> ", "."),
    (regex.compile(r"[;@#$%&]"), r" \g<0> ", ";@#$%&"),
    (regex.compile(r"[\u2012-\u2015]", re.UNICODE), r" \g<0> ",  # figure, en, em dashes, bar
     "\u2012\u2013\u2014\u2015"),
    (regex.compile(r'([^\.])(\.)([\]\)}>"\']*)\s*$'), r"\1 \2\3 ", "."),  # the final period
    (regex.compile(r"[?!]"), r" \g<0> ", "?!"),
    (regex.compile(r"([^'])' "), r"\1 ' ", "'"),
    (regex.compile(r"[*]", re.U), r" \g<0> ", "*"),
    (regex.compile(r"[\]\[\(\)\{\}\<\>]"), r" \g<0> ", "[](){}<>"),  # parens and brackets
    (regex.compile(r"--"), r" -- ", "-"),  # double dashes
]
# MacIntyre's contractions ("cannot" -> "can not", " 'tis" -> " 't is"): stdlib re, as in NLTK.
_CONTRACTION_PATTERNS = (
    r"(?i)\b(can)(?#X)(not)\b",
    r"(?i)\b(d)(?#X)('ye)\b",
    r"(?i)\b(gim)(?#X)(me)\b",
    r"(?i)\b(gon)(?#X)(na)\b",
    r"(?i)\b(got)(?#X)(ta)\b",
    r"(?i)\b(lem)(?#X)(me)\b",
    r"(?i)\b(more)(?#X)('n)\b",
    r"(?i)\b(wan)(?#X)(na)(?=\s)",
    r"(?i) ('t)(?#X)(is)\b",
    r"(?i) ('t)(?#X)(was)\b",
)
_CONTRACTIONS = [re.compile(pattern) for pattern in _CONTRACTION_PATTERNS]
# One search for any of them (same engine, same case-insensitivity): most sentences have none.
_ANY_CONTRACTION = re.compile("|".join(pattern.removeprefix("(?i)")
                                       for pattern in _CONTRACTION_PATTERNS), re.IGNORECASE)
# The letters each pattern matches ("cannot", " 'tis", ...), lower case. In an ASCII text a
# case-insensitive match is a match of the lower-cased text (the only other characters that
# re.IGNORECASE equates with ASCII letters, like the Kelvin sign, are not ASCII).
_CONTRACTION_WORDS = tuple(re.sub(r"\(\?i\)|\\b|\(\?#X\)|\(\?=\\s\)|[()]", "", pattern)
                           for pattern in _CONTRACTION_PATTERNS)


def _apply(rules, text: str, chars: set[str]) -> str:
    """The rules in order; ``chars``: a superset of the characters the text can hold."""
    for pattern, substitution, triggers in rules:
        if triggers is None or not chars.isdisjoint(triggers):
            text = pattern.sub(substitution, text)
    return text


def _may_contract(text: str) -> bool:
    if text.isascii():
        lowered = text.lower()
        # Every contraction holds an apostrophe, "nn", "mm" or "tt": most sentences hold none.
        if ("'" not in lowered and "nn" not in lowered and "mm" not in lowered
                and "tt" not in lowered):
            return False
        if not any(word in lowered for word in _CONTRACTION_WORDS):
            return False
    return _ANY_CONTRACTION.search(text) is not None


def _possible_chars(text: str) -> set[str]:
    """The characters any intermediate text of the rules can hold: the sentence's own, the
    spaces every rule pads with, and the quotes that replace others (`` for " and '', '' for ")."""
    chars = set(text)
    chars.add(" ")
    if '"' in chars:
        chars.update("`'")
    elif "'" in chars:
        chars.add("`")
    return chars


def _tokenize_by_rules(text: str) -> list[str]:
    """The rule table applied as it stands: the reference the fast route (``tokenize_sentence``)
    is tested against."""
    chars = _possible_chars(text)
    text = _apply(_STARTING_QUOTES, text, chars)
    text = _apply(_PUNCTUATION, text, chars)  # then brackets and double dashes, as NLTK
    text = _apply(_ENDING_QUOTES, " " + text + " ", chars)
    if _may_contract(text):
        for pattern in _CONTRACTIONS:
            text = pattern.sub(r" \1 \2 ", text)
    return text.split()


# The fast route. The same rules in the same order, each replaced, where that is provably the
# same, by a plain string operation or skipped when its guard shows it cannot match:
# - a rule padding each of a set of characters with spaces (``[?!]`` -> `` \g<0> ``) is one
#   ``str.replace`` per character present: each occurrence is padded on its own, whatever its
#   neighbours, so character by character gives the same text;
# - a rule with a literal pattern and replacement (``--``, ``''``, ``"``, ``(``)``) is
#   ``str.replace``, which also replaces non-overlapping occurrences from the left;
# - ``^"`` (no MULTILINE: only at 0) is a test of the first character;
# - the final-period rules on a text ending in one period, the comma rule on a text whose commas
#   are all followed by a space, and the white-space collapse on a text without U+001C..U+001F
#   (``regex``'s ``\s`` and ``str.isspace`` agree on every other code point) are computed
#   directly; see each one. tests/test_tokenizer_speedups.py checks each against its rule and
#   the whole against NLTK.
(_QUOTE_OPEN, _QUOTE_START, _QUOTE_PAD, _QUOTE_AFTER_OPENER, _APOSTROPHE_START) = (
    pattern for pattern, _, _ in _STARTING_QUOTES)
(_QUOTE_CLOSE, _, _, _, _CLITIC_1, _CLITIC_2) = (pattern for pattern, _, _ in _ENDING_QUOTES)
(_FINAL_PERIOD_1, _COMMA_COLON, _COMMA_COLON_END, _ELLIPSIS, _, _, _FINAL_PERIOD_2, _, _QUOTE_SPACE,
 _, _, _) = (pattern for pattern, _, _ in _PUNCTUATION)
_SYMBOLS = ";@#$%&"
_DASHES = "\u2012\u2013\u2014\u2015"
_BRACKETS = "[](){}<>"
_PADDED = {c: " " + c + " " for c in "«“‘„»”’?!*" + _SYMBOLS + _DASHES + _BRACKETS}
_SPACE_DISAGREEMENT = frozenset("\x1c\x1d\x1e\x1f")


def _pad(text: str, pad: str, chars: set[str]) -> str:
    for c in pad:
        if c in chars:
            text = text.replace(c, _PADDED[c])
    return text


def _final_period_1(text: str) -> str:
    r"""``([^\.])(\.)([\]\)}>"\'»”’ ]*+)\s*$`` -> ``\1 \2 \3 ``. On a text ending in a period
    preceded by another character, the only match is that period (a match ends in white space
    after the period and closing characters, and no later period is either), and ``\3`` is
    empty."""
    if len(text) >= 2 and text[-1] == "." and text[-2] != ".":
        return text[:-1] + " .  "
    return _FINAL_PERIOD_1.sub(r"\1 \2 \3 ", text)


def _final_period_2(text: str) -> str:
    r"""``([^\.])(\.)([\]\)}>"\']*)\s*$`` -> ``\1 \2\3 ``. On a text ending in " .  " (what
    _final_period_1 leaves), the only match starts at that space: ``"  . "``."""
    if text.endswith(" .  "):
        return text[:-4] + "  . "
    return _FINAL_PERIOD_2.sub(r"\1 \2\3 ", text)


def _comma_colon(text: str) -> str:
    r"""``([:,])([^\d])`` -> `` \1 \2``. Without colons and with every comma followed by a space,
    the matches are exactly the ", " pairs (non-overlapping: each holds one comma)."""
    if ":" not in text and text.count(",") == text.count(", "):
        return text.replace(", ", " ,  ")
    return _COMMA_COLON.sub(r" \1 \2", text)


def _collapse_spaces(text: str, chars: set[str]) -> str:
    r"""``\s+`` -> " " on a text that starts and ends with white space."""
    if chars.isdisjoint(_SPACE_DISAGREEMENT):
        parts = text.split()
        return " " + " ".join(parts) + " " if parts else " "
    return _ENDING_QUOTES[3][0].sub(" ", text)


def tokenize_sentence(text: str) -> list[str]:
    """``NLTKWordTokenizer().tokenize(text)``: the Treebank tokens of one sentence."""
    chars = _possible_chars(text)
    # Starting quotes.
    if "`" in chars:
        text = _QUOTE_OPEN.sub(r" \1 ", text)
    else:
        text = _pad(text, "«“‘„", chars)
    if '"' in chars:
        if text[:1] == '"':
            text = "``" + text[1:]
    if "`" in chars:
        text = text.replace("``", " `` ")
    if '"' in chars or "'" in chars:
        text = _QUOTE_AFTER_OPENER.sub(r"\1 `` ", text)
    if "'" in chars:
        text = _APOSTROPHE_START.sub(r"\1 ", text)
    # Punctuation.
    if "." in chars:
        text = _final_period_1(text)
    if "," in chars or ":" in chars:
        text = _comma_colon(text)
        if text.endswith((",", ":", ",\n", ":\n")):  # what ([:,])$ needs
            text = _COMMA_COLON_END.sub(r" \1 ", text)
    if "." in chars and ".." in text:
        text = _ELLIPSIS.sub(r" \g<0> ", text)
    text = _pad(text, _SYMBOLS, chars)
    text = _pad(text, _DASHES, chars)
    if "." in chars:
        text = _final_period_2(text)
    text = _pad(text, "?!", chars)
    if "'" in chars:
        text = _QUOTE_SPACE.sub(r"\1 ' ", text)
    text = _pad(text, "*", chars)
    text = _pad(text, _BRACKETS, chars)
    if "-" in chars:
        text = text.replace("--", " -- ")
    # Ending quotes.
    text = _pad(" " + text + " ", "»”’", chars)
    if "'" in chars:
        text = text.replace("''", " '' ")
    if '"' in chars:
        text = text.replace('"', " '' ")
    text = _collapse_spaces(text, chars)
    if "'" in chars:
        text = _CLITIC_1.sub(r"\1 \2 ", text)
        text = _CLITIC_2.sub(r"\1 \2 ", text)
    if _may_contract(text):
        for pattern in _CONTRACTIONS:
            text = pattern.sub(r" \1 \2 ", text)
    return text.split()
