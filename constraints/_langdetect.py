"""langdetect 1.0.9's language detection, reimplemented to be fast and give identical results.

``detect(text)`` returns what ``langdetect``'s ``Detector`` returns for ``text`` with the factory
seed ``seed`` (``Detector.detect()``; ``None`` where it raises ``LangDetectException`` because the
text has no n-gram features). ``probabilities(text)`` returns ``get_probabilities()`` as
``(language, probability)`` pairs. The data (the 55 language profiles, the URL/e-mail patterns,
the per-character normalisation and the Vietnamese normalisation) come from the installed
``langdetect`` package; only the algorithm is ours. Why the results are bit-identical:

1. Text preparation is langdetect's ``append`` + ``cleaning_text``: URLs and e-mail addresses
   become spaces, Vietnamese diacritics are normalised, the text is cut at 10,000 characters,
   runs of spaces collapse, and when non-Latin characters outnumber Latin ones two to one the
   Latin ones (``'A' <= ch <= 'z'``) are dropped. langdetect's "not Latin Extended Additional"
   test compares a block number with a block name, so it is always true; we count the same way.
2. N-gram extraction. langdetect feeds characters one by one into an ``NGram`` buffer whose state
   resets at every (normalised) space, so the n-gram list of a text is the concatenation of the
   lists of its space-separated words, each followed by its "trailing space" grams unless the
   word ends the text. A word's list is computed once (``_word_grams``, cached). Within a word
   a character emits nothing when it and the one before are both upper case (``capitalword``).
3. Profiles are loaded on the first detection only, as plain ``{gram: count}`` dicts, in
   ``os.listdir`` order (langdetect's order, which decides ties and summation order). A gram's
   55-vector ``1.0 * count / n_words[len - 1]`` (langdetect's arithmetic) is built the first
   time the gram is drawn, instead of langdetect's ~88,000 vectors at load time.
4. Sampling replays langdetect's ``random.Random(seed)`` stream call for call (one ``gauss`` per
   trial, one ``choice`` per update), with the same float operations in the same order: the
   five updates between two normalisations are fused into one comprehension, but each element
   is still multiplied factor by factor, left to right; normalisation uses builtin ``sum`` over
   the list in language order, then one division per language (carried into the next block).
5. Results are cached (seeded calls only) by the features they depend on, the normalised
   words and whether a separator ends the text, so texts that differ only in separators
   (a loose variant without "**", trailing spaces) are sampled once.

Thread-safe: the only shared state is the lazily built tables and the caches.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from bisect import bisect_right
from functools import lru_cache

__all__ = ["detect", "probabilities", "languages"]

# langdetect's Detector constants (detector.py, 1.0.9).
_ALPHA = 0.5
_ALPHA_WIDTH = 0.05
_ITERATION_LIMIT = 1000
_PROB_THRESHOLD = 0.1
_CONV_THRESHOLD = 0.99999
_BASE_FREQ = 10000
_N_TRIAL = 7
_MAX_TEXT_LENGTH = 10000
UNKNOWN = "unknown"  # what Detector.detect() returns when no language passes the threshold

_SPACES = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z' (includes [\]^_`)
_NON_LATIN = re.compile("[\u0300-\U0010ffff]")


class _Tables:
    """What langdetect's DetectorFactory holds, built lazily: languages, profiles, normaliser."""

    def __init__(self) -> None:
        from langdetect.detector import Detector
        from langdetect.detector_factory import PROFILES_DIRECTORY
        from langdetect.utils.ngram import NGram

        self.url_re = Detector.URL_RE
        self.mail_re = Detector.MAIL_RE
        self.normalize_vi = NGram.normalize_vi
        self.normalize_char = NGram.normalize
        files = os.listdir(PROFILES_DIRECTORY)
        languages, freqs, n_words = [], [], []
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(PROFILES_DIRECTORY, name)
            if not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                profile = json.load(f)
            languages.append(profile["name"])
            freqs.append(profile["freq"])
            n_words.append(profile["n_words"])
        self.languages = tuple(languages)
        self.freqs = tuple(freqs)
        self.n_words = tuple(n_words)
        # by_length[k]: (freq, n_words[k]) of every language, for the (k+1)-grams' frequencies.
        self.by_length = tuple(tuple((freq, counts[k]) for freq, counts in zip(freqs, n_words))
                               for k in range(3))
        # Every gram of every profile: langdetect's ``word_lang_prob_map`` keys.
        self.known = frozenset().union(*freqs)
        self.vectors: dict[str, tuple[float, ...]] = {}
        # str.translate table that fills itself: code point -> normalised character.
        normalize_char = self.normalize_char

        class _Normalised(dict):
            def __missing__(self, code: int) -> str:
                self[code] = value = normalize_char(chr(code))
                return value

        self.normalised = _Normalised()

    def vector(self, gram: str) -> tuple[float, ...]:
        """langdetect's ``word_lang_prob_map[gram]`` for a known gram (memoized)."""
        # langdetect: 1.0 * freq / n_words[len - 1], and 0.0 for a language without the gram.
        result = self.vectors[gram] = tuple([1.0 * freq[gram] / n_words if gram in freq else 0.0
                                             for freq, n_words in self.by_length[len(gram) - 1]])
        return result


_tables: _Tables | None = None
_tables_lock = threading.Lock()


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        with _tables_lock:
            if _tables is None:
                _tables = _Tables()
    return _tables


def languages() -> tuple[str, ...]:
    """The profile languages in langdetect's order."""
    return _get_tables().languages


@lru_cache(maxsize=1 << 16)
def _word_grams(word: str, tail: bool) -> tuple[str, ...]:
    """The n-grams langdetect extracts from one normalised word (those in some profile).

    The buffer is the last three characters of " " + word read so far; a character emits
    nothing when it and the one before it are upper case (langdetect's ``capitalword``).
    ``tail``: the word is followed by a space, which emits "c " and " c " (one letter) or "bc ".
    """
    known = _get_tables().known
    buffer = " " + word
    ends = range(3, len(buffer) + 1)
    if not word.islower():  # may hold upper-case pairs: drop the ends where both are upper
        upper = [ch.isupper() for ch in buffer]
        ends = [end for end in ends if not (upper[end - 1] and upper[end - 2])]
    # End 2 (the first letter) emits "x" and " x"; each later end the 1-, 2- and 3-gram it closes.
    grams = [buffer[1], buffer[:2]]
    grams += [gram for end in ends
              for gram in (buffer[end - 1], buffer[end - 2:end], buffer[end - 3:end])]
    if tail:
        last = buffer[-2:] + " "
        grams += (last[-2:], last)
    return tuple([gram for gram in grams if gram in known])


def _prepared(text: str) -> str:
    """langdetect's ``append`` followed by ``cleaning_text``.

    The shortcuts change nothing: the e-mail pattern needs an "@", the URL pattern "http", and
    an ASCII text has neither Vietnamese diacritics nor characters >= U+0300."""
    tables = _get_tables()
    if "http" in text:
        text = tables.url_re.sub(" ", text)
    if "@" in text:
        text = tables.mail_re.sub(" ", text)
    if text.isascii():
        return _SPACES.sub(" ", text[:_MAX_TEXT_LENGTH])
    text = tables.normalize_vi(text)
    text = _SPACES.sub(" ", text[:_MAX_TEXT_LENGTH])
    non_latin = len(_NON_LATIN.findall(text))
    if non_latin and len(_LATIN.findall(text)) * 2 < non_latin:
        text = _LATIN.sub("", text)
    return text


def _features(text: str) -> tuple[tuple[str, ...], bool]:
    """What langdetect's result depends on: the normalised words of the prepared text, and
    whether a separator follows the last one (then it too emits its trailing-space grams)."""
    parts = _prepared(text).translate(_get_tables().normalised).split(" ")
    return tuple(part for part in parts if part), not parts[-1]


class _Ngrams:
    """A text's n-gram list, kept as its words' gram tuples (``len`` and indexing as the list).

    langdetect draws a few hundred grams from lists of tens of thousands; the flat list would
    cost more to build than the sampling. Index ``r`` is found by bisecting the words' starts.
    """

    __slots__ = ("chunks", "starts", "size")

    def __init__(self, words: tuple[str, ...], closed: bool) -> None:
        last = len(words) - 1
        chunks, starts, size = [], [], 0
        for i, word in enumerate(words):
            grams = _word_grams(word, closed or i < last)
            if grams:
                chunks.append(grams)
                starts.append(size)
                size += len(grams)
        self.chunks, self.starts, self.size = chunks, starts, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, r: int) -> str:
        i = bisect_right(self.starts, r) - 1
        return self.chunks[i][r - self.starts[i]]

    def __iter__(self):
        for chunk in self.chunks:
            yield from chunk


def _ngrams(text: str) -> list[str]:
    """langdetect's ``_extract_ngrams()`` after ``append(text)`` and ``cleaning_text()``."""
    return list(_Ngrams(*_features(text)))


def _trials(ngrams: _Ngrams, seed: int | None):
    """langdetect's ``_detect_block`` sampling loop, float for float: yields, trial by trial, the
    trial's probabilities and their sum (its contribution is ``p / total / 7`` per language).

    langdetect normalises (``p / sum``) after update 0 and after every fifth update after it,
    and stops when the largest normalised probability exceeds 0.99999 (or after update 1000).
    Here the division by the sum is carried into the next block's comprehension,
    ``p / total * (weight + a) * ...``, which is the same sequence of operations on each element;
    the convergence test uses ``max(prob) / total``, which equals the largest ``p / total``
    because correctly rounded division by a positive number preserves order.
    """
    tables = _get_tables()
    n = len(tables.languages)
    rng = random.Random()
    rng.seed(seed)
    cached, vector = tables.vectors.get, tables.vector  # a gram's vector, built when first drawn
    # rng.choice(ngrams) is ngrams[rng._randbelow(len(ngrams))]: getrandbits(k) redrawn until it
    # is below len. Inlined here (the same calls on the same generator, so the same stream);
    # tests/test_langdetect_exact.py checks the results against langdetect's own.
    getrandbits, size = rng.getrandbits, len(ngrams)
    bits = size.bit_length()
    chunks, starts = ngrams.chunks, ngrams.starts

    def draw() -> tuple[float, ...]:
        r = getrandbits(bits)
        while r >= size:
            r = getrandbits(bits)
        i = bisect_right(starts, r) - 1  # ngrams[r], inlined
        g = chunks[i][r - starts[i]]
        return cached(g) or vector(g)

    start = 1.0 / n
    for _ in range(_N_TRIAL):
        alpha = _ALPHA + rng.gauss(0.0, 1.0) * _ALPHA_WIDTH
        weight = alpha / _BASE_FREQ
        prob = [start * (weight + a) for a in draw()]  # update 0
        i = 0
        while True:
            total = sum(prob)  # builtin sum, left to right in language order, like langdetect
            if max(prob) / total > _CONV_THRESHOLD or i >= _ITERATION_LIMIT:
                break
            # Updates i+1 .. i+5: each element multiplied factor by factor in draw order.
            v1, v2, v3, v4, v5 = draw(), draw(), draw(), draw(), draw()
            prob = [p / total * (weight + a) * (weight + b) * (weight + c) * (weight + d)
                    * (weight + e) for p, a, b, c, d, e in zip(prob, v1, v2, v3, v4, v5)]
            i += 5
        yield prob, total


def _language_probabilities(ngrams: _Ngrams, seed: int | None) -> list[float]:
    """langdetect's ``langprob``: the mean of the 7 trials' normalised probabilities, summed in
    trial order as langdetect sums them."""
    langprob = [0.0] * len(_get_tables().languages)
    for prob, total in _trials(ngrams, seed):
        langprob = [acc + p / total / _N_TRIAL for acc, p in zip(langprob, prob)]
    return langprob


# Rounding slack for the early decision below: each sum is off by a few ulps at most.
_SLACK = 1e-9


def _best_language(ngrams: _Ngrams, seed: int | None) -> str:
    """``Detector.detect()``'s answer, stopping the trials as soon as it cannot change.

    After k trials, each of the 7 - k left adds at most 1/7 to one language's probability and
    nothing is ever subtracted. So when the leader is ahead of every other language by more
    than (7 - k) / 7, and above langdetect's 0.1 threshold, it is the strict maximum of the
    final probabilities, which is what ``detect()`` returns. A clear text converges to one
    language in every trial, so this usually stops after 4 of the 7 trials; otherwise all 7
    run and the answer is read from the full probabilities, exactly as before.
    """
    langs = _get_tables().languages
    langprob = [0.0] * len(langs)
    for k, (prob, total) in enumerate(_trials(ngrams, seed), start=1):
        langprob = [acc + p / total / _N_TRIAL for acc, p in zip(langprob, prob)]
        if k < _N_TRIAL:
            leader = max(langprob)
            if leader <= _PROB_THRESHOLD + _SLACK:
                continue
            best = langprob.index(leader)
            runner_up = max(p for i, p in enumerate(langprob) if i != best)
            if leader - runner_up > (_N_TRIAL - k) / _N_TRIAL + _SLACK:
                return langs[best]
    ranked = _ranking(langprob)
    return ranked[0][0] if ranked else UNKNOWN


def _ranking(prob: list[float]) -> tuple[tuple[str, float], ...]:
    ranked = [(lang, p) for lang, p in zip(languages(), prob) if p > _PROB_THRESHOLD]
    ranked.sort(key=lambda pair: pair[1], reverse=True)  # stable, like langdetect's sort
    return tuple(ranked)


def _ranked(words: tuple[str, ...], closed: bool, seed: int | None):
    ngrams = _Ngrams(words, closed)
    if not ngrams:
        return None
    return _ranking(_language_probabilities(ngrams, seed))


def _detected(words: tuple[str, ...], closed: bool, seed: int | None) -> str | None:
    ngrams = _Ngrams(words, closed)
    return _best_language(ngrams, seed) if ngrams else None


# Keyed by the features, not the text: texts that differ only in separators (a loose variant
# without "**", trailing spaces) have the same n-gram list, hence the same result.
_seeded = lru_cache(maxsize=1024)(_ranked)
_seeded_detected = lru_cache(maxsize=1024)(_detected)


def probabilities(text: str, seed: int | None = 0) -> list[tuple[str, float]] | None:
    """``Detector.get_probabilities()`` as ``(language, probability)`` pairs, best first;
    ``None`` where langdetect raises ``LangDetectException`` (no features in the text)."""
    words, closed = _features(text)
    # seed None draws a fresh random seed each time, as langdetect does: nothing to cache.
    ranked = _ranked(words, closed, None) if seed is None else _seeded(words, closed, seed)
    return None if ranked is None else list(ranked)


def detect(text: str, seed: int | None = 0) -> str | None:
    """``Detector.detect()`` of a factory seeded with ``seed``: a language code, ``"unknown"``
    when no language reaches probability 0.1, ``None`` when the text has no features."""
    words, closed = _features(text)
    return _detected(words, closed, None) if seed is None else _seeded_detected(words, closed, seed)
