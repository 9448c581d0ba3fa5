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
   word ends the text. A word's list is computed once (``_word_grams``, cached), and the text's
   list is kept as its words' lists (``_Ngrams``), indexed by bisection, never concatenated.
   Within a word a character emits nothing when it and the one before are both upper case
   (``capitalword``).
3. Profiles are loaded on the first detection only, in ``os.listdir`` order (langdetect's
   order, which decides ties and summation order), inverted to gram -> (language, count)
   entries and cached on disk for later processes (``_ProfileCache``). The gram -> entries map
   is split in blocks of 128 code points, each built when a word of its block is first seen
   (an ASCII text never builds the others). A gram's 55-vector
   ``1.0 * count / n_words[len - 1]`` (langdetect's arithmetic) is built the first time the
   gram is drawn, instead of langdetect's ~88,000 vectors at load time.
4. Sampling replays langdetect's ``random.Random(seed)`` stream call for call (one ``gauss`` per
   trial, one ``choice`` per update: inlined as ``choice`` draws, ``getrandbits`` until below
   the length), with the same float operations in the same order: the
   five updates between two normalisations are fused into one comprehension, but each element
   is still multiplied factor by factor, left to right; normalisation uses builtin ``sum`` over
   the list in language order, then one division per language (carried into the next block).
5. ``detect()`` stops after k < 7 trials when the leader is ahead by more than the (7 - k) / 7
   the remaining trials can add to any language: then it is the final strict maximum
   (``_best_language``). ``probabilities()`` always runs the 7 trials.
6. Results are cached (seeded calls only) by the features they depend on, the normalised
   words and whether a separator ends the text, so texts that differ only in separators
   (a loose variant without "**", trailing spaces) are sampled once.

Thread-safe: the only shared state is the lazily built tables and the caches (a race may
build the tables twice, equal both times).
"""

from __future__ import annotations

import json
import marshal
import os
import random
import re
import sys
import zlib
from array import array
from bisect import bisect_right
from functools import cache, lru_cache
from itertools import accumulate

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
# Every code point from U+0300 up; written as a negated class because compiling the range
# [\u0300-\U0010ffff] costs 6 ms at import (same matches: tests/test_langdetect_exact.py).
_NON_LATIN = re.compile("[^\x00-\u02ff]")


class _Tables:
    """What langdetect's DetectorFactory holds, built lazily: languages, profiles, normaliser.

    The 55 profiles are held inverted: for each gram of any profile, a row: the languages that
    have it and its counts (``langs`` / ``counts`` from ``offsets[row]`` to ``offsets[row + 1]``),
    so a gram's vector costs its few entries, not 55 dictionary look-ups. Grams are grouped in
    blocks of 128 code points by their first non-space character (``_block``), rows numbered block by block,
    and a block's gram -> row map is built the first time a word of that block is seen: an
    English text needs the ASCII block's ~19,000 grams, not all ~88,000. Parsing the profiles'
    JSON and inverting them costs about 0.1 s; the result is cached on disk (see
    ``_ProfileCache``) and loaded in a few milliseconds by later processes.
    """

    def __init__(self) -> None:
        from langdetect.detector import Detector
        from langdetect.detector_factory import PROFILES_DIRECTORY
        from langdetect.utils.ngram import NGram

        self.url_re = Detector.URL_RE
        self.mail_re = Detector.MAIL_RE
        self.normalize_vi = NGram.normalize_vi
        self.normalize_char = NGram.normalize
        cache = _ProfileCache(PROFILES_DIRECTORY)
        compact = cache.load()
        if compact is None:
            compact = _invert_profiles(cache.files)
            cache.store(compact)
        self.languages, self.n_words, blocks, self.offsets, self.langs, self.counts = compact
        # block -> {gram: row}, each built from (first row, "\0"-joined grams) when first needed.
        self.rows = _BlockRows(blocks)
        # n_words_at[k][lang]: the language's number of (k+1)-grams, the vectors' denominators.
        self.n_words_at = tuple(tuple(counts[k] for counts in self.n_words) for k in range(3))
        self.vectors: dict[str, tuple[float, ...]] = {}
        # str.translate table that fills itself: code point -> normalised character.
        normalize_char = self.normalize_char

        class _Normalised(dict):
            def __missing__(self, code: int) -> str:
                self[code] = value = normalize_char(chr(code))
                return value

        self.normalised = _Normalised()

    def row(self, gram: str) -> int | None:
        """The gram's row, ``None`` for a gram of no profile."""
        return self.rows[_block(gram)].get(gram)

    def all_rows(self) -> dict[str, int]:
        """Every gram of every profile (langdetect's ``word_lang_prob_map`` keys) -> its row."""
        return {gram: row for block in self.rows.blocks for gram, row in self.rows[block].items()}

    def vector(self, gram: str) -> tuple[float, ...]:
        """langdetect's ``word_lang_prob_map[gram]`` for a known gram (memoized)."""
        # langdetect: 1.0 * freq / n_words[len - 1], and 0.0 for a language without the gram.
        row = self.row(gram)
        n_words = self.n_words_at[len(gram) - 1]
        vector = [0.0] * len(n_words)
        langs, counts = self.langs, self.counts
        for j in range(self.offsets[row], self.offsets[row + 1]):
            lang = langs[j]
            vector[lang] = 1.0 * counts[j] / n_words[lang]
        result = self.vectors[gram] = tuple(vector)
        return result


# Array typecodes of the inverted profiles: row offsets (< 2**32 entries), language indices
# (55 languages), counts (the largest profile count is about 2.8e7).
_OFFSET, _LANG, _COUNT = "I", "B", "Q"


# Gram blocks: 128 code points, by the gram's first character that is not a space.
_BLOCK_SHIFT = 7
_SEPARATOR = "\0"  # joins a block's grams; normalised text has no NUL


def _block(gram: str) -> int:
    return ord(gram[1] if gram[0] == " " and len(gram) > 1 else gram[0]) >> _BLOCK_SHIFT


class _BlockRows(dict):
    """block -> {gram: row}, each block's map built on first access ({} for a block with no
    grams). ``blocks``: block -> (first row, the block's grams joined by ``_SEPARATOR``)."""

    def __init__(self, blocks: dict[int, tuple[int, str]]) -> None:
        super().__init__()
        self.blocks = blocks

    def __missing__(self, block: int) -> dict[str, int]:
        first, joined = self.blocks.get(block, (0, ""))
        grams = joined.split(_SEPARATOR) if joined else ()
        self[block] = rows = dict(zip(grams, range(first, first + len(grams))))
        return rows


def _invert_profiles(files: list[str]):
    """(languages, n_words, blocks, offsets, langs, counts) from langdetect's profile files, in
    ``os.listdir`` order (langdetect's order, which decides ties and summation order).
    ``blocks``: block -> (first row, "\0"-joined grams), rows numbered block by block."""
    languages, n_words, entries, by_block = [], [], {}, {}
    for lang, path in enumerate(files):
        with open(path, encoding="utf-8") as f:
            profile = json.load(f)
        languages.append(profile["name"])
        n_words.append(tuple(profile["n_words"]))
        for gram, count in profile["freq"].items():
            entry = entries.get(gram)
            if entry is not None:
                entry += (lang, count)  # [lang, count, lang, count, ...] in language order
            elif _SEPARATOR not in gram:  # (never in langdetect 1.0.9: no text emits a NUL)
                entries[gram] = entry = [lang, count]
                group = by_block.get(_block(gram))
                if group is None:
                    group = by_block[_block(gram)] = ([], [])
                group[0].append(gram)
                group[1].append(entry)
    blocks, ordered = {}, []
    for block in sorted(by_block):
        grams, block_entries = by_block[block]
        blocks[block] = (len(ordered), _SEPARATOR.join(grams))
        ordered += block_entries
    flat = [value for entry in ordered for value in entry]
    offsets = array(_OFFSET, [0])
    offsets.extend(accumulate(len(entry) >> 1 for entry in ordered))
    return (tuple(languages), tuple(n_words), blocks, offsets, array(_LANG, flat[0::2]),
            array(_COUNT, flat[1::2]))


class _ProfileCache:
    """The inverted profiles in one ``marshal`` file per cache format, Python version and
    langdetect installation, under ``HIR_CACHE_DIR``
    (default ``$XDG_CACHE_HOME/hir``, else ``~/.cache/hir``).

    Derived only from the installed langdetect profiles: the file records their paths, sizes and
    modification times in ``os.listdir`` order and is used only when they all match. Anything
    unexpected (no file, another layout, a read-only or missing directory, a corrupt file)
    means the profiles are read from langdetect itself, as without a cache. Written to a
    temporary file and renamed, so concurrent processes never read a partial file.
    """

    # The typecodes are part of the format: their sizes are the machine's.
    header = ("hir-langdetect", 2, _OFFSET, _LANG, _COUNT,
              array(_OFFSET).itemsize, array(_COUNT).itemsize)

    def __init__(self, directory: str) -> None:
        self.files = [os.path.join(directory, name) for name in os.listdir(directory)
                      if not name.startswith(".")
                      and os.path.isfile(os.path.join(directory, name))]
        stats = [os.stat(path) for path in self.files]
        self.stamp = tuple((path, stat.st_size, stat.st_mtime_ns)
                           for path, stat in zip(self.files, stats))
        root = os.environ.get("HIR_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
            "hir")
        # One file per format, Python version and langdetect installation (virtual
        # environments, or hir versions, side by side must not keep replacing each other's).
        self.path = os.path.join(root, "langdetect-profiles-v%d-py%d%d-%08x.marshal" % (
            self.header[1], *sys.version_info[:2],
            zlib.crc32(os.path.abspath(directory).encode())))

    def load(self):
        try:
            with open(self.path, "rb") as f:
                header, stamp, languages, n_words, blocks, offsets, langs, counts = \
                    marshal.loads(f.read())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        if header != self.header or stamp != self.stamp:
            return None
        try:  # the right header on the wrong contents (a hand-edited file) is not an error either
            arrays = []
            for raw, typecode in zip((offsets, langs, counts), (_OFFSET, _LANG, _COUNT)):
                values = array(typecode)
                values.frombytes(raw)
                arrays.append(values)
            offsets, langs, counts = arrays
            n_grams = sum(joined.count(_SEPARATOR) + 1 for _, joined in blocks.values())
            if (len(offsets) != n_grams + 1 or offsets[-1] != len(langs)
                    or len(langs) != len(counts) or len(n_words) != len(languages)):
                return None
        except (AttributeError, TypeError, ValueError):
            return None
        return languages, n_words, blocks, offsets, langs, counts

    def store(self, compact) -> None:
        languages, n_words, blocks, offsets, langs, counts = compact
        record = (self.header, self.stamp, languages, n_words, blocks,
                  offsets.tobytes(), langs.tobytes(), counts.tobytes())
        temporary = "%s.%d.tmp" % (self.path, os.getpid())
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temporary, "wb") as f:
                marshal.dump(record, f)
            os.replace(temporary, self.path)
        except OSError:  # read-only or full: every process reads the profiles instead
            try:
                os.remove(temporary)
            except OSError:
                pass


@cache
def _get_tables() -> _Tables:
    """The tables, built on first use (a race may build them twice; both builds are equal)."""
    return _Tables()


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
    rows = _get_tables().rows
    # All grams of a word within one block are in that block's map (a space is in block 0,
    # with ASCII); a word mixing blocks looks each gram up in its own.
    if word.isascii():
        known = rows[0]
    else:
        blocks = {ord(ch) >> _BLOCK_SHIFT for ch in word}
        known = rows[blocks.pop()] if len(blocks) == 1 else None
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
    if known is None:
        return tuple([gram for gram in grams if gram in rows[_block(gram)]])
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
    """A text's n-gram list, kept as its words' gram tuples (``len`` and iteration as the list).

    langdetect draws a few hundred grams from lists of tens of thousands; the flat list would
    cost more to build than the sampling. ``_trials`` finds index ``r`` by bisecting the words'
    ``starts``.
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
