"""Corrected semantics: each known wrong verdict of the IFBench reference, shown under both
semantics (the reference's verdict is reproduced, the corrected one is right). One test per row of
the table in docs/ifbench.md."""

from __future__ import annotations

from constraints import check


def both(cid: str, response: str, **kwargs) -> tuple[bool, bool]:
    """(reference verdict, corrected verdict), strict."""
    return tuple(check([cid], [kwargs], response, semantics=s)[0].passed
                 for s in ("reference", "corrected"))


def test_line_indent_two_blank_lines():
    # Two consecutive blank lines: the reference removes only one of them while iterating, and the
    # remaining blank line (indent 0) breaks the stairs.
    stairs = "Step one\n\n\n  Step two\n    Step three"
    assert both("format:line_indent", stairs) == (False, True)
    assert both("format:line_indent", "a\n b\n b") == (False, False)


def test_sentence_type_without_any_sentence_of_either_type():
    # No sentence ends in '.' or '?': 0 == 2 * 0 passes in the reference.
    assert both("ratio:sentence_type", "Wow! Amazing!") == (True, False)
    assert both("ratio:sentence_type", "It is. It is. Is it?") == (True, True)


def test_sentence_balance_without_sentences_of_each_type():
    assert both("ratio:sentence_balance", "just a fragment without final punctuation") == (True, False)
    assert both("ratio:sentence_balance", "Yes. Why? Wow!") == (True, True)


def test_overlap_counts_word_trigrams_not_character_trigrams():
    reference = "The quick brown fox jumps over the lazy dog."
    # Same words in another order: nearly all character trigrams are shared, no word trigram is.
    shuffled = "dog lazy the over jumps fox brown quick The"
    assert both("ratio:overlap", shuffled, reference_text=reference, percentage=0) == (False, True)
    # A verbatim copy overlaps 100% either way.
    assert both("ratio:overlap", reference, reference_text=reference, percentage=100) == (True, True)


def test_person_names_are_whole_words():
    text = "An avalanche hit Miami; Leonardo and Avatar fans fled."
    # Substrings: "Ava" (in Avatar), "Mia" (in Miami), "Leo" (in Leonardo).
    assert both("count:person_names", text, N=3) == (True, False)
    assert both("count:person_names", "Ava met Mia and Leo.", N=3) == (True, True)


def test_sub_bullets_need_bullets():
    # No '*' at all: nothing to check, so the reference passes.
    assert both("format:sub-bullets", "Plants need light - and water.") == (True, False)
    # '*' used for emphasis and hyphens inside words satisfy the reference.
    assert both("format:sub-bullets", "Use *bold-face* text - like this.") == (True, False)
    good = "* Light\n  - photosynthesis slows\n* Heat\n  - leaves cool"
    assert both("format:sub-bullets", good) == (True, True)


def test_repeat_span_includes_the_end_index():
    prompt = "zero one two three four"
    kw = dict(prompt_to_repeat=prompt, n_start=1, n_end=3)
    assert both("repeat:repeat_span", "one two three", **kw) == (False, True)
    assert both("repeat:repeat_span", "one two", **kw) == (True, False)


def test_repeat_change_changes_the_first_word():
    prompt = "Make a haiku about rain."
    # The reference only compares from the second character on: it accepts a one-letter change
    # and rejects a real change of the first word.
    assert both("repeat:repeat_change", "Bake a haiku about rain.", prompt_to_repeat=prompt) == \
        (True, True)
    assert both("repeat:repeat_change", "Compose a haiku about rain.", prompt_to_repeat=prompt) == \
        (False, True)
    assert both("repeat:repeat_change", "make a haiku about rain.", prompt_to_repeat=prompt) == \
        (True, True)
    assert both("repeat:repeat_change", "Make a haiku about snow.", prompt_to_repeat=prompt) == \
        (False, False)


def test_conjunctions_counted_once_whatever_their_case_or_punctuation():
    assert both("count:conjunctions", "and, And and.", small_n=2) == (True, False)
    assert both("count:conjunctions", "but and or", small_n=3) == (True, True)


def test_sentence_words_requires_different_words():
    same = "Cats nap. Cats nap. Cats nap."
    assert both("ratio:sentence_words", same) == (True, False)
    assert both("ratio:sentence_words", "Cats nap. Dogs ran. Owls fly.") == (True, True)


def test_thesis_em_tags_use_their_own_length():
    # With <em>, the reference slices as if the tags were <i>/</i>: the leftover ">" of "</em>"
    # counts as the text after the thesis.
    assert both("format:thesis", "<em>Cats rule.</em>") == (True, False)
    assert both("format:thesis", "<em>Cats rule.</em> Because they do.") == (True, True)
    assert both("format:thesis", "<i>Cats rule.</i>") == (False, False)


def test_title_case_allows_lowercase_minor_words():
    assert both("format:title_case", "The Lord of the Rings") == (False, True)
    assert both("format:title_case", "the Lord Of The Rings") == (False, False)  # first word
    assert both("format:title_case", "The lord of the Rings") == (False, False)  # a major word


def test_sentence_keyword_is_a_whole_word():
    assert both("sentence:keyword", "One. We start now.", word="art", N=2) == (True, False)
    assert both("sentence:keyword", "One. Modern Art, now.", word="art", N=2) == (True, True)


def test_keywords_multiple_counts_whole_words():
    kw = dict(keyword1="sun", keyword2="moon", keyword3="star", keyword4="sky", keyword5="sea")
    base = "sun " + "moon " * 2 + "star " * 3 + "sky " * 5 + "sea " * 7
    assert both("count:keywords_multiple", base, **kw) == (True, True)
    # "Sunday" contains "sun": the reference counts it, so "sun" appears twice there.
    assert both("count:keywords_multiple", base + "Sunday", **kw) == (False, True)
    assert both("count:keywords_multiple", base.replace("sun ", "sunny "), **kw) == (True, False)
