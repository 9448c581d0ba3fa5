"""The fast routes of our Punkt and Treebank tokenizers against NLTK 3.10's own and against the
rules they stand for.

``_punkt`` finds sentence-end candidates with the standard library's engine when the text has
no U+001C..U+001F, and ``_treebank.tokenize_sentence`` replaces most of NLTK's substitutions by
string operations under guards (``_treebank._tokenize_by_rules`` is the rule table applied as it
stands). Each shortcut is checked here on its own, and the whole on generated dense text (many
sentences, abbreviations, "P.S.", numbers, quotes, brackets, odd white space) and on the
adversarial benchmark's families, against NLTK (tests/test_punkt_exact.py has the oracle).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from constraints import _punkt, _treebank
from constraints import text as T
from tests.test_punkt_exact import SENTENCES, TREEBANK

_ALL_CODE_POINTS = "".join(map(chr, range(0x110000)))


def test_the_engines_white_space_differs_only_on_1c_to_1f():
    # Both shortcuts rest on this: regex's \s (Unicode White_Space) against the standard
    # library's \s and str.isspace() (Python's whitespace), over every code point.
    by_regex = set(regex.findall(r"\s", _ALL_CODE_POINTS))
    by_re = set(re.findall(r"\s", _ALL_CODE_POINTS))
    by_str = {c for c in _ALL_CODE_POINTS if c.isspace()}
    assert by_re == by_str
    assert by_str - by_regex == set("\x1c\x1d\x1e\x1f")
    assert not by_regex - by_str


def _nltk_word_tokenize(text: str) -> list[str]:
    return [token for sentence in SENTENCES.tokenize(text) for token in TREEBANK.tokenize(sentence)]


_PIECES = [
    "P.S. ", "P.P.S. ", "Mr. ", "Dr. Smith ", "U.S. ", "e.g. ", "i.e., ", "p.m. ", "Jan. 5. ",
    "No. 3 ", "3.14 ", "1,000 ", "12. ", "(a) ", "[1] ", "{x} ", "<y> ", '"Quote." ', "'single' ",
    "“curly.” ", "‘x’ ", "«non» ", "``tick'' ", "Item 7 is here, Emma. ", "Hi, there: yes. ",
    "What?! ", "Wow!!! ", "Wait... ", "end.) ", "end.\" ", "--dash-- ", "a–b—c ", "#tag @me 50% & co; ",
    "*star* ", "can't ", "cannot ", "gonna ", "'tis ", "don't ", "it's ", "they'll ", "A. B. ",
    "The ", "the ", "ok", ".", ",", ":", "'", '"', " ", "  ", "\n", "\n\n", "\t", "\r\n", "\x0b",
    "\x0c", "\x1c", "\x1f", "\xa0", "\u2003", "\x85", "é", "नमस्ते। ", "漢字。",
]
_DENSE = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
_CHARS = st.text(st.sampled_from(list("aZ9 .,:;'\"`()!?*-–\n\t\x1c\x0b\xa0»”’«“‘„@#$%&[]{}<>")),
                 max_size=40)


@settings(max_examples=400, deadline=None)
@given(_DENSE)
def test_dense_text_tokenizes_like_nltk(text):
    expected = SENTENCES.tokenize(text)
    assert _punkt.split_sentences(text) == expected
    for sentence in expected:
        assert _treebank.tokenize_sentence(sentence) == TREEBANK.tokenize(sentence), sentence
    T.word_tokenize.cache_clear()
    assert list(T.word_tokenize(text)) == _nltk_word_tokenize(text)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_DENSE, _CHARS))
def test_fast_treebank_route_is_the_rule_table(text):
    # On any text, not only on sentences: the guards must hold wherever the text ends.
    assert _treebank.tokenize_sentence(text) == _treebank._tokenize_by_rules(text)
    assert _treebank.tokenize_sentence(text) == TREEBANK.tokenize(text)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_DENSE, _CHARS))
def test_each_treebank_shortcut_is_its_rule(text):
    tb = _treebank
    assert tb._final_period_1(text) == tb._FINAL_PERIOD_1.sub(r"\1 \2 \3 ", text)
    assert tb._final_period_2(text) == tb._FINAL_PERIOD_2.sub(r"\1 \2\3 ", text)
    once = tb._final_period_1(text)
    assert tb._final_period_2(once) == tb._FINAL_PERIOD_2.sub(r"\1 \2\3 ", once)
    assert tb._comma_colon(text) == tb._COMMA_COLON.sub(r" \1 \2", text)
    padded = " " + text + " "
    assert (tb._collapse_spaces(padded, tb._possible_chars(padded))
            == regex.sub(r"\s+", " ", padded))


@settings(max_examples=200, deadline=None)
@given(_DENSE)
def test_punkt_candidates_by_either_engine(text):
    # The standard library's engine finds the regex engine's candidates on texts without
    # U+001C..U+001F; on the others _punkt keeps the regex engine.
    def found(pattern):
        return [(m.span(), m.span("after_tok"), m.span("next_tok")) for m in pattern.finditer(text)]

    if _punkt._SPACE_DISAGREEMENT.search(text) is None:
        assert found(_punkt._PERIOD_CONTEXT_RE) == found(_punkt._PERIOD_CONTEXT)


def _families():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from adversarial import FAMILIES

    return FAMILIES


@pytest.mark.parametrize("family", sorted(_families()))
def test_adversarial_families_tokenize_like_nltk(family):
    text = _families()[family](3000)
    assert _punkt.split_sentences(text) == SENTENCES.tokenize(text)
    T.word_tokenize.cache_clear()
    assert list(T.word_tokenize(text)) == _nltk_word_tokenize(text)


def test_realignment_starts_only_with_the_closing_characters():
    # sentence_spans tries _BOUNDARY_REALIGNMENT only where the next sentence starts with one.
    starts = {c for c in _ALL_CODE_POINTS[:0x10000]
              if _punkt._BOUNDARY_REALIGNMENT.match(c + " ") or _punkt._BOUNDARY_REALIGNMENT.match(c)}
    assert starts == set(_punkt._CLOSING)
