"""Corrected semantics: each known wrong verdict of the MulDimIF reference, shown under both
semantics (the reference's verdict is reproduced, the corrected one is right). One test per row of
the corrections table in docs/muldimif.md."""

from __future__ import annotations

import pytest

from constraints import ConstraintError, build
from constraints.muldimif import spec


def both(type_: str, subtype: str, sentence: str, response: str) -> tuple[bool, bool]:
    """(reference verdict, corrected verdict)."""
    cid, kwargs = spec(type_, subtype, sentence)
    return tuple(build(cid, kwargs, semantics=s).check(response).passed
                 for s in ("reference", "corrected"))


def test_sentences_are_punkt_sentences():
    at_most_one = "The answer must contain at most 1 sentence"
    # "3.14" is one '.', "..." three, "Dr." one more: the reference counts marks.
    assert both("Length", "Sentences", at_most_one, "Pi is about 3.14 and e is 2.72.") == \
        (False, True)
    assert both("Length", "Sentences", at_most_one, "Wait...") == (False, True)
    assert both("Length", "Sentences", "at least 2 sentences", "Dr. Smith arrived.") == \
        (True, False)
    # Chinese full stops end sentences too (the reference sees none).
    assert both("Length", "Sentences", "at least 2 sentences", "第一句。第二句。") == (False, True)
    assert both("Length", "Sentences", "exactly 2 sentences", "One. Two.") == (True, True)


def test_words_sentence_bounds_are_punkt_sentences():
    sentence = "The answer must have at least 3 words and at most 1 sentence"
    assert both("Length", "Words", sentence, "Version 2.0 is out.") == (False, True)
    assert both("Length", "Words", sentence, "It is. It is.") == (False, False)


def test_words_mixed_cjk_and_latin():
    sentence = "The answer must contain at least 6 words"
    # One CJK character and six Latin words: the reference counts 1.
    text = "The word for water is 水 indeed"
    assert both("Length", "Words", sentence, text) == (False, True)
    # Each ideograph is a word; CJK punctuation is not.
    assert both("Length", "Words", "at most 3 words", "水火土。") == (False, True)
    assert both("Length", "Words", "at most 3 words", "水火土木") == (False, False)


def test_punctuation_each_any_all_are_words():
    # "Finally" and "Additionally" contain "all": the reference then wants every sentence to end
    # with the mark.
    finally_ = "Finally, the answer must end with a period"
    assert both("Content", "Punctuation", finally_, "Great! It ends here.") == (False, True)
    additionally = "Additionally, ensure that the answer ends with an exclamation mark"
    assert both("Content", "Punctuation", additionally, "It works. Really!") == (False, True)
    each = "Each sentence must end with a period"
    assert both("Content", "Punctuation", each, "Great! It ends here.") == (False, False)


def test_apostrophe_inside_a_quoted_keyword():
    sentence = "Must include the keyword 'children's health'"
    assert both("Content", "Keywords", sentence, "children are fine") == (True, False)
    assert both("Content", "Keywords", sentence, "Children's health matters") == (True, True)
    words = "at least 2 words and include 'world's end'"
    assert both("Length", "Words", words, "the world turns") == (True, False)


# Sentences of the test set that the reference does not understand, one per checker family, with
# the verdict it then gives every answer.
UNPARSED = [
    ("Length", "Sentences", "The response must include at least one complete sentence", True),
    ("Length", "Paragraphs", "not exceeding a total of 15 paragraphs", False),
    ("Length", "Words", "The diagram must have at most 10 labeled components.", True),
    ("Length", "Words", "Each row should be detailed, containing between 20 to 30 words", False),
    ("Content", "Keywords", "Must include the keyword 'data' in each sentence", False),
    ("Content", "Keywords", "The script must include the names of key players", True),
    ("Format", "Markdown", "Use Markdown with heading levels 1 and 2 to organize the answer", True),
    ("Format", "Table", "The list must include no more than 5 allotropic modifications", True),
    ("Language", "English", "The answer must be written entirely in uppercase letters.", False),
    ("Format", "Json", "Use JSON", False),
    ("Language", "Chinese", "Write in Chinese", False),
    ("Format", "Text", "Use plain text", False),
    ("Content", "Identifiers", "Mention the source", False),
]


@pytest.mark.parametrize("type_, subtype, sentence, fixed_verdict", UNPARSED)
def test_unparsed_sentences_are_errors(type_, subtype, sentence, fixed_verdict):
    cid, kwargs = spec(type_, subtype, sentence)
    reference = build(cid, kwargs, semantics="reference")
    answers = ["", "HELLO WORLD.", "| a | b |\n|---|---|\n| 1 | 2 |", "# Title\n\nSome text."]
    assert {reference.check(a).passed for a in answers} == {fixed_verdict}
    assert "does not understand" in reference.check("x").explanation
    with pytest.raises(ConstraintError) as raised:
        build(cid, kwargs, semantics="corrected", index=3)
    message = str(raised.value)
    assert sentence in message and "constraint 3" in message and cid in message
