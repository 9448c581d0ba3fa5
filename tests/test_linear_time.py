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


# --- MulDimIF: one-pass scans equal the reference regexes they replace ---------------------------

import re  # noqa: E402

from constraints.muldimif import _scan  # noqa: E402
from constraints.muldimif.language import heading_lines  # noqa: E402
from constraints.muldimif.other import (  # noqa: E402
    _bulleted, _numbered, _separator_row, attribute_count, sources_line, xml_tags)

MARKUP = st.text(alphabet=st.sampled_from(list("#|-*_ \t\n\r.!?>`a1:\u3000x\x0b")), max_size=60) \
    | st.lists(st.sampled_from(["# a", "## b ", "#", "##", " ", "", "| a | b |", "|---|", "|",
                                "**x**", "__", "```json", "```", "- i", "* j", "1. k", "2.",
                                "Sources: s", "Sources:", "\t"]),
               max_size=12).map("\n".join)


@settings(max_examples=600, deadline=None)
@given(MARKUP)
def test_muldimif_line_scans_equal_the_regexes(text):
    assert _scan.count_marks(text) == len([s for s in re.findall(r"[^.!?]*[.!?]", text)
                                           if s.strip()])
    assert _scan.has_table_line(text) == bool(re.search(r"^\s*\|.+\|", text, re.M))
    assert _scan.has_bold(text) == bool(re.search(r"(\*\*.*?\*\*|__.*?__)", text))
    match = re.search(r"(\|.*\|)", text, re.DOTALL)
    assert _scan.pipe_span(text) == (match.group(1) if match else "")
    match = re.search(r"```json(.*?)```", text, re.DOTALL)
    assert _scan.fenced(text, "json") == (match.group(1) if match else None)
    assert heading_lines(text) == re.findall(r"^#+\s*(.+)$", text, re.MULTILINE)
    assert _bulleted(text) == bool(re.search(r"^\s*[-*]", text, re.M))
    assert _numbered(text, False) == bool(re.search(r"^\s*\d+\.", text, re.M))
    assert _numbered(text, True) == bool(re.search(r"^\s*(\d+\.)\s", text, re.M))
    assert sources_line(text) == bool(re.search(r"Sources:\s*.+$", text))
    for line in text.split("\n"):
        match = re.match(r"^(#+)\s+(.*?)\s*$", line.strip())
        assert _scan.heading(line) == (match and (len(match.group(1)), match.group(2).strip()))
        if len(line) >= 2 and line[0] == "|" and line[-1] == "|":
            assert _separator_row(line) == bool(re.match(r"^\|(\s*-+\s*\|)+$", line))
        cells = [c.strip() for c in re.split(r"\s*\|\s*", line.strip("|")) if c.strip()]
        assert cells == [c.strip() for c in line.strip("|").split("|") if c.strip()]


TAGGY = st.text(alphabet=st.sampled_from(list("<>/ \t\n=\"'ab_:.-1é")), max_size=50) \
    | st.lists(st.sampled_from(["<a", "<b x='1'", ' y="2"', " ", ">", "/>", "<", "='", "z=",
                                "'", '"', "c", "\n"]), max_size=14).map("".join)
XML_TAG = r"<\s*([a-zA-Z_:][\w:.-]*)\s*(?:\s+[a-zA-Z_:][\w:.-]*=['\"][^'\"]*['\"])*\s*/?>"


@settings(max_examples=600, deadline=None)
@given(TAGGY)
def test_muldimif_xml_scans_equal_the_regexes(text):
    tags = [m.group(0) for m in re.finditer(XML_TAG, text)]
    assert xml_tags(text) == tags
    for tag in tags + [text]:
        assert attribute_count(tag) == len(re.findall(r"(\w+)=[\"'][^\"']*[\"']", tag))
