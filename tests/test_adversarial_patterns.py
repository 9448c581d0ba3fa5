"""Patterns taken from the data (IFEval keywords, forbidden words, postscript markers and section
splitters, which the reference uses as regexes) run in bounded time: a catastrophically
backtracking one makes the verdict unavailable, naming the pattern, instead of stalling; every
other pattern matches as before. Behaviour only: speed is measured by ``benchmarks/adversarial.py``.
"""

from __future__ import annotations

import re

import pytest

from constraints import build, build_all, check, score
from constraints.ifeval import _common

# (a|a)+$ tries 2^n ways to split a run of n "a" before giving up: certainly catastrophic on 60
# "a" followed by "b", for any engine that backtracks (re, regex).
CATASTROPHIC = "(a|a)+$"
RESPONSE = "a" * 60 + "b is a response"


@pytest.fixture
def tiny_bound(monkeypatch):
    monkeypatch.setattr(_common, "USER_REGEX_TIMEOUT_S", 0.05)


@pytest.mark.parametrize("cid, kwargs, role", [
    ("keywords:existence", {"keywords": [CATASTROPHIC]}, "keyword"),
    ("keywords:frequency", {"keyword": CATASTROPHIC, "frequency": 1, "relation": "at least"},
     "keyword"),
    ("keywords:forbidden_words", {"forbidden_words": [CATASTROPHIC]}, "forbidden word"),
    ("detectable_content:postscript", {"postscript_marker": CATASTROPHIC}, "postscript marker"),
    ("detectable_format:multiple_sections", {"section_spliter": CATASTROPHIC, "num_sections": 1},
     "section splitter"),
])
def test_catastrophic_pattern_is_unavailable_with_an_explanation(tiny_bound, cid, kwargs, role):
    verdict = build(cid, kwargs, semantics="reference").check(RESPONSE)
    assert verdict.unavailable and not verdict.passed
    assert verdict.explanation == (
        f"the {role} pattern {CATASTROPHIC!r} did not finish within 0.05 s on this response "
        "(catastrophic backtracking); the row is rejected")


def test_the_engine_rejects_the_row_strict_and_loose(tiny_bound):
    checkers = build_all(["keywords:existence", "length_constraints:number_words"],
                         [{"keywords": [CATASTROPHIC]}, {"num_words": 1, "relation": "at least"}])
    scored = score(checkers, RESPONSE)
    assert scored.unavailable == [0]
    assert scored.strict[0].unavailable and scored.loose[0].unavailable


def test_corrected_semantics_never_uses_the_keyword_as_a_regex(tiny_bound):
    checker = build("keywords:existence", {"keywords": [CATASTROPHIC]}, semantics="corrected")
    verdict = checker.check(RESPONSE)
    assert not verdict.unavailable and not verdict.passed


# (pattern, text, expected re.findall with IGNORECASE) for patterns that can backtrack (so they
# run on the bounded engine) and ones that cannot (they stay on re).
NORMAL = [
    ("colou?r", "Color and colour, COLOUR.", ["Color", "colour", "COLOUR"]),
    ("cat|dog", "A cat, a Dog, a bird.", ["cat", "Dog"]),
    (r"\d{2,3}", "1 22 333 4444", ["22", "333", "444"]),
    (r"gr[ae]y+", "grey grayyy GREY", ["grey", "grayyy", "GREY"]),
    (r"a.*?b", "axxb ab", ["axxb", "ab"]),
    (r"(?<!\w)ai(?!\w)", "AI, said the ai-lab", ["AI", "ai"]),
    ("café", "Café CAFÉ", ["Café", "CAFÉ"]),
    (r"x*", "axxb", ["", "xx", "", ""]),
    (r"\bword\b", "word, words, sword", ["word"]),
    (r"(ab)+", "ababab ab", ["ab", "ab"]),
]


@pytest.mark.parametrize("pattern, text, expected", NORMAL)
def test_normal_patterns_match_as_re_does(pattern, text, expected):
    compiled, is_regex = _common.user_regex(pattern, re.IGNORECASE)
    assert is_regex
    assert compiled.bounded == _common.may_backtrack(pattern)
    assert compiled.findall(text) == re.findall(pattern, text, re.IGNORECASE) == expected
    found = compiled.search(text)
    reference = re.search(pattern, text, re.IGNORECASE)
    assert (found.span(), found.group(0)) == (reference.span(), reference.group(0))
    assert compiled.split(text) == re.split(pattern, text, flags=re.IGNORECASE)


def test_which_patterns_are_bounded():
    for pattern in ("cat", "c.t", r"\bcat\b", "[abc]at", r"C\+\+", r"a\{2\}", "(cat)", "^cat$"):
        assert not _common.may_backtrack(pattern), pattern
    for pattern in ("ca+t", "ca*t", "cat?", "a{2}", "cat|dog", "[+]", "(a+)+$"):
        assert _common.may_backtrack(pattern), pattern


def test_keyword_verdicts_unchanged():
    def ok(cid, response, **kwargs):
        return check([cid], [kwargs], response)[0].passed

    assert ok("keywords:existence", "The colour is red.", keywords=["colou?r"])
    assert not ok("keywords:existence", "The hue is red.", keywords=["colou?r", "red"])
    assert ok("keywords:frequency", "cat dog cat", keyword="cat|dog", frequency=3,
              relation="at least")
    assert not ok("keywords:forbidden_words", "He has a catalogue.", forbidden_words=["cat.*"])
    assert ok("keywords:forbidden_words", "He has a dog.", forbidden_words=["cat.*"])
    # Not a valid regex: matched literally, as before.
    assert ok("keywords:existence", "Smile :)", keywords=[":)"])


def test_postscript_marker_with_syntax_matches_where_the_full_pattern_does():
    # The reference searches r"\s*" + marker + r".*$" (multiline) in the lowercased response.
    for marker, response in [("P\\.S\\.?", "Hi.\n\n  p.s. bye"), ("(P.S.|Note)", "Hi.\nNOTE: x"),
                             ("P+S", "Hi. No postscript."), ("^PS$", "a\nPS\nb"),
                             ("^PS$", "a PS b")]:
        reference = re.search(r"\s*" + marker.lower() + r".*$", response.lower(), re.MULTILINE)
        got = check(["detectable_content:postscript"], [{"postscript_marker": marker}], response)
        assert got[0].passed == (reference is not None), marker


def test_section_splitter_with_syntax_counts_as_before():
    response = "SECTION 1 intro\nSection 2 body\nSECTION3 end"
    reference = len(re.split(r"\s?SECTION|Section\s?\d+\s?", response)) - 1
    got = build("detectable_format:multiple_sections",
                {"section_spliter": "SECTION|Section", "num_sections": reference},
                ).check(response)
    assert got.passed and f"found {reference} section(s)" in got.explanation
