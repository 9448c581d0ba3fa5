"""constraints.text: offline NLTK-equivalent tokenization and deterministic language detection."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from constraints import text as T

TEXTS = [
    "Dr. Smith went home. He was tired.",
    "It cost $3.50 at 5 p.m. on Jan. 5. Then we left! Did we? Yes...",
    'He said "Stop." Then he left. (Really.) OK.',
    "Mr. and Mrs. J. R. Smith live in the U.S. They like it.",
    "No final period here",
    "e.g. this, i.e. that. Another sentence.\n\nA new paragraph.",
    "",
]


def test_words_are_word_character_runs():
    assert T.words("it's a well-known fact") == ("it", "s", "a", "well", "known", "fact")
    assert T.count_words("*** --- !!!") == 0
    assert T.count_words("12 apples, 3_000 pears") == 4


def test_sentences_follow_punkt_abbreviations():
    assert T.sentences("Dr. Smith went home. He was tired.") == (
        "Dr. Smith went home.", "He was tired.")
    assert T.count_sentences("One. Two! Three?") == 3
    assert T.count_sentences("") == 0


@pytest.mark.parametrize("text", TEXTS)
def test_sentences_equal_the_packaged_punkt_tokenizer(text):
    # An independent implementation of the same algorithm on the same parameters.
    import punkt

    own = punkt.PunktSentenceTokenizer(punkt.load_model("english"))
    assert list(T.sentences(text)) == own.tokenize(text)


def test_word_tokenize_is_nltk_word_tokenize_over_our_sentences(monkeypatch):
    import nltk.tokenize

    # nltk.word_tokenize = sent_tokenize + NLTKWordTokenizer; give it our offline sentences.
    monkeypatch.setattr(nltk.tokenize, "sent_tokenize", lambda text, language="english":
                        list(T.sentences(text)))
    for text in TEXTS + ["I can't go. THE U.S.A. is BIG; don't \"quote\" me."]:
        assert list(T.word_tokenize(text)) == nltk.tokenize.word_tokenize(text)
    assert T.word_tokenize("I can't go.") == ("I", "ca", "n't", "go", ".")


def test_detect_language():
    assert T.detect_language("Das ist ein kurzer deutscher Satz über das Wetter.") == "de"
    assert T.detect_language("12345 !!!") is None
    assert T.detect_language("") is None


def test_results_are_cached_and_the_cache_is_bounded():
    text = "A sentence. Another one."
    assert T.sentences(text) is T.sentences(text)
    for fn in (T.words, T.sentences, T.word_tokenize, T.detect_language):
        assert fn.cache_info().maxsize is not None


_PROBE = textwrap.dedent("""
    import json, sys
    import nltk, nltk.data
    def refuse(*args, **kwargs):
        raise AssertionError("NLTK data access: %r" % (args,))
    nltk.data.load = nltk.data.find = nltk.download = refuse
    from constraints import text as T
    import constraints.ifeval  # every IFEval checker module, for the torch check
    import langdetect
    texts = json.loads(sys.argv[1])
    out = {
        "sentences": [list(T.sentences(t)) for t in texts],
        "tokens": [list(T.word_tokenize(t)) for t in texts],
        "words": [T.count_words(t) for t in texts],
        "languages": [T.detect_language(t) for t in texts],
        "global_seed": langdetect.DetectorFactory.seed,
        "torch": "torch" in sys.modules,
    }
    print(json.dumps(out))
""")

# Short, ambiguous texts: unseeded langdetect gives different answers from run to run on these.
AMBIGUOUS = ["ok", "Hola amigo", "Ciao", "no se", "kitty cat", "Ja nee", "sale", "Das ist gut"]


def _probe(texts):
    result = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(texts)],
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def test_offline_deterministic_and_torch_free_in_fresh_processes():
    texts = TEXTS + AMBIGUOUS
    first, second = _probe(texts), _probe(texts)
    assert first == second
    assert first["languages"] == [T.detect_language(t) for t in texts]
    assert first["sentences"] == [list(T.sentences(t)) for t in texts]
    assert first["global_seed"] is None  # we seed our own factory, not langdetect's global one
    assert not first["torch"]


LANGUAGE_SAMPLES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "Tiếng Việt có dấu và Tie\u0302\u0301ng Vie\u0323\u0302t kết hợp",
    "这是一个中文句子，没有别的。", "日本語のテキストです。カタカナもある。", "한국어 문장입니다",
    "مرحبا بالعالم، هذه جملة عربية", "שלום עולם", "नमस्ते दुनिया, यह हिंदी है",
    "THIS IS ALL CAPITALS WITH NASA AND FBI", "MiXeD CaSe WoRdS HeRe",
    "see http://example.com/a?b=c and write to a.b@example.org now",
    "ok", "Hola amigo", "Ciao", "no se", "a  b   c", "x" * 12_000, "ⓐⓑⓒ", "12345 !!!", "",
]


def test_detect_language_equals_langdetects_own_detector():
    # Same language as langdetect's own Detector and DetectorFactory with the same seed, on
    # samples of many scripts and their slices (tests/test_langdetect_exact.py compares the
    # probabilities bit for bit).
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    stock = DetectorFactory()
    stock.load_profile(PROFILES_DIRECTORY)
    stock.set_seed(T.LANGDETECT_SEED)
    for text in LANGUAGE_SAMPLES + [t[i:i + 25] for t in LANGUAGE_SAMPLES[:12] for i in (0, 7)]:
        theirs = stock.create()
        theirs.append(text)
        try:
            expected = theirs.detect()
        except LangDetectException:  # no features: we say "cannot tell"
            expected = None
        assert T.detect_language(text) == expected, text
