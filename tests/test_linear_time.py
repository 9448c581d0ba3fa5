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
