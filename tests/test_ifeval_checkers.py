"""Hand-written cases for every IFEval checker in reference semantics: verdicts, the described
sentence (IFEval's build_description wording) and parameter validation."""

from __future__ import annotations

import pytest

from constraints import ConstraintError, build, check, checker_class, ids

IFEVAL_IDS = [
    "keywords:existence", "keywords:frequency", "keywords:forbidden_words",
    "keywords:letter_frequency", "language:response_language",
    "length_constraints:number_sentences", "length_constraints:number_paragraphs",
    "length_constraints:number_words", "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders", "detectable_content:postscript",
    "detectable_format:number_bullet_lists", "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections", "detectable_format:multiple_sections",
    "detectable_format:json_format", "detectable_format:title", "combination:two_responses",
    "combination:repeat_prompt", "startend:end_checker", "startend:quotation",
    "change_case:capital_word_frequency", "change_case:english_capital",
    "change_case:english_lowercase", "punctuation:no_comma",
]


def judge(cid, kwargs, response, semantics="reference"):
    return build(cid, kwargs, semantics=semantics).check(response)


def ok(cid, kwargs, response, semantics="reference"):
    return judge(cid, kwargs, response, semantics).passed


def test_all_25_ids_are_registered_one_class_each():
    registered = set(ids())
    assert set(IFEVAL_IDS) <= registered
    classes = {checker_class(cid) for cid in IFEVAL_IDS}
    assert len(classes) == 25


# --- keywords -----------------------------------------------------------------------------------

def test_existence_case_insensitive_all_required():
    kw = {"keywords": ["Banana", "apple"]}
    assert ok("keywords:existence", kw, "An APPLE and a banana.")
    v = judge("keywords:existence", kw, "Only an apple.")
    assert not v.passed and "'Banana'" in v.explanation


def test_existence_reference_matches_inside_words_and_as_regex():
    assert ok("keywords:existence", {"keywords": ["cat"]}, "a category")
    assert ok("keywords:existence", {"keywords": ["c.t"]}, "cut")  # a regex in the reference


def test_existence_invalid_regex_is_matched_literally_not_raised():
    # ":)" is not a valid regex: the reference raises; we match it literally and say so.
    v = judge("keywords:existence", {"keywords": [":)"]}, "Nice :) indeed")
    assert v.passed and "literally" in v.explanation
    assert not ok("keywords:existence", {"keywords": [":)"]}, "Nice :( indeed")
    # "C++" is a valid regex (a possessive "C+"), so the reference finds it in "C".
    assert ok("keywords:existence", {"keywords": ["C++"]}, "I write C daily.")


def test_frequency_relations_and_substrings():
    kw = {"keyword": "war", "frequency": 2, "relation": "at least"}
    assert ok("keywords:frequency", kw, "War and wars.")  # reference counts substrings
    v = judge("keywords:frequency", kw, "One war.")
    assert not v.passed and "found 1" in v.explanation and "at least 2" in v.explanation
    less = {"keyword": "war", "frequency": 2, "relation": "less than"}
    assert ok("keywords:frequency", less, "One war.")
    assert not ok("keywords:frequency", less, "war war")


def test_forbidden_words_whole_word_case_insensitive():
    kw = {"forbidden_words": ["Cat", "dog"]}
    assert ok("keywords:forbidden_words", kw, "A category of hotdogs.")
    v = judge("keywords:forbidden_words", kw, "The DOG sleeps.")
    assert not v.passed and "'dog'" in v.explanation


def test_letter_frequency_counts_lowercased():
    kw = {"letter": "A", "let_frequency": 3, "let_relation": "at least"}
    assert ok("keywords:letter_frequency", kw, "A banana")  # a, a, a, a
    assert not ok("keywords:letter_frequency", kw, "Abc")
    less = {"letter": "z", "let_frequency": 1, "let_relation": "less than"}
    assert ok("keywords:letter_frequency", less, "no such letter")


def test_letter_frequency_non_letter_is_counted_deterministically():
    kw = {"letter": "!", "let_frequency": 3, "let_relation": "at least"}
    assert all(ok("keywords:letter_frequency", kw, "Wow!!!") for _ in range(5))
    assert not ok("keywords:letter_frequency", kw, "Wow!")


# --- language and case --------------------------------------------------------------------------

def test_response_language():
    kw = {"language": "de"}
    assert ok("language:response_language", kw, "Das ist ein kurzer deutscher Satz über das Wetter.")
    v = judge("language:response_language", kw, "This is plainly an English sentence about weather.")
    assert not v.passed and "'en'" in v.explanation


def test_response_language_undetectable_passes_in_reference():
    assert ok("language:response_language", {"language": "hi"}, "12345 !!!")


def test_english_capital_and_lowercase():
    assert ok("change_case:english_capital", {}, "THIS IS AN ENGLISH SENTENCE IN CAPITALS.")
    assert not ok("change_case:english_capital", {}, "THIS IS an english sentence.")
    assert ok("change_case:english_lowercase", {}, "this is an english sentence in lowercase.")
    v = judge("change_case:english_lowercase", {}, "This is not all lowercase.")
    assert not v.passed and "not all lowercase" in v.explanation
    # All lowercase but German: the language check fails.
    assert not ok("change_case:english_lowercase", {}, "das ist ein deutscher satz über das wetter.")


def test_capital_word_frequency_uses_nltk_tokens():
    kw = {"capital_frequency": 3, "capital_relation": "at least"}
    # word_tokenize splits "DON'T" into "DO" and "N'T": both upper-case tokens.
    assert ok("change_case:capital_word_frequency", kw, "I DON'T know.")
    v = judge("change_case:capital_word_frequency", kw, "Only ONE capital word.")
    assert not v.passed and "found 1" in v.explanation
    less = {"capital_frequency": 2, "capital_relation": "less than"}
    assert ok("change_case:capital_word_frequency", less, "NASA is one.")


# --- length -------------------------------------------------------------------------------------

def test_number_sentences_punkt_abbreviations():
    kw = {"num_sentences": 2, "relation": "less than"}
    assert ok("length_constraints:number_sentences", kw, "Dr. Smith arrived at 5 p.m. on Monday.")
    v = judge("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"},
              "One. Two. Three.")
    assert v.passed and "found 3 sentence" in v.explanation


def test_number_words_counts_word_characters():
    kw = {"num_words": 5, "relation": "at least"}
    assert ok("length_constraints:number_words", kw, "it's a well-known fact")  # it s a well known fact
    assert not ok("length_constraints:number_words", kw, "four words only here")
    assert ok("length_constraints:number_words", {"num_words": 3, "relation": "less than"},
              "*** --- !!!")  # no words at all


def test_number_paragraphs_divider_rules():
    kw = {"num_paragraphs": 3}
    assert ok("length_constraints:number_paragraphs", kw, "one\n***\ntwo\n***\nthree")
    assert ok("length_constraints:number_paragraphs", kw, "***\none\n***\ntwo\n***\nthree\n***")
    v = judge("length_constraints:number_paragraphs", kw, "one\n***\n***\nthree")
    assert not v.passed and "empty" in v.explanation
    assert not ok("length_constraints:number_paragraphs", kw, "one\n***\ntwo")


def test_nth_paragraph_first_word():
    kw = {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "Second"}
    text = "First one.\n\n\"Second,\" he said.\n\nThird."
    assert ok("length_constraints:nth_paragraph_first_word", kw, text)
    assert not ok("length_constraints:nth_paragraph_first_word", kw, "First.\n\nSecond.")
    v = judge("length_constraints:nth_paragraph_first_word", kw, "First.\n\nOther.\n\nThird.")
    assert not v.passed and "'other'" in v.explanation


# --- content ------------------------------------------------------------------------------------

def test_placeholders_same_line_brackets():
    kw = {"num_placeholders": 2}
    assert ok("detectable_content:number_placeholders", kw, "Dear [name], at [address].")
    assert not ok("detectable_content:number_placeholders", kw, "[name\n] and [x]")
    assert ok("detectable_content:number_placeholders", {"num_placeholders": 1}, "[[nested]]")


def test_postscript_markers():
    ps = {"postscript_marker": "P.S."}
    assert ok("detectable_content:postscript", ps, "Hello.\n\nP.S. See you.")
    assert ok("detectable_content:postscript", ps, "Hello.\n\np. s. lowercase is fine")
    assert not ok("detectable_content:postscript", ps, "Hello.\n\nPS no dots")
    pps = {"postscript_marker": "P.P.S"}
    assert ok("detectable_content:postscript", pps, "Body.\nP.P.S. More.")
    assert not ok("detectable_content:postscript", pps, "Body.\nP.S. Less.")
    custom = {"postscript_marker": "Note:"}
    assert ok("detectable_content:postscript", custom, "Body.\nNOTE: lowercased match")


# --- format -------------------------------------------------------------------------------------

def test_bullet_lists_star_and_dash_lines():
    kw = {"num_bullets": 3}
    assert ok("detectable_format:number_bullet_lists", kw, "Intro\n* one\n* two\n- three")
    assert not ok("detectable_format:number_bullet_lists", kw, "* one\n* two")
    # "**bold**" lines are not bullets; an indented dash is.
    assert ok("detectable_format:number_bullet_lists", {"num_bullets": 1}, "**Title**\n   - item")


def test_constrained_response_option_anywhere():
    assert ok("detectable_format:constrained_response", {}, "  My answer is maybe.  ")
    assert ok("detectable_format:constrained_response", {}, "Well... My answer is no. Because.")
    assert not ok("detectable_format:constrained_response", {}, "my answer is yes.")


def test_highlighted_sections_single_and_double():
    kw = {"num_highlights": 2}
    assert ok("detectable_format:number_highlighted_sections", kw, "*one* and **two**")
    assert not ok("detectable_format:number_highlighted_sections", kw, "*one* and ** **")
    assert not ok("detectable_format:number_highlighted_sections", kw, "*across\nlines*")


def test_multiple_sections_counts_splitter_with_number():
    kw = {"section_spliter": "SECTION", "num_sections": 2}
    assert ok("detectable_format:multiple_sections", kw, "SECTION 1\nfoo\nSECTION 2\nbar")
    assert not ok("detectable_format:multiple_sections", kw, "SECTION 1\nfoo\nSection 2\nbar")
    assert not ok("detectable_format:multiple_sections", kw, "SECTION one\nSECTION two")


def test_json_format_fences_and_invalid():
    assert ok("detectable_format:json_format", {}, '```json\n{"a": [1, 2]}\n```')
    assert ok("detectable_format:json_format", {}, '```\n[1, 2]\n```')
    assert ok("detectable_format:json_format", {}, "42")  # a scalar is JSON to the reference
    v = judge("detectable_format:json_format", {}, "{'a': 1}")
    assert not v.passed and "not valid JSON" in v.explanation
    assert not ok("detectable_format:json_format", {}, "[" * 100_000)  # too deep: no crash


def test_title_double_angular_brackets():
    assert ok("detectable_format:title", {}, "<<Poem of Joy>>\nlines")
    assert not ok("detectable_format:title", {}, "<<  >> and <<>")
    # Greedy: "<< >> and <<>>" is one match whose inside (" >> and <<") is not blank.
    assert ok("detectable_format:title", {}, "<< >> and <<>>")
    assert not ok("detectable_format:title", {}, "<<split\ntitle>>")


# --- combination and start/end ------------------------------------------------------------------

def test_two_responses():
    assert ok("combination:two_responses", {}, "First answer.\n******\nSecond answer.")
    assert not ok("combination:two_responses", {}, "Same.\n******\nSame.")
    v = judge("combination:two_responses", {}, "a\n******\n******\nb")
    assert not v.passed and "empty" in v.explanation
    assert not ok("combination:two_responses", {}, "a ****** b ****** c")


def test_repeat_prompt_case_insensitive_prefix():
    kw = {"prompt_to_repeat": "Write a poem about the sea."}
    assert ok("combination:repeat_prompt", kw, "  write a POEM about the sea.\nThe sea...")
    v = judge("combination:repeat_prompt", kw, "Sure! Write a poem about the sea.")
    assert not v.passed and "character 0" in v.explanation


def test_end_checker_strips_quotes_and_case():
    kw = {"end_phrase": "Is there anything else I can help with?"}
    assert ok("startend:end_checker", kw, 'Done. is there anything else I can help with?"  ')
    assert not ok("startend:end_checker", kw, "Is there anything else I can help with? Bye.")


def test_quotation():
    assert ok("startend:quotation", {}, '  "wrapped"\n')
    assert not ok("startend:quotation", {}, '"')
    assert not ok("startend:quotation", {}, '"half wrapped')


def test_no_comma():
    assert ok("punctuation:no_comma", {}, "No commas here.")
    v = judge("punctuation:no_comma", {}, "One, two, three")
    assert not v.passed and "found 2 comma" in v.explanation


# --- edge inputs through the engine -------------------------------------------------------------

@pytest.mark.parametrize("response", ["", "   \n\t"])
def test_empty_response_fails_everything(response):
    kwargs = [VALID[cid] for cid in IFEVAL_IDS]
    for verdict in check(IFEVAL_IDS, kwargs, response):
        assert not verdict.passed


def test_cjk_and_huge_inputs():
    cjk = "这是一个中文句子。没有逗号。" * 200
    assert ok("punctuation:no_comma", {}, cjk)
    assert ok("language:response_language", {"language": "ja"}, "これは日本語の文章です。とても短い。") 
    assert ok("length_constraints:number_words", {"num_words": 1, "relation": "at least"}, cjk)
    huge = ("word " * 200_000).strip()
    v = judge("length_constraints:number_words", {"num_words": 200_000, "relation": "at least"}, huge)
    assert v.passed and "found 200000" in v.explanation


def test_loose_mode_drops_first_line_and_stars():
    ids_ = ["startend:quotation", "detectable_format:title"]
    response = 'Sure, here it is:\n"<<**Title**>> text"'
    strict = check(ids_, [{}, {}], response, mode="strict")
    loose = check(ids_, [{}, {}], response, mode="loose")
    assert [v.passed for v in strict] == [False, True]
    assert [v.passed for v in loose] == [True, True]


# --- describe() ---------------------------------------------------------------------------------

VALID = {
    "keywords:existence": {"keywords": ["sea", "boat"]},
    "keywords:frequency": {"keyword": "sea", "frequency": 3, "relation": "at least"},
    "keywords:forbidden_words": {"forbidden_words": ["sea", "boat", "sea"]},
    "keywords:letter_frequency": {"letter": "Q", "let_frequency": 4, "let_relation": "less than"},
    "language:response_language": {"language": "hi"},
    "length_constraints:number_sentences": {"num_sentences": 5, "relation": "less than"},
    "length_constraints:number_paragraphs": {"num_paragraphs": 4},
    "length_constraints:number_words": {"num_words": 300, "relation": "at least"},
    "length_constraints:nth_paragraph_first_word":
        {"num_paragraphs": 4, "nth_paragraph": 2, "first_word": "Summer"},
    "detectable_content:number_placeholders": {"num_placeholders": 2},
    "detectable_content:postscript": {"postscript_marker": "P.S."},
    "detectable_format:number_bullet_lists": {"num_bullets": 3},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": 2},
    "detectable_format:multiple_sections": {"section_spliter": "Section", "num_sections": 3},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": "Say hi."},
    "startend:end_checker": {"end_phrase": "Any other questions?"},
    "startend:quotation": {},
    "change_case:capital_word_frequency": {"capital_frequency": 7, "capital_relation": "at least"},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "punctuation:no_comma": {},
}

DESCRIPTIONS = {
    "keywords:existence": "Include keywords ['boat', 'sea'] in the response.",
    "keywords:frequency": "In your response, the word sea should appear at least 3 times.",
    "keywords:forbidden_words": "Do not include keywords ['boat', 'sea'] in the response.",
    "keywords:letter_frequency": "In your response, the letter q should appear less than 4 times.",
    "language:response_language":
        "Your ENTIRE response should be in Hindi language, no other language is allowed.",
    "length_constraints:number_sentences": "Your response should contain less than 5 sentences.",
    "length_constraints:number_paragraphs":
        "There should be 4 paragraphs. Paragraphs are separated with the markdown divider: ***",
    "length_constraints:number_words": "Answer with at least 300 words.",
    "length_constraints:nth_paragraph_first_word":
        "There should be 4 paragraphs. Paragraphs and only paragraphs are separated with each "
        "other by two new lines as if it was '\\n\\n' in python. Paragraph 2 must start with word "
        "summer.",
    "detectable_content:number_placeholders":
        "The response must contain at least 2 placeholders represented by square brackets, "
        "such as [address].",
    "detectable_content:postscript":
        "At the end of your response, please explicitly add a postscript starting with P.S.",
    "detectable_format:number_bullet_lists":
        "Your answer must contain exactly 3 bullet points. Use the markdown bullet points such "
        "as:\n* This is point 1. \n* This is point 2",
    "detectable_format:constrained_response":
        "Answer with one of the following options: ('My answer is yes.', 'My answer is no.', "
        "'My answer is maybe.')",
    "detectable_format:number_highlighted_sections":
        "Highlight at least 2 sections in your answer with markdown, i.e. *highlighted section*.",
    "detectable_format:multiple_sections":
        "Your response must have 3 sections. Mark the beginning of each section with Section X, "
        "such as:\nSection 1\n[content of section 1]\nSection 2\n[content of section 2]",
    "detectable_format:json_format":
        "Entire output should be wrapped in JSON format. You can use markdown ticks such as ```.",
    "detectable_format:title":
        "Your answer must contain a title, wrapped in double angular brackets, such as "
        "<<poem of joy>>.",
    "combination:two_responses":
        "Give two different responses. Responses and only responses should be separated by 6 "
        "asterisk symbols: ******.",
    "combination:repeat_prompt":
        "First repeat the request word for word without change, then give your answer (1. do "
        "not say any words or characters before repeating the request; 2. the request you need "
        "to repeat does not include this sentence)",
    "startend:end_checker":
        "Finish your response with this exact phrase Any other questions?. No other words "
        "should follow this phrase.",
    "startend:quotation": "Wrap your entire response with double quotation marks.",
    "change_case:capital_word_frequency":
        "In your response, words with all capital letters should appear at least 7 times.",
    "change_case:english_capital":
        "Your entire response should be in English, and in all capital letters.",
    "change_case:english_lowercase":
        "Your entire response should be in English, and in all lowercase letters. No capital "
        "letters are allowed.",
    "punctuation:no_comma": "In your entire response, refrain from the use of any commas.",
}


@pytest.mark.parametrize("cid", IFEVAL_IDS)
def test_describe_uses_the_reference_wording(cid):
    assert build(cid, VALID[cid]).describe() == DESCRIPTIONS[cid]


# --- validation ---------------------------------------------------------------------------------

REQUIRED = {cid: kw for cid, kw in VALID.items() if kw}


@pytest.mark.parametrize("cid", sorted(REQUIRED))
def test_each_missing_required_parameter_is_named(cid):
    for field in REQUIRED[cid]:
        kwargs = {k: v for k, v in REQUIRED[cid].items() if k != field}
        with pytest.raises(ConstraintError) as info:
            build(cid, kwargs, index=3)
        assert info.value.field == field
        assert info.value.index == 3 and cid in str(info.value)
        assert "missing" in str(info.value)


@pytest.mark.parametrize("cid, field, value", [
    ("keywords:frequency", "frequency", "3"),
    ("keywords:frequency", "frequency", True),
    ("keywords:frequency", "relation", "at most"),
    ("keywords:existence", "keywords", "sea"),
    ("length_constraints:number_words", "num_words", 300.5),
    ("language:response_language", "language", "xx"),
    ("detectable_format:number_bullet_lists", "num_bullets", None.__class__),
    ("startend:end_checker", "end_phrase", 7),
])
def test_wrong_types_and_values_are_errors_naming_the_field(cid, field, value):
    kwargs = dict(VALID[cid])
    kwargs[field] = value
    with pytest.raises(ConstraintError) as info:
        build(cid, kwargs)
    assert info.value.field.split(".")[0] == field


@pytest.mark.parametrize("cid, field, value", [
    # Values the reference replaces with a random draw (falsy kwargs are dropped, negatives
    # redrawn): errors here, never a random default.
    ("detectable_format:number_highlighted_sections", "num_highlights", 0),
    ("length_constraints:number_sentences", "num_sentences", -1),
    ("keywords:existence", "keywords", []),
    ("keywords:existence", "keywords", [""]),
    ("startend:end_checker", "end_phrase", ""),
    ("keywords:letter_frequency", "letter", "ab"),
    ("keywords:letter_frequency", "letter", " "),
    ("length_constraints:nth_paragraph_first_word", "nth_paragraph", 9),
])
def test_values_the_reference_would_randomise_are_rejected(cid, field, value):
    kwargs = dict(VALID[cid])
    kwargs[field] = value
    with pytest.raises(ConstraintError) as info:
        build(cid, kwargs)
    assert info.value.field.split(".")[0] == field


def test_unknown_parameter_is_an_error_and_null_means_not_given():
    with pytest.raises(ConstraintError, match="unknown parameter"):
        build("punctuation:no_comma", {"num_words": 3})
    # Public files pad kwargs with nulls: a null is "not given".
    assert build("punctuation:no_comma", {"num_words": None}).check("a").passed
