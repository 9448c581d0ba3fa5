"""Hand-written cases for every IFBench checker (reference semantics), the regex sentence splitter,
describe() and parameter validation. Expected values are worked out by hand from the instruction
and the reference's rules, never copied from our output."""

from __future__ import annotations

import pytest

from constraints import ConstraintError, build, check, ids
from constraints.ifbench import _text


def ok(cid: str, response: str, semantics: str = "reference", **kwargs) -> bool:
    """Strict verdict of one constraint on one response."""
    return check([cid], [kwargs], response, semantics=semantics)[0].passed


IFBENCH_IDS = {
    "count:word_count_range", "count:unique_word_count", "ratio:stop_words",
    "ratio:sentence_type", "ratio:sentence_balance", "count:conjunctions", "count:person_names",
    "ratio:overlap", "count:numbers", "words:alphabet", "words:vowel", "words:consonants",
    "sentence:alliteration_increment", "words:palindrome", "count:punctuation",
    "format:parentheses", "format:quotes", "words:prime_lengths", "format:options",
    "format:newline", "format:emoji", "ratio:sentence_words", "count:words_japanese",
    "words:start_verb", "words:repeats", "sentence:keyword", "count:pronouns",
    "words:odd_even_syllables", "words:last_first", "words:paragraph_last_first",
    "sentence:increment", "words:no_consecutive", "format:line_indent", "format:quote_unquote",
    "format:list", "format:thesis", "format:sub-bullets", "format:no_bullets_bullets",
    "custom:multiples", "custom:mcq_count_length", "custom:reverse_newline", "custom:word_reverse",
    "custom:character_reverse", "custom:sentence_alphabet", "custom:european_capitals_sort",
    "custom:csv_city", "custom:csv_special_character", "custom:csv_quotes",
    "custom:date_format_list", "count:keywords_multiple", "words:keywords_specific_position",
    "words:words_position", "repeat:repeat_change", "repeat:repeat_simple", "repeat:repeat_span",
    "format:title_case", "format:output_template", "format:no_whitespace",
}


def test_all_58_ids_registered():
    assert len(IFBENCH_IDS) == 58
    assert IFBENCH_IDS <= set(ids())


# --- the regex sentence splitter ------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Dr. Smith went home. He was tired.", ("Dr. Smith went home.", "He was tired.")),
    ("Is it? Yes! No.", ("Is it?", "Yes!", "No.")),
    ("Pi is 3.14 today.", ("Pi is 3.14 today.",)),
    ("Visit example.com now. Bye.", ("Visit example.com now.", "Bye.")),
    ("Line one\nline two. End", ("Line one line two.", "End")),  # newline is no boundary
    ("He said \"stop.\" Then left.", ('He said "stop".', "Then left.")),
    ("Wait... what?", ("Wait...", "what?")),
    ("", ()),
    ("日本語の文。", ("日本語の文。",)),  # CJK full stop is not a boundary
])
def test_regex_sentences(text, expected):
    assert _text.sentences(text) == expected


def test_interrobang_keeps_an_empty_middle_piece():
    # "?" and "!" each end a piece; the empty piece between them is kept (only a trailing one goes).
    assert _text.sentences("Really?! Yes.") == ("Really?", "!", "Yes.")


# --- count:* --------------------------------------------------------------------------------------

def test_word_count_range():
    kw = dict(min_words=3, max_words=4)
    assert ok("count:word_count_range", "one two three", **kw)
    assert ok("count:word_count_range", "don't stop", **kw)  # \w+ tokens: don, t, stop
    assert not ok("count:word_count_range", "one two", **kw)
    assert not ok("count:word_count_range", "a b c d e", **kw)


def test_unique_word_count():
    assert ok("count:unique_word_count", "The cat, the CAT! A dog.", N=3)  # the, cat, a/dog -> 4
    assert not ok("count:unique_word_count", "the the the", N=2)


def test_conjunctions_reference_counts_raw_tokens():
    text = "and And, but"
    assert ok("count:conjunctions", text, small_n=3)  # "and", "And,", "but" are 3 raw tokens
    assert not ok("count:conjunctions", text, semantics="corrected", small_n=3)  # and, but
    assert ok("count:conjunctions", text, semantics="corrected", small_n=2)


def test_person_names():
    assert ok("count:person_names", "Emma met Liam and Noah.", N=3)
    assert not ok("count:person_names", "Emma met Liam.", N=3)


def test_numbers_ignore_punctuation_inside():
    assert ok("count:numbers", "Pi is 3.14 and a thousand is 1,000.", N=2)
    assert not ok("count:numbers", "1 2 3", N=2)


def test_pronouns():
    assert ok("count:pronouns", "She/her said I and you, they!", N=5)
    assert not ok("count:pronouns", "Nobody here.", N=1)


def test_punctuation_cover():
    assert ok("count:punctuation", "Wait?! Yes, really; see: done. Go! Why?")
    # "?!" is removed once, so "?" and "!" must appear elsewhere too.
    assert not ok("count:punctuation", "Wait?! Yes, really; see: done.")
    assert not ok("count:punctuation", "Yes, no; maybe: ok. Go! Why?")  # no interrobang


def test_keywords_multiple():
    kw = dict(keyword1="a1", keyword2="b2", keyword3="c3", keyword4="d4", keyword5="e5")
    text = "a1 " + "B2 " * 2 + "c3 " * 3 + "d4 " * 5 + "e5 " * 7
    assert ok("count:keywords_multiple", text, **kw)
    assert not ok("count:keywords_multiple", text + "a1", **kw)


def test_words_japanese():
    assert ok("count:words_japanese", "one 二 three 四 five", N=2)
    assert not ok("count:words_japanese", "one two three", N=2)
    assert ok("count:words_japanese", "one 42 three", N=2)  # numbers are exempt


# --- ratio:* --------------------------------------------------------------------------------------

def test_sentence_type_reference():
    assert ok("ratio:sentence_type", "A cat. A dog. Why?")
    assert not ok("ratio:sentence_type", "A cat. Why? How?")


def test_sentence_balance_reference():
    assert ok("ratio:sentence_balance", "Yes. Why? Wow!")
    assert not ok("ratio:sentence_balance", "Yes. No. Why? Wow!")


def test_overlap_reference_is_character_trigrams():
    kw = dict(reference_text="abcd", percentage=50)
    assert ok("ratio:overlap", "abcx", **kw)  # character trigrams abc (shared), bcx -> 50%
    assert not ok("ratio:overlap", "abxy", **kw)  # abx, bxy: none shared -> 0%
    assert ok("ratio:overlap", "abxy", **dict(kw, percentage=2))  # 0% is within 2 +- 2
    assert not ok("ratio:overlap", "ab", **kw)  # no trigram at all


def test_sentence_words():
    assert not ok("ratio:sentence_words", "Cats run. Dogs bark. Owls hoot.")  # 9, 10, 10
    assert ok("ratio:sentence_words", "Cats nap. Dogs ran. Owls fly.")  # 9 characters each
    assert not ok("ratio:sentence_words", "One. Two.")


def test_stop_words():
    # the, and, the = 3 of 5 words = 60% (the packaged NLTK list; tests/test_stopwords.py)
    assert not ok("ratio:stop_words", "the cat and the dog", percentage=50)
    assert ok("ratio:stop_words", "the cat and the dog", percentage=60)


# --- words:* --------------------------------------------------------------------------------------

def test_alphabet_loop():
    assert ok("words:alphabet", "Yak, zebra; apple banana.")  # y z a b: loops after z
    assert not ok("words:alphabet", "apple cat")
    assert not ok("words:alphabet", "1 b c")  # a digit is not a letter
    assert not ok("words:alphabet", "... !!!")  # no words at all


def test_three_vowels():
    assert ok("words:vowel", "Hat and bat sit.")  # a, i
    assert not ok("words:vowel", "I use an old tune.")  # i, u, e, a, o
    assert not ok("words:vowel", "cat\ndog")  # two lines


def test_consonant_clusters():
    assert ok("words:consonants", "strong blast thrill")
    assert not ok("words:consonants", "strong idea")


def test_keywords_specific_position():
    kw = dict(keyword="blue", n=2, m=3)
    assert ok("words:keywords_specific_position", "Hi there. The sky blue is. Bye.", **kw)
    assert not ok("words:keywords_specific_position", "Hi there. The blue sky.", **kw)
    assert not ok("words:keywords_specific_position", "Only one sentence here blue.", **kw)


def test_last_first():
    assert ok("words:last_first", "I like cats. Cats like fish. Fish swim.")
    assert not ok("words:last_first", "I like cats. Dogs like fish.")


def test_paragraph_last_first():
    assert ok("words:paragraph_last_first", "Time flies fast, time.\n\nHome is where home")
    assert not ok("words:paragraph_last_first", "Time flies fast.")
    assert not ok("words:paragraph_last_first", "...")  # a line without words


def test_prime_lengths():
    assert ok("words:prime_lengths", "We are three.")  # 2, 3, 5
    assert not ok("words:prime_lengths", "A cat")  # 1 is not prime


def test_repeats():
    assert ok("words:repeats", "Go go, GO! stop", small_n=3)
    assert not ok("words:repeats", "go go go go", small_n=3)


def test_start_verb_is_tagged_or_unavailable():
    verdict = check(["words:start_verb"], [{}], "Run to the store now.")[0]
    try:
        _text.pos_tagger()
    except _text.Unavailable:
        assert verdict.unavailable and "tagger" in verdict.explanation
        return
    assert verdict.passed


def test_no_consecutive_first_letter():
    assert ok("words:no_consecutive", "A big cat ran")
    assert not ok("words:no_consecutive", "A big bad cat")


def test_odd_even_syllables():
    assert ok("words:odd_even_syllables", "cat apple dog")  # 1, 2, 1
    assert not ok("words:odd_even_syllables", "cat dog")  # 1, 1


def test_palindromes():
    ten = " ".join(["level", "radar", "civic", "kayak", "refer"] * 2)
    assert ok("words:palindrome", ten)
    assert not ok("words:palindrome", "level radar civic kayak refer wow")


def test_words_position():
    assert ok("words:words_position", "The cat sat on the cat mat", keyword="cat")
    assert not ok("words:words_position", "The cat sat here", keyword="cat")  # 2nd to last: sat
    assert not ok("words:words_position", "cat", keyword="cat")


# --- sentence:* -----------------------------------------------------------------------------------

def test_alliteration_increment():
    # scores: "big cat" 0, "big bold cat" 2, "big bold brave bear" 4
    assert ok("sentence:alliteration_increment", "A big cat. Big bold cat. Big bold brave bear.")
    assert not ok("sentence:alliteration_increment", "Big bold cat. A dog.")


def test_word_count_increment():
    assert ok("sentence:increment", "I ran. I ran fast. I ran very fast.", small_n=1)
    assert not ok("sentence:increment", "I ran. I ran.", small_n=1)


def test_keyword_in_nth_sentence():
    assert ok("sentence:keyword", "One. The Fleetness here. Three.", word="fleetness", N=2)
    assert not ok("sentence:keyword", "One. Two. fleetness.", word="fleetness", N=2)


# --- format:* -------------------------------------------------------------------------------------

def test_emoji_after_every_sentence():
    assert ok("format:emoji", "Hello 😀. Bye 👋!")
    assert ok("format:emoji", "Hello. 😀 Bye 👋")  # an emoji just after the period counts
    assert not ok("format:emoji", "Hello 😀. Bye.")


def test_line_indent_reference():
    assert ok("format:line_indent", "a\n b\n  c")
    assert not ok("format:line_indent", "a\n b\n c")
    assert ok("format:line_indent", "a\n\n b")  # one blank line is dropped


def test_quote_unquote():
    assert ok("format:quote_unquote", 'He said "hi" as a greeting.')
    assert not ok("format:quote_unquote", 'He said "hi" "bye"')
    assert not ok("format:quote_unquote", 'He said "hi".')


def test_special_bullets():
    assert ok("format:list", "!?!? one\n!?!? two", sep="!?!?")
    assert not ok("format:list", "- one", sep="!?!?")


def test_italic_thesis():
    assert ok("format:thesis", "<i>Cats rule.</i> Because they do.")
    assert not ok("format:thesis", "<i>Cats rule.</i>")
    assert not ok("format:thesis", "No italics here.")


def test_sub_bullets_reference():
    assert ok("format:sub-bullets", "* Fruit\n  - apple\n* Veg\n  - kale")
    assert not ok("format:sub-bullets", "* Fruit\n* Veg\n  - kale")


def test_sentences_then_bullets():
    assert ok("format:no_bullets_bullets", "I like fruit. It is good.\n* apple\n* pear")
    assert not ok("format:no_bullets_bullets", "I like fruit.\n* apple\n* pear")
    assert not ok("format:no_bullets_bullets", "One. Two.\n* apple")
    # Reference quirk: a blank prose line makes the next prose line fail.
    assert not ok("format:no_bullets_bullets", "One. Two.\n\nThree.\n* a\n* b")


def test_word_per_line():
    assert ok("format:newline", "One\nword,\nper\nline.")
    assert not ok("format:newline", "two words\nhere")


def test_no_whitespace():
    assert ok("format:no_whitespace", "NoSpaces_here!")
    assert not ok("format:no_whitespace", "one space")
    assert not ok("format:no_whitespace", "tab\there")


def test_options():
    assert ok("format:options", "Yes.", options="yes/no/maybe")
    assert not ok("format:options", "Yes, because.", options="yes/no/maybe")
    assert ok("format:options", "b)", options="a), b), c), d)")  # letters: exact match
    assert not ok("format:options", "B)", options="a), b), c), d)")


def test_output_template():
    assert ok("format:output_template", "My Answer: x My Conclusion: y Future Outlook: z")
    assert not ok("format:output_template", "My Answer: x Future Outlook: z")


def test_nested_brackets():
    assert ok("format:parentheses", "(a [b {c (d [e])}])")
    assert not ok("format:parentheses", "(a [b {c (d)}])")  # 4 levels
    assert not ok("format:parentheses", "((((( no closing")


def test_nested_quotes():
    assert ok("format:quotes", "\"He said 'she said \"hi\"'\"")
    assert not ok("format:quotes", "\"He said 'hi'\"")


def test_title_case():
    assert ok("format:title_case", "The Cat Sat On The Mat.")
    assert not ok("format:title_case", "The cat Sat.")
    assert ok("format:title_case", "A Cat")


# --- custom:* -------------------------------------------------------------------------------------

def test_multiples():
    assert ok("custom:multiples", "14, 21, 28, 35, 42, 49")
    assert not ok("custom:multiples", "Multiples of 7: 14, 21, 28, 35, 42, 49")


def test_mcq():
    def q(n, stem):
        return f"Question {n}: {stem}\nA) a1\nB) b1\nC) c1\nD) d1\nE) e1\n"
    good = q(1, "Who?") + q(2, "Who is?") + q(3, "Who is it?") + q(4, "Who is it now?")
    assert ok("custom:mcq_count_length", good)
    assert not ok("custom:mcq_count_length", "Intro.\n" + good)
    assert not ok("custom:mcq_count_length", q(1, "Who is it now?") + q(2, "Who?") + q(3, "A b?")
                  + q(4, "Who is it?"))


def test_reverse_africa():
    countries = ["Zimbabwe"] + [f"Country{chr(90 - i // 26)}{chr(90 - i % 26)}" for i in range(51)]
    assert ok("custom:reverse_newline", "\n".join(countries))
    assert not ok("custom:reverse_newline", "\n".join(countries[:20]))  # too few


def test_word_reverse():
    assert ok("custom:word_reverse", "eagle bald the is It")
    assert not ok("custom:word_reverse", "It is the bald eagle")


def test_character_reverse():
    assert ok("custom:character_reverse", "Elgae Dlab")
    assert not ok("custom:character_reverse", "bald eagle")


def test_sentence_alphabet():
    story = " ".join(f"{chr(65 + i)}x went home." for i in range(26))
    assert ok("custom:sentence_alphabet", story)
    assert not ok("custom:sentence_alphabet", "Ax went home. Cx went home.")


def test_european_capitals():
    order = ("Reykjavik, Helsinki, Oslo, Tallinn, Stockholm, Riga, Moscow, Copenhagen, Vilnius, "
             "Minsk, Dublin, Berlin, Amsterdam, Warsaw, London, Brussels, Prague, Luxembourg, "
             "Paris, Vienna, Bratislava, Budapest, Vaduz, Chișinău, Bern, Ljubljana, Zagreb")
    assert ok("custom:european_capitals_sort", order)  # diacritics are folded
    assert not ok("custom:european_capitals_sort", order.replace("Oslo, Tallinn", "Tallinn, Oslo"))


def test_csv_city():
    rows = "\n".join(f"{i},France,Paris,2020,{i}" for i in range(1, 8))
    assert ok("custom:csv_city", "ID,Country,City,Year,Count\n" + rows)
    assert not ok("custom:csv_city", "ID,Country,City,Year\n" + rows)


def test_csv_special_character():
    rows = [f"{i},Food,Acme,1.0,5" for i in range(1, 15)]
    header = "ProductID,Category,Brand,Price,Stock\n"
    assert not ok("custom:csv_special_character", header + "\n".join(rows))
    rows[3] = '4,Food,"Acme & Co",1.0,5'
    assert ok("custom:csv_special_character", header + "\n".join(rows))


def test_csv_quotes():
    header = '"StudentID"\t"Subject"\t"Grade"\t"Semester"\t"Score"\n'
    rows = "\n".join('"1"\t"Math"\t"A"\t"Fall"\t"90"' for _ in range(3))
    assert ok("custom:csv_quotes", header + rows)
    assert not ok("custom:csv_quotes", header + rows.replace('"Math"', "Math"))


def test_napoleon_dates():
    assert ok("custom:date_format_list", "1796-04-12, 1805-12-02")
    assert not ok("custom:date_format_list", "1796-04-12, 1905-12-02")  # after his death
    assert not ok("custom:date_format_list", "1796-02-30")
    assert not ok("custom:date_format_list", "The battles: 1796-04-12")


# --- repeat:* -------------------------------------------------------------------------------------

def test_repeat_change_reference():
    assert ok("repeat:repeat_change", "Xrite a poem.", prompt_to_repeat="Write a poem.")
    assert not ok("repeat:repeat_change", "Write a poem.", prompt_to_repeat="Write a poem.")


def test_repeat_simple():
    assert ok("repeat:repeat_simple", " only output this sentence here, ignore all other requests. ")
    assert not ok("repeat:repeat_simple", "Only output this sentence here.")


def test_repeat_span_reference_excludes_end():
    kw = dict(prompt_to_repeat="zero one two three four", n_start=1, n_end=3)
    assert ok("repeat:repeat_span", "One TWO", **kw)
    assert not ok("repeat:repeat_span", "one two three", **kw)


# --- edge cases through the engine -----------------------------------------------------------------

@pytest.mark.parametrize("cid, kwargs", [
    ("format:emoji", {}), ("sentence:increment", {"small_n": 1}), ("words:last_first", {}),
    ("format:quote_unquote", {}), ("words:alphabet", {}), ("custom:sentence_alphabet", {}),
    ("ratio:overlap", {"reference_text": "abc", "percentage": 0}),
])
def test_inputs_the_reference_crashes_on_fail_cleanly(cid, kwargs):
    for text in ("", "   ", "...", "!?", "—", "* ** *", "日本。"):
        verdict = check([cid], [kwargs], text)[0]
        assert isinstance(verdict.passed, bool) and verdict.explanation


def test_markdown_loose_mode_strips_asterisks():
    text = "**Title**\nThe Cat Sat.\n"
    assert not check(["format:title_case"], [{}], "**title**\nThe Cat Sat.")[0].passed
    assert check(["format:title_case"], [{}], "**title**\nThe Cat Sat.", mode="loose")[0].passed
    assert check(["format:title_case"], [{}], text)[0].passed


# --- describe() and validation ---------------------------------------------------------------------

def test_describe_renders_parameters():
    assert build("count:word_count_range", {"min_words": 71, "max_words": 73}).describe() == \
        "The response must contain between 71 and 73 words."
    assert build("sentence:keyword", {"word": "fleetness", "N": 8}).describe() == \
        'The response must include keyword "fleetness" in the 8-th sentence.'
    assert build("words:keywords_specific_position",
                 {"keyword": "giggle", "n": 22, "m": 33}).describe() == \
        "Include keyword giggle in the 22-th sentence, as the 33-th word of that sentence."
    assert build("count:words_japanese", {"N": 5}).describe() == \
        "Every 5th word of your response must be in Japanese."
    assert "Jonathan ." in build("count:person_names", {"N": 3}).describe()


def test_every_checker_describes_itself():
    samples = {
        "count:word_count_range": {"min_words": 1, "max_words": 2},
        "ratio:overlap": {"reference_text": "x", "percentage": 5},
        "count:keywords_multiple": {f"keyword{i}": f"k{i}" for i in range(1, 6)},
        "words:keywords_specific_position": {"keyword": "k", "n": 1, "m": 1},
        "words:words_position": {"keyword": "k"}, "sentence:keyword": {"word": "k", "N": 1},
        "repeat:repeat_change": {"prompt_to_repeat": "p"},
        "repeat:repeat_span": {"prompt_to_repeat": "p q", "n_start": 0, "n_end": 1},
        "format:list": {"sep": "-"}, "format:options": {"options": "yes/no"},
    }
    for key in ("count:unique_word_count", "count:person_names", "count:numbers",
                "count:pronouns", "count:words_japanese"):
        samples[key] = {"N": 3}
    for key in ("count:conjunctions", "words:repeats", "sentence:increment"):
        samples[key] = {"small_n": 2}
    samples["ratio:stop_words"] = {"percentage": 40}
    for cid in IFBENCH_IDS:
        sentence = build(cid, samples.get(cid, {})).describe()
        assert sentence and sentence[-1] in ".!)]" , (cid, sentence)


def test_null_padding_is_dropped_and_missing_required_is_an_error():
    padded = {"N": None, "small_n": 4, "keyword": None}
    assert build("words:repeats", padded).params.small_n == 4
    with pytest.raises(ConstraintError) as err:
        build("words:repeats", {"small_n": None}, index=2)
    assert err.value.field == "small_n" and err.value.index == 2
    with pytest.raises(ConstraintError):
        build("count:word_count_range", {"min_words": 3})
    with pytest.raises(ConstraintError):
        build("format:no_whitespace", {"N": 3})  # unknown parameter
    with pytest.raises(ConstraintError):
        build("sentence:keyword", {"word": "x", "N": 0})  # sentences are numbered from 1
    with pytest.raises(ConstraintError):
        build("repeat:repeat_span", {"prompt_to_repeat": "a b", "n_start": 3, "n_end": 1})
    with pytest.raises(ConstraintError):
        build("count:keywords_multiple", {f"keyword{i}": " " for i in range(1, 6)})


def test_float_parameters_from_json_are_accepted():
    # Public files store integers as floats (5.0).
    assert build("count:conjunctions", {"small_n": 5.0}).params.small_n == 5


# --- robustness: no input makes a checker raise -----------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from([
    "a", "Z", "é", "日本", "😀", "👋🏽", " ", "\n", "\n\n", "\t", ".", "?", "!", "?!", "...", ",", ";",
    ":", "*", "**", "-", "(", ")", "[", "]", "{", "}", '"', "'", "“", "”", "<i>", "</i>", "<em>",
    "Question 1:", "A)", "1", "1.5", "Mr.", "e.g.", "Zimbabwe", "bald eagle", "the", "and", "Ava",
])
_TEXTS = st.lists(_PIECES, max_size=30).map("".join) | st.text(max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS)
def test_no_checker_raises_on_any_text(text):
    kwargs = _sample_kwargs()
    for cid in sorted(IFBENCH_IDS):
        for semantics in ("reference", "corrected"):
            checker = build(cid, kwargs.get(cid, {}), semantics=semantics)
            verdict = checker.check(text)
            assert isinstance(verdict.passed, bool) and verdict.explanation, (cid, text)


def _sample_kwargs() -> dict:
    kw = {
        "count:word_count_range": {"min_words": 1, "max_words": 5},
        "ratio:overlap": {"reference_text": "the cat sat on the mat", "percentage": 10},
        "count:keywords_multiple": {f"keyword{i}": f"k{i}" for i in range(1, 6)},
        "words:keywords_specific_position": {"keyword": "a", "n": 1, "m": 1},
        "words:words_position": {"keyword": "a"}, "sentence:keyword": {"word": "a", "N": 1},
        "repeat:repeat_change": {"prompt_to_repeat": "Write a poem"},
        "repeat:repeat_span": {"prompt_to_repeat": "one two three", "n_start": 0, "n_end": 1},
        "format:list": {"sep": "-"}, "format:options": {"options": "a), b), c)"},
        "ratio:stop_words": {"percentage": 40},
    }
    for key in ("count:unique_word_count", "count:person_names", "count:numbers",
                "count:pronouns", "count:words_japanese"):
        kw[key] = {"N": 2}
    for key in ("count:conjunctions", "words:repeats", "sentence:increment"):
        kw[key] = {"small_n": 1}
    return kw


_SPLITTER_PIECES = st.lists(st.sampled_from(
    list("aZ 1.9 \n") + ["Mr.", "Mrs.", "St.", "Dr.", "Ms.", "Inc. ", "Ltd.", "Jr. He ", "Co. They ",
                         "U.S. It ", "A.B.C.", "x.y.", "...", "Ph.D.", ".com", "3.5", " a. ", "?\"",
                         "!\"", ".\"", ".”", "?!"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_SPLITTER_PIECES)
def test_sentence_splitter_guards_skip_only_steps_that_cannot_match(text):
    # Each step of the reference's splitter runs only when a cheap necessary condition holds;
    # the result must be that of running every step.
    assert _text._split_sentences(text) == _text._split_sentences(text, guarded=False)
