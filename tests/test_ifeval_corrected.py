"""One test per documented correction (docs/ifeval.md, "Corrected semantics"): each shows the
reference's wrong verdict and the corrected one on the same response."""

from __future__ import annotations

import pytest

from constraints import build


def both(cid, kwargs, response):
    """(reference verdict, corrected verdict) on one response."""
    ref = build(cid, kwargs, semantics="reference").check(response)
    fix = build(cid, kwargs, semantics="corrected").check(response)
    return ref.passed, fix.passed


def test_keyword_is_a_literal_not_a_regex():
    # "C++" compiles as a possessive "C+": the reference finds it in plain "C".
    assert both("keywords:existence", {"keywords": ["C++"]}, "I write C daily.") == (True, False)
    assert both("keywords:existence", {"keywords": ["C++"]}, "I write C++ daily.") == (True, True)
    # "c.t": the dot matches any character in the reference.
    assert both("keywords:existence", {"keywords": ["c.t"]}, "a cut") == (True, False)


def test_keyword_invalid_regex_never_raises_and_is_literal():
    # ":)" crashes the reference (unbalanced parenthesis); both of ours match it literally.
    assert both("keywords:existence", {"keywords": [":)"]}, "ok :)") == (True, True)
    assert both("keywords:existence", {"keywords": [":)"]}, "ok :(") == (False, False)


def test_keyword_is_not_found_inside_other_words():
    assert both("keywords:existence", {"keywords": ["cat"]}, "a category") == (True, False)
    assert both("keywords:existence", {"keywords": ["cat"]}, "the Cat, sat.") == (True, True)


def test_keyword_frequency_counts_whole_words_not_substrings():
    kw = {"keyword": "cat", "frequency": 2, "relation": "at least"}
    assert both("keywords:frequency", kw, "A cat can concatenate.") == (True, False)
    assert both("keywords:frequency", kw, "A cat and a CAT.") == (True, True)
    less = {"keyword": "art", "frequency": 1, "relation": "less than"}
    assert both("keywords:frequency", less, "A party start.") == (False, True)


def test_forbidden_word_is_a_literal():
    kw = {"forbidden_words": ["C++"]}
    assert both("keywords:forbidden_words", kw, "I like C.") == (False, True)
    assert both("keywords:forbidden_words", kw, "I like C++.") == (False, False)


def test_letter_frequency_non_letter_is_counted_not_drawn_at_random():
    # The reference draws a random letter for "#" (its verdict is random); both semantics here
    # count "#" itself, every time.
    kw = {"letter": "#", "let_frequency": 2, "let_relation": "at least"}
    for _ in range(3):
        assert build("keywords:letter_frequency", kw, semantics="corrected").check("## x").passed
        assert not build("keywords:letter_frequency", kw, semantics="corrected").check("# x").passed


def test_language_detection_failure_is_a_fail():
    assert both("language:response_language", {"language": "hi"}, "12345 !!!") == (True, False)


@pytest.mark.parametrize("cid, text", [
    ("change_case:english_capital", "ⒶⒷⒸ"),      # upper-case, but langdetect finds no feature
    ("change_case:english_lowercase", "ⓐⓑⓒ"),
])
def test_english_case_detection_failure_is_a_fail(cid, text):
    assert both(cid, {}, text) == (True, False)


def test_paragraph_divider_is_a_line_of_its_own():
    kw = {"num_paragraphs": 2}
    # The reference splits at both "***" of a bold-italic title: 3 paragraphs.
    bold_italic = "Intro text.\n\n***Research*** comes next."
    assert both("length_constraints:number_paragraphs", {"num_paragraphs": 3},
                bold_italic) == (True, False)
    assert both("length_constraints:number_paragraphs", kw, "One.\n***\nTwo.") == (True, True)
    # The reference also splits "come! ***." into "come!" and "."
    assert both("length_constraints:number_paragraphs", kw, "Come! ***.") == (True, False)


def test_nth_paragraph_indexes_the_non_empty_paragraphs():
    kw = {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "second"}
    # "\n\n\n\n" leaves an empty paragraph: the reference counts 2 paragraphs but picks the empty
    # one as the 2nd.
    assert both("length_constraints:nth_paragraph_first_word", kw,
                "First.\n\n\n\nSecond.") == (False, True)


def test_postscript_must_be_at_the_end():
    kw = {"postscript_marker": "P.S."}
    early = "P.S. I start with this.\n\nThen the whole letter follows, at length."
    assert both("detectable_content:postscript", kw, early) == (True, False)
    inside = "We sell help.s.o.s kits.\n\nThat is all."  # "p.s." inside a word
    assert both("detectable_content:postscript", kw, inside) == (True, False)
    good = "Dear Ann,\n\nThe letter.\n\n**P.S.** See you soon.\n\nP.P.S. And bring cake."
    assert both("detectable_content:postscript", kw, good) == (True, True)


def test_bullet_needs_a_marker_and_a_space():
    kw = {"num_bullets": 1}
    # An italic line, a horizontal rule and a negative number are not bullet points.
    text = "* real bullet\n*an italic line*\n---\n-5 degrees"
    assert both("detectable_format:number_bullet_lists", kw, text) == (False, True)
    assert both("detectable_format:number_bullet_lists", {"num_bullets": 2},
                "+ plus\n- dash") == (False, True)


def test_constrained_response_with_several_options_fails():
    text = "My answer is yes. My answer is no."
    assert both("detectable_format:constrained_response", {}, text) == (True, False)
    assert both("detectable_format:constrained_response", {}, "My answer is no.") == (True, True)


def test_triple_star_highlight_counts_once():
    kw = {"num_highlights": 2}
    assert both("detectable_format:number_highlighted_sections", kw, "***x***") == (True, False)
    assert both("detectable_format:number_highlighted_sections", kw,
                "*a* and **b**") == (True, True)


def test_section_marker_must_begin_a_line():
    kw = {"section_spliter": "Section", "num_sections": 2}
    text = "Section 1\nAs we saw in Section 2 and Section 3, ..."
    assert both("detectable_format:multiple_sections", kw, text) == (True, False)
    ok = '"Section 1: Intro"\ntext\n## Section 2\ntext'
    assert both("detectable_format:multiple_sections", kw, ok) == (True, True)
    # The reference uses the splitter as a regex: "S.ction" also matches "Suction".
    assert both("detectable_format:multiple_sections",
                {"section_spliter": "S.ction", "num_sections": 1}, "Suction 1") == (True, False)


@pytest.mark.parametrize("scalar", ["42", '"just a string"', "true", "null"])
def test_json_scalar_is_not_json_format(scalar):
    assert both("detectable_format:json_format", {}, scalar) == (True, False)


def test_title_closes_at_the_nearest_brackets():
    assert both("detectable_format:title", {}, "<< >> and <<>>") == (True, False)
    assert both("detectable_format:title", {}, "<<Joy>> and <<>>") == (True, True)


def test_fullwidth_and_other_script_commas_count():
    assert both("punctuation:no_comma", {}, "你好，世界") == (True, False)
    assert both("punctuation:no_comma", {}, "مرحبا، عالم") == (True, False)


def test_typographic_double_quotes_wrap_a_response():
    assert both("startend:quotation", {}, "\u201cWrapped.\u201d") == (False, True)
    assert both("startend:quotation", {}, "'single'") == (False, False)


def test_placeholder_needs_a_name_and_is_not_a_link():
    kw = {"num_placeholders": 2}
    text = "See [the docs](https://example.com) and fill [] in."
    assert both("detectable_content:number_placeholders", kw, text) == (True, False)
    assert both("detectable_content:number_placeholders", kw, "Dear [name] of [city]") == (True, True)
