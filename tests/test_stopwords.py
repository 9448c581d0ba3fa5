"""IFBench's data out of the box: NLTK's English stopword list ships in the package; the tagger
that ``words:start_verb`` needs does not, and its message says how to install it."""

from __future__ import annotations

import pytest

from constraints import check
from constraints.ifbench import _text


def test_the_packaged_list_is_nltks_198_english_stopwords():
    words = _text.stopword_list()
    assert len(words) == 198 and len(set(words)) == 198
    assert words[:3] == ("a", "about", "above") and words[-1] == "you've"
    assert all(w == w.strip().lower() and not w.startswith("#") for w in words)


def test_the_packaged_list_equals_the_one_nltk_reads():
    """When NLTK's own stopwords corpus is installed, our copy is the same list, in order."""
    import nltk

    try:
        nltk.data.find("corpora/stopwords/english")
    except LookupError:
        pytest.skip("NLTK's stopwords corpus is not installed here (nothing to compare the "
                    "packaged list with); `python -m nltk.downloader stopwords` installs it")
    from nltk.corpus import stopwords

    assert tuple(stopwords.words("english")) == _text.stopword_list()


def test_stop_words_is_scored_without_any_nltk_data(monkeypatch):
    """No NLTK data directory is consulted: the verdict is the same on every machine."""
    import nltk

    def missing(*args, **kwargs):
        raise LookupError("no NLTK data here")

    monkeypatch.setattr(nltk.data, "find", missing)
    _text.stopwords.cache_clear()
    _text.stopword_list.cache_clear()
    try:
        # the, and, the: 3 of 5 words = 60%
        over = check(["ratio:stop_words"], [{"percentage": 50}], "the cat and the dog")[0]
        under = check(["ratio:stop_words"], [{"percentage": 60}], "the cat and the dog")[0]
    finally:
        _text.stopwords.cache_clear()
        _text.stopword_list.cache_clear()
    assert not over.unavailable and not over.passed
    assert "60.0% of 5 words" in over.explanation
    assert under.passed


def test_contractions_in_the_list_never_match_word_tokens():
    """The reference counts ``\\w+`` tokens, so the list's "don't" can never match ("don" does):
    the 179- and 198-word versions of NLTK's list give the same verdicts."""
    stop = _text.stopwords()
    with_apostrophe = {w for w in stop if "'" in w}
    assert len(with_apostrophe) == 45
    assert all(len(_text.words(w)) == 2 for w in with_apostrophe)  # "don't" -> don, t
    verdict = check(["ratio:stop_words"], [{"percentage": 40}], "don't stop")[0]
    # tokens: don, t, stop -> don and t are stopwords: 2 of 3 = 66.7%
    assert not verdict.passed and "66.7% of 3 words" in verdict.explanation


def test_start_verb_without_the_tagger_names_the_install_command(monkeypatch):
    import nltk

    def missing(*args, **kwargs):
        raise LookupError("no tagger here")

    monkeypatch.setattr(nltk.data, "find", missing)
    _text.pos_tagger.cache_clear()
    from constraints.ifbench import words

    words._first_tag.cache_clear()
    try:
        verdict = check(["words:start_verb"], [{}], "Run to the store now.")[0]
    finally:
        _text.pos_tagger.cache_clear()
        words._first_tag.cache_clear()
    assert verdict.unavailable and not verdict.passed
    assert "python -m nltk.downloader averaged_perceptron_tagger_eng" in verdict.explanation


def test_the_tagger_resource_is_the_one_nltk_loads():
    """``nltk.pos_tag`` (3.10) looks for ``taggers/averaged_perceptron_tagger_eng/``."""
    from nltk import tag

    assert tag.PRETRAINED_TAGGERS["eng"] == f"taggers/{_text.TAGGER_RESOURCE}/"
