"""Linear-time text scans shared by the MulDimIF checkers.

Where the reference runs a regex on the response that backtracks quadratically on some texts
(``[^.!?]*[.!?]``, ``^\\s*\\|.+\\|`` over many lines, ``^(#+)\\s+(.*?)\\s*$``...), the function
here computes the same result in one pass; the docstrings say which regex each replaces, and
tests/test_linear_time.py compares them on generated texts. Python's ``\\s`` (str patterns) and
``str.isspace``/``str.strip`` agree on what white space is, which these rewrites rely on.
"""

from __future__ import annotations

import re

# CJK characters as the reference's word counter sees them: ideographs (URO, extension A,
# extensions B-C...), CJK symbols and punctuation, halfwidth and fullwidth forms.
CJK_CHAR = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002a6df\u3000-\u303f\uff00-\uffef]")
# Ideographs only: what a reader counts as one word each (corrected semantics).
HAN_CHAR = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002a6df]")
CJK_SEPARATOR = re.compile("[\u3000-\u303f\uff00-\uffef]")


def count_marks(text: str) -> int:
    """``len(re.findall(r'[^.!?]*[.!?]', text))`` (every match is non-blank): one per mark."""
    return text.count(".") + text.count("!") + text.count("?")


def has_table_line(text: str) -> bool:
    """``re.search(r'^\\s*\\|.+\\|', text, re.M)``: some line, once its leading white space is
    dropped, starts with ``|`` and has another ``|`` at least two characters further."""
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("|") and stripped.find("|", 2) != -1:
            return True
    return False


def heading(line: str) -> tuple[int, str] | None:
    """``re.match(r'^(#+)\\s+(.*?)\\s*$', line.strip())`` as (level, content stripped)."""
    line = line.strip()
    body = line.lstrip("#")
    level = len(line) - len(body)
    if level and body[:1].isspace():
        return level, body.strip()
    return None


def has_bold(text: str) -> bool:
    """``re.search(r'(\\*\\*.*?\\*\\*|__.*?__)', text)``: two ``**`` (or two ``__``) that do not
    overlap on one line."""
    for line in text.split("\n"):
        for mark in ("**", "__"):
            first = line.find(mark)
            if first != -1 and line.find(mark, first + 2) != -1:
                return True
    return False


def pipe_span(text: str) -> str:
    """``re.search(r'(\\|.*\\|)', text, re.DOTALL).group(1)`` or "": first ``|`` to last ``|``."""
    first, last = text.find("|"), text.rfind("|")
    return text[first:last + 1] if first != last else ""


def fenced(text: str, language: str) -> str | None:
    """``re.search(r'```<language>(.*?)```', text, re.DOTALL).group(1)``, or None."""
    opening = "```" + language
    start = text.find(opening)
    if start == -1:
        return None
    end = text.find("```", start + len(opening))
    return None if end == -1 else text[start + len(opening):end]
