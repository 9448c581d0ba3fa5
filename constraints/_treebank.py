"""NLTK's ``NLTKWordTokenizer`` (the improved Treebank tokenizer that ``nltk.word_tokenize`` runs
on each Punkt sentence), NLTK 3.10.x, without importing NLTK.

The tokenizer is a fixed sequence of regular-expression substitutions that pad tokens with spaces,
then a split on whitespace. The rule table below is NLTK's, in NLTK's order, compiled as NLTK
compiles each rule: with the ``regex`` engine (through its ``redos.compile``), except the
MacIntyre contractions, which NLTK compiles with the standard library's ``re``. The two engines
differ on ``\\w`` and ``\\s`` for some Unicode characters, so the engine is part of the rule.
``tests/test_punkt_exact.py`` compares the tokens with NLTK's own on real and generated text.
Parentheses are not converted to ``-LRB-`` (``word_tokenize`` does not ask for it).
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


def tokenize_sentence(text: str) -> list[str]:
    """``NLTKWordTokenizer().tokenize(text)``: the Treebank tokens of one sentence."""
    chars = _possible_chars(text)
    text = _apply(_STARTING_QUOTES, text, chars)
    text = _apply(_PUNCTUATION, text, chars)  # then brackets and double dashes, as NLTK
    text = _apply(_ENDING_QUOTES, " " + text + " ", chars)
    if _may_contract(text):
        for pattern in _CONTRACTIONS:
            text = pattern.sub(r" \1 \2 ", text)
    return text.split()
