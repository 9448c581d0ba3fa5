"""The linear-time rewrites of quadratic reference algorithms give the same results as the
algorithms they replace (a direct transcription of each old algorithm is kept here, run on small
inputs). Speed itself is measured by ``benchmarks/adversarial.py``, never by a timed test."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from constraints import build
from constraints.ifbench.format import IndentStairs

# Lines made of a few blank texts (equal and different ones) and indented words.
LINE = st.sampled_from(["", " ", "  ", "\t", " \t", "\r", "x", " x", "  x", "   x", "y", " y"])
RESPONSE = st.lists(LINE, max_size=40).map("\n".join) | st.text(alphabet=" \t\nxy\r", max_size=60)


def old_reference_lines(response: str) -> list[str]:
    """The reference's loop, as it is: ``remove`` while iterating (quadratic)."""
    lines = response.split("\n")
    for line in lines:
        if not line.strip():
            lines.remove(line)
    return lines


@settings(max_examples=1500, deadline=None)
@given(RESPONSE)
def test_line_indent_reference_lines_equal_the_old_loop(response):
    assert IndentStairs._reference_lines(response) == old_reference_lines(response)


@settings(max_examples=300, deadline=None)
@given(RESPONSE)
def test_line_indent_verdicts_unchanged(response):
    checker = build("format:line_indent", {}, semantics="reference")
    lines = old_reference_lines(response)
    stairs = all(len(b) - len(b.lstrip(" ")) > len(a) - len(a.lstrip(" "))
                 for a, b in zip(lines, lines[1:]))
    assert checker.check(response).passed == stairs


def test_line_indent_known_cases():
    # Two consecutive blank lines: the second is skipped by the iterator and stays.
    assert old_reference_lines("a\n\n\n b") == ["a", "", " b"]
    assert IndentStairs._reference_lines("a\n\n\n b") == ["a", "", " b"]
    # A later blank line removes an earlier equal one that was skipped.
    assert IndentStairs._reference_lines("a\n \n \nb\n \nc") == old_reference_lines(
        "a\n \n \nb\n \nc")


# --- count:person_names (corrected): one pass over the word runs, not 50 regex scans ------------

NAMEISH = st.lists(st.sampled_from(list("EmaLiAvlnch _-'\u0301\u00e91\n") +
                                   ["Emma", "Ava", "Liam", "Zoe"]), max_size=20).map("".join) \
    | st.text(max_size=40)


@settings(max_examples=500, deadline=None)
@given(NAMEISH)
def test_person_names_corrected_equal_the_regex_scans(response):
    import re

    from constraints.ifbench.count import PERSON_NAMES

    old = [n for n in PERSON_NAMES if re.search(r"\b" + n + r"\b", response)]
    verdict = build("count:person_names", {"N": 1}, semantics="corrected").check(response)
    assert verdict.explanation.startswith(f"found {len(old)} listed names ("
                                          f"{', '.join(old) or 'none'})")


# --- the CSV checkers keep the first rows and count the rest -----------------------------------

CSVISH = st.text(alphabet=st.sampled_from(list('ab,"\t\n\r \x00')), max_size=80)


@settings(max_examples=500, deadline=None)
@given(CSVISH, st.sampled_from([",", "\t"]))
def test_csv_rows_keep_the_first_rows_and_count_all(text, delimiter):
    import csv
    import io

    from constraints.ifbench.custom import _csv_rows

    try:
        old = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        old = None
    got = _csv_rows(text, delimiter, keep=3)
    assert got == (None if old is None else (old[:3], len(old)))


# --- length_constraints:nth_paragraph_first_word: the first word without a per-character loop ----

@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aΣςσAİ.,?!'\" \n\tx")), min_size=1, max_size=30)
       .filter(str.strip))
def test_first_word_of_equals_the_character_loop(paragraph):
    from constraints.ifeval.length import first_word_of

    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    out = []
    for ch in word:
        if ch in ".,?!'\"":
            break
        out.append(ch.lower())
    assert first_word_of(paragraph) == "".join(out)
