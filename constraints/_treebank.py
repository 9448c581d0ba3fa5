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

_STARTING_QUOTES = [
    (regex.compile("([«“‘„]|[`]+)", re.U), r" \1 "),
    (regex.compile(r"^\""), r"``"),
    (regex.compile(r"(``)"), r" \1 "),
    (regex.compile(r"([ \(\[{<])(\"|\'{2})"), r"\1 `` "),
    (regex.compile(r"(?i)(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)", re.U), r"\1 "),
]
_ENDING_QUOTES = [
    (regex.compile("([»”’])", re.U), r" \1 "),
    (regex.compile(r"''"), " '' "),
    (regex.compile(r'"'), " '' "),
    (regex.compile(r"\s+"), " "),
    (regex.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (regex.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
]
_PUNCTUATION = [
    (regex.compile(r'([^\.])(\.)([\]\)}>"\'' "»”’ " r"]*+)\s*$", re.U), r"\1 \2 \3 "),
    (regex.compile(r"([:,])([^\d])"), r" \1 \2"),
    (regex.compile(r"([:,])$"), r" \1 "),
    (regex.compile(r"\.{2,}", re.U), r" \g<0> "),
    (regex.compile(r"[;@#$%&]"), r" \g<0> "),
    (regex.compile(r"[\u2012-\u2015]", re.UNICODE), r" \g<0> "),  # figure, en, em dashes, bar
    (regex.compile(r'([^\.])(\.)([\]\)}>"\']*)\s*$'), r"\1 \2\3 "),  # the final period
    (regex.compile(r"[?!]"), r" \g<0> "),
    (regex.compile(r"([^'])' "), r"\1 ' "),
    (regex.compile(r"[*]", re.U), r" \g<0> "),
]
_PARENS_BRACKETS = (regex.compile(r"[\]\[\(\)\{\}\<\>]"), r" \g<0> ")
_DOUBLE_DASHES = (regex.compile(r"--"), r" -- ")
# MacIntyre's contractions ("cannot" -> "can not", " 'tis" -> " 't is"): stdlib re, as in NLTK.
_CONTRACTIONS = [re.compile(pattern) for pattern in (
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
)]


def tokenize_sentence(text: str) -> list[str]:
    """``NLTKWordTokenizer().tokenize(text)``: the Treebank tokens of one sentence."""
    for pattern, substitution in _STARTING_QUOTES:
        text = pattern.sub(substitution, text)
    for pattern, substitution in _PUNCTUATION:
        text = pattern.sub(substitution, text)
    for pattern, substitution in (_PARENS_BRACKETS, _DOUBLE_DASHES):
        text = pattern.sub(substitution, text)
    text = " " + text + " "
    for pattern, substitution in _ENDING_QUOTES:
        text = pattern.sub(substitution, text)
    for pattern in _CONTRACTIONS:
        text = pattern.sub(r" \1 \2 ", text)
    return text.split()
