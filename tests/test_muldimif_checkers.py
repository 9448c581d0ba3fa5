"""Hand-written cases for the MulDimIF checkers (reference semantics), spec()/triple(), describe()
and build errors. Expected verdicts are worked out from the reference's rules
(docs/muldimif.md), not copied from our output."""

from __future__ import annotations

import pytest

from constraints import ConstraintError, build, ids
from constraints.muldimif import CHECKER_BY_KEY, spec, triple
from constraints.muldimif.language import heading_lines
from constraints.muldimif.other import attribute_count, json_depth, xml_tags


def judge(type_: str, subtype: str, sentence: str, response: str,
          semantics: str = "reference") -> bool:
    cid, kwargs = spec(type_, subtype, sentence)
    return build(cid, kwargs, semantics=semantics).check(response).passed


# --- spec / triple / registry --------------------------------------------------------------------

def test_55_reference_keys_onto_12_ids_all_registered():
    assert len(CHECKER_BY_KEY) == 55
    names = {f"muldimif:{n}" for n in CHECKER_BY_KEY.values()}
    assert len(names) == 12
    assert names <= set(ids())


def test_spec_and_triple_are_inverse():
    sentence = "Must include the keyword 'x'"
    cid, kwargs = spec("Content", "Keywords: Must include", sentence)
    assert cid == "muldimif:keywords"
    assert kwargs == {"type": "Content", "subtype": "Keywords: Must include",
                      "constraint": sentence}
    assert triple(cid, kwargs) == ("Content", "Keywords: Must include", sentence)


def test_unknown_pair_is_a_constraint_error_naming_it():
    with pytest.raises(ConstraintError, match="'Content' / subtype 'Colour'"):
        spec("Content", "Colour", "Use red")


def test_triple_rejects_other_ids_and_mismatched_pairs():
    with pytest.raises(ConstraintError):
        triple("keywords:existence", {"keywords": ["x"]})
    with pytest.raises(ConstraintError, match="subtype"):
        triple("muldimif:words", {"type": "Content", "subtype": "Keywords", "constraint": "x"})


def test_a_pair_built_with_the_wrong_id_is_refused():
    with pytest.raises(ConstraintError, match="muldimif:keywords"):
        build("muldimif:words", {"type": "Content", "subtype": "Keywords", "constraint": "x"})


def test_describe_gives_the_sentence_back_verbatim():
    sentence = "The answer must contain at least 100 words"
    cid, kwargs = spec("Length", "Words", sentence)
    assert build(cid, kwargs).describe() == sentence


def test_missing_sentence_is_an_error():
    with pytest.raises(ConstraintError, match="constraint"):
        build("muldimif:words", {"type": "Length", "subtype": "Words"})


def test_sentences_longer_than_1000_characters_are_refused():
    with pytest.raises(ConstraintError, match="constraint"):
        build("muldimif:words", {"type": "Length", "subtype": "Words",
                                 "constraint": "at least 5 words " * 70})


# --- length --------------------------------------------------------------------------------------

def test_words_whitespace_tokens_and_bounds():
    assert judge("Length", "Words", "The answer must contain at least 3 words", "a b c")
    assert not judge("Length", "Words", "The answer must contain at least 3 words", "a b")
    assert judge("Length", "Words: Range", "Range: 2-4 words", "one two three")
    assert not judge("Length", "Words: At most", "no more than two words", "x y z")


def test_words_cjk_answer_counts_cjk_characters_only():
    # Five CJK characters (one of them punctuation) and 4 Latin words: the reference counts 5.
    assert judge("Length", "Words", "at most 5 words", "this has four words 中文字句。")
    assert not judge("Length", "Words", "at least 6 words", "this has four words 中文字句。")


def test_words_exactly_ignores_the_rest_of_the_sentence():
    sentence = "exactly 2 words and must include 'zebra'"
    assert judge("Length", "Words", sentence, "hello world")
    # "exactly one hundred" reads as exactly one: the lazy number stops at the first word.
    assert judge("Length", "Words", "The answer must be exactly one hundred words", "word")


def test_words_quoted_keywords_and_sentence_bounds():
    sentence = "at least 3 words, at least 2 sentences, include 'blue sky'"
    assert judge("Length", "Words", sentence, "The blue sky. Is nice!")
    assert not judge("Length", "Words", sentence, "The blue skyline. Is nice!")
    assert not judge("Length", "Words", sentence, "The blue sky is nice...")  # one run of dots


def test_words_each_element():
    sentence = "Each entry in the table must contain at most 2 words"
    table = "| Name | Note |\n|---|---|\n| a b | c |\n| d | e |"
    assert judge("Length", "Words", sentence, table)
    assert not judge("Length", "Words", sentence, "| Name | Note |\n|---|---|\n| a b c | d |")
    # Bullets: only at the very start of the answer; each item's words.
    assert judge("Length", "Words", "Each item must be at most 3 words", "- a b\n- c d e")
    assert not judge("Length", "Words", "Each item must be at most 3 words", "- a b c d")


def test_words_each_word_length():
    sentence = "each word must be at most 3 characters"
    assert judge("Length", "Words", sentence, "the cat ran")
    assert not judge("Length", "Words", sentence, "the cats")


def test_words_each_word_spelled_number_raises_in_the_reference():
    with pytest.raises(ConstraintError, match="raises"):
        build("muldimif:words", {"type": "Length", "subtype": "Words",
                                 "constraint": "each word must be at most five characters"})


def test_words_unrecognised_sentence_passes_everything():
    sentence = "The diagram must have at most 10 labeled components."
    assert judge("Length", "Words", sentence, "")
    assert judge("Length", "Words", sentence, "anything at all")


def test_sentences_count_every_mark():
    sentence = "The answer must contain at most 2 sentences"
    assert judge("Length", "Sentences", sentence, "Pi is 3.14")  # one '.'
    assert not judge("Length", "Sentences", sentence, "Wait...")  # three '.'
    assert judge("Length", "Sentences", "exactly three sentences", "A. B! C?")
    assert judge("Length", "Sentences", "包含至少2句话", "一. 二.")


def test_sentences_unrecognised_sentence_passes_everything():
    assert judge("Length", "Sentences", "at least one complete sentence", "")


def test_paragraphs():
    sentence = "The answer must contain exactly 2 paragraphs"
    assert judge("Length", "Paragraphs", sentence, "a\n\nb")
    assert not judge("Length", "Paragraphs", sentence, "a\n \nb")  # "\n \n" does not split
    assert judge("Length", "Paragraphs", "between 1 and 3 paragraphs", "a\n\n\n\nb")
    # No recognised count: fails every answer.
    assert not judge("Length", "Paragraphs", "not exceeding a total of 15 paragraphs", "a")


# --- keywords ------------------------------------------------------------------------------------

def test_keywords_whole_word_case_insensitive():
    sentence = "Must include the keyword 'keyword'"
    assert judge("Content", "Keywords", sentence, "A KEYWORD here")
    assert not judge("Content", "Keywords", sentence, "many keywords here")


def test_keywords_avoid_times_and_or():
    assert not judge("Content", "Keywords", "The term 'foo' must be avoided", "a foo b")
    assert judge("Content", "Keywords", "The term 'foo' must be avoided", "a food b")
    twice = "The keyword 'cat' must appear at least twice"
    assert judge("Content", "Keywords", twice, "cat and Cat")
    assert not judge("Content", "Keywords", twice, "one cat")
    either = "Must include 'red' OR 'blue'"
    assert judge("Content", "Keywords", either, "blue")
    assert not judge("Content", "Keywords", either, "green")


def test_keywords_apostrophe_ends_the_keyword_in_the_reference():
    # The reference reads 'children' (and "s health" as no keyword).
    assert judge("Content", "Keywords", "Must include the keyword 'children's health'",
                 "children are fine")


def test_keywords_each_element_and_unmatched_each_fails():
    sentence = "Each bullet point must include the keyword 'x'"
    assert judge("Content", "Keywords", sentence, "- x one\n- two x")
    assert not judge("Content", "Keywords", sentence, "- x one\n- two")
    assert not judge("Content", "Keywords", "Must include the keyword 'data' in each sentence",
                     "data. data.")


def test_keywords_json_values():
    sentence = "Each entry must include the keyword 'ok'"
    assert judge("Content", "Keywords", sentence, '{"a": "ok", "b": "is ok"}')
    assert not judge("Content", "Keywords", sentence, '{"a": "ok", "b": "no"}')
    assert not judge("Content", "Keywords", sentence, "{not json")


# --- punctuation ---------------------------------------------------------------------------------

def test_punctuation_end_of_answer_and_negation():
    assert judge("Content", "Punctuation", "Ending punctuation must be a period", "Hi. ")
    assert not judge("Content", "Punctuation", "Ending punctuation must be a period", "Hi!")
    assert judge("Content", "Punctuation", "The title must not end with a period", "Title")
    assert not judge("Content", "Punctuation", "Names must not end with punctuation marks", "A,")
    assert judge("Content", "Punctuation",
                 "Ending punctuation must be a period followed by a `~`", "End.~")


def test_punctuation_units():
    each = "Each sentence must end with a period"
    assert not judge("Content", "Punctuation", each, "One. Two!")
    assert judge("Content", "Punctuation", "Each paragraph must end with a period", "a.\nb.")
    assert judge("Content", "Punctuation", "Each cell must end with a period",
                 "| H | I |\n|---|---|\n| a. | b. |")
    bullets = "Each bullet point must end with an exclamation mark"
    assert judge("Content", "Punctuation", bullets, "Intro\n- Yes!\n- Go!")
    assert not judge("Content", "Punctuation", bullets, "- Yes!\n- Go.")


def test_punctuation_finally_splits_into_sentences_in_the_reference():
    # "Finally" contains "all": every Punkt sentence must end with the mark.
    sentence = "Finally, the answer must end with a period"
    assert not judge("Content", "Punctuation", sentence, "Wow! The end.")


# --- markdown ------------------------------------------------------------------------------------

def test_markdown_heading_rules():
    doc = "# Title\n\n## Part\ntext"
    assert judge("Format", "Markdown", "Must use heading levels 1 and 2", doc)
    assert not judge("Format", "Markdown", "Must use heading levels 2 and 3", doc)
    assert judge("Format", "Markdown", "Heading levels must not exceed 2", doc)
    assert not judge("Format", "Markdown", "Heading levels must not exceed 1", doc)
    assert judge("Format", "Markdown", "The answer must use at most 2 heading levels", doc)
    assert judge("Format", "Markdown", "The answer must begin with a level 1 heading", doc)
    assert not judge("Format", "Markdown", "must include a level 3 heading", doc)
    assert not judge("Format", "Markdown", "Must use heading levels 1 and 2", "#Title\n##Part")


def test_markdown_unrecognised_passes_and_each_means_any_heading():
    assert judge("Format", "Markdown", "Use Markdown nicely", "no headings")
    # "many" contains "any": every heading checked alone, i.e. at least one heading.
    assert not judge("Format", "Markdown", "Use Markdown for many things", "no headings")
    assert judge("Format", "Markdown", "Use Markdown for many things", "# One")


def test_markdown_block_quotes_bold_bullets():
    assert judge("Markdown", "Block quotes", "Use block quotes for citations", "x\n> q")
    assert not judge("Markdown", "Block quotes", "The answer must be in block quotes", "> a\n")
    assert judge("Markdown", "Block quotes", "The answer must be in block quotes", "> a\n> b")
    assert judge("Format", "Markdown", "Key terms must be in bold", "a **b** c")
    assert not judge("Format", "Markdown", "Key terms must be in bold", "a **b\nc** d")
    assert judge("Format", "Markdown", "Use bullet points", "x\n  + item")


def test_markdown_at_least_block_quotes_without_count_raises_in_the_reference():
    with pytest.raises(ConstraintError, match="raises"):
        build("muldimif:markdown", {"type": "Markdown", "subtype": "Block quotes",
                                    "constraint": "Use at least some block quotes"})


# --- table ---------------------------------------------------------------------------------------

TABLE = "Intro\n| A | B |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\nOutro"


def test_table_rows_and_columns():
    assert judge("Table", "Row limit", "The table must have no more than 2 rows", TABLE)
    assert not judge("Table", "Row limit", "The table must have no more than one row", TABLE)
    assert judge("Table", "Column limit", "The table must have exactly 2 columns", TABLE)
    assert not judge("Table", "Column limit", "The table must not exceed 1 column", TABLE)


def test_table_without_pipe():
    assert not judge("Format", "Table", "Use a table with exactly 2 rows", "no table")
    assert judge("Format", "Table", "If you use a table, limit it to 2 rows", "no table")
    assert judge("Format", "Table", "exactly 2 rows", "no table")  # "table" not mentioned


def test_table_column_names():
    sentence = 'The table must include columns for "Name," "Price"'
    assert judge("Format", "Table", sentence, "| Product name | Price (USD) |\n|---|---|")
    assert not judge("Format", "Table", sentence, "| Product | Cost |\n|---|---|")


# --- English / Chinese ---------------------------------------------------------------------------

def test_english_cases():
    assert judge("Language", "English", "The answer must be in all uppercase", "HELLO 1!")
    assert not judge("Language", "English", "The answer must be in all uppercase", "Hello")
    title = "The answer must use capitalized letters for each word"
    assert judge("Language", "English", title, "Hello World (and) 3rd")  # "(and)" passes
    assert not judge("Language", "English", title, "Hello world")
    assert judge("Language", "English", "The answer must be in lowercase", "abc")
    assert not judge("Language", "English", title, "   ")


def test_english_scope_headings_and_unrecognised_case():
    sentence = "All headings must be in all uppercase"
    assert judge("Language", "English", sentence, "# TITLE\nbody text")
    assert not judge("Language", "English", sentence, "# Title\nBODY")
    assert not judge("Language", "English", "written entirely in uppercase letters", "ABC")


def test_heading_lines_follows_the_regex():
    assert heading_lines("# A\ntext\n##  B  ") == ["A", "B  "]
    assert heading_lines("#\n\nC") == ["C"]  # the white space runs on to the next line
    assert heading_lines("##") == ["#"]
    assert heading_lines("# \n") == [" "]
    assert heading_lines("#") == []


def test_chinese_scripts():
    assert judge("Language", "Chinese", "Must use Simplified Chinese characters", "这是简体")
    assert not judge("Language", "Chinese", "Must use Simplified Chinese characters", "這是繁體")
    assert judge("Language", "Chinese", "Must include Traditional Chinese characters", "這是")
    traditional = "Must use Traditional Chinese characters"
    assert judge("Language", "Chinese", traditional, "這是繁體")
    assert not judge("Language", "Chinese", traditional, "這是繁體 ok")  # a Latin letter
    assert judge("Language", "Chinese", 'Must include the phrase "你好"', "你好世界")


# --- JSON, XML and the fixed-phrase checkers ------------------------------------------------------

def test_json_depth():
    assert json_depth({"a": 1}) == 1
    assert json_depth({"a": {"b": [1]}}) == 3
    assert json_depth([]) == 0
    sentence = "Object nesting levels must not exceed 2"
    assert judge("Json", "Object nesting levels", sentence, '{"a": {"b": 1}}')
    assert not judge("Json", "Object nesting levels", sentence, '{"a": {"b": [1]}}')
    assert judge("Format", "Json", sentence, 'Here:\n```json\n{"a": 1}\n```')
    assert not judge("Format", "Json", sentence, "not json")


def test_json_deep_nesting_fails_instead_of_crashing():
    assert not judge("Format", "Json", "Object nesting levels must not exceed 2",
                     "[" * 100_000 + "]" * 100_000)


def test_xml_tags_and_attributes():
    text = '<a x="1" y=\'2\'> <b/> <c z="3"   > <d q="1"x="2">'
    assert xml_tags(text) == ['<a x="1" y=\'2\'>', "<b/>", '<c z="3"   >']
    assert [attribute_count(t) for t in xml_tags(text)] == [2, 0, 1]
    assert judge("XML", "Number of attributes", "no more than 2 attributes", text)
    assert not judge("Format", "XML", "Number of attributes must be exactly 2", text)
    assert judge("XML", "Number of attributes", "at least 1 attributes", "no tags at all")


def test_format_other_rules():
    assert judge("Format", "Blurb", "Response must be written as a short blurb", "x" * 200)
    assert not judge("Format", "Blurb", "Response must be written as a short blurb", "x" * 201)
    assert not judge("Format", "Text", "No bullet points", "a\n  ---")
    assert judge("Format", "Text", "No bullet points", "a\n+ b")
    rows = "a table, which is limited to a maximum of 2 rows"
    assert judge("Table", "Table", rows, "| a |\n|---|\n| :--- |")  # ':---' counts as a row
    assert not judge("Table", "Table", rows, "| a |\n| b |\n| c |")


def test_content_other_start_identifier():
    sentence = "Start identifier: Each answer must begin with 'Answer:'"
    assert judge("Content", "Identifiers", sentence, "## answer: yes")
    assert not judge("Content", "Identifiers", sentence, "The answer: yes")
    assert not judge("Content", "Identifiers", "Something unrecognised", "x")
