"""IFEval ``detectable_format:*``.

The reference's regexes are reproduced exactly, but where a regex backtracks quadratically on
adversarial text (bullets: ``^\\s*\\*[^\\*].*$`` on many blank lines; titles: ``<<[^\\n]+>>`` on a
long line of ``<``) we compute the same matches with a linear scan; ``tests/test_properties.py``
checks the scans against the regexes on random text.
"""

from __future__ import annotations

import json
import re

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._common import Count, SlowPattern, Text, user_regex


# --- bullet lists -------------------------------------------------------------------------------

def _count_line_matches(text: str, star: bool) -> int:
    """``len(re.findall(r"^\\s*\\*[^\\*].*$", text, re.M))`` (``star``) or
    ``len(re.findall(r"^\\s*-.*$", text, re.M))`` in linear time.

    From a line start, ``\\s*`` runs (across blank lines too) to the first non-space character;
    it must be ``*`` followed by any character but ``*`` (even a newline), or ``-``. The match
    then runs to the end of the line (for ``*`` + newline, of the next line) and the search
    resumes at the next line start. A failed start fails for every line start up to the same
    character, so the scan skips them. (The regexes themselves are quadratic on many blank lines.)
    """
    n = len(text)
    count = 0
    pos = 0  # always a line start
    while pos < n:
        k = pos
        while k < n and text[k].isspace():
            k += 1
        if k >= n:
            break
        if star and text[k] == "*" and k + 1 < n and text[k + 1] != "*":
            count += 1
            end = text.find("\n", k + 2)
        elif not star and text[k] == "-":
            count += 1
            end = text.find("\n", k + 1)
        else:
            end = text.find("\n", k)
        if end < 0:
            break
        pos = end + 1
    return count


def reference_bullet_lines(text: str) -> int:
    """The reference's bullet count: lines matching ``^\\s*\\*[^\\*].*$`` plus lines matching
    ``^\\s*-.*$`` (two independent ``findall`` passes)."""
    return _count_line_matches(text, star=True) + _count_line_matches(text, star=False)


_CORRECTED_BULLET = re.compile(r"^[^\S\n]*[*+-][^\S\n]+\S", re.MULTILINE)


class BulletParams(Params):
    num_bullets: Count


@register("detectable_format:number_bullet_lists")
class NumberBulletLists(Checker):
    Params = BulletParams

    def describe(self) -> str:
        return (f"Your answer must contain exactly {self.params.num_bullets} bullet points. "
                "Use the markdown bullet points such as:\n* This is point 1. \n* This is point 2")

    def _count(self, response: str) -> int:
        if self.corrected:
            return len(_CORRECTED_BULLET.findall(response))
        return reference_bullet_lines(response)

    def check(self, response: str) -> Verdict:
        n = self._count(response)
        want = self.params.num_bullets
        return verdict(n == want, f"found {n} bullet point(s), need exactly {want}")

    def achieved(self, response: str) -> dict | None:
        # No bullets at all is no bullet-list instruction: the family cannot say "0 bullets".
        n = self._count(response)
        return {"num_bullets": n} if n >= 1 else None


# --- constrained response -----------------------------------------------------------------------

OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


@register("detectable_format:constrained_response")
class ConstrainedResponse(Checker):
    def describe(self) -> str:
        return f"Answer with one of the following options: {OPTIONS}"

    def check(self, response: str) -> Verdict:
        text = response.strip()
        found = [option for option in OPTIONS if option in text]
        if self.corrected and len(found) > 1:
            return verdict(False, f"found several options {found}, need exactly one")
        if found:
            return verdict(True, f"found the option {found[0]!r}")
        return verdict(False, f"none of {list(OPTIONS)} found")


# --- highlighted sections -----------------------------------------------------------------------

_SINGLE = re.compile(r"\*[^\n\*]*\*")
_DOUBLE = re.compile(r"\*\*[^\n\*]*\*\*")
_STAR_RUN = re.compile(r"\*+")


def reference_highlights(text: str) -> int:
    """The reference count: non-blank ``*x*`` matches plus non-blank ``**x**`` matches, each
    regex on its own (so ``***x***`` counts twice and ``**x**`` once)."""
    n = sum(1 for m in _SINGLE.findall(text) if m.strip("*").strip())
    n += sum(1 for m in _DOUBLE.findall(text) if m[2:-2].strip())
    return n


def corrected_highlights(text: str) -> int:
    """Each ``*x*``, ``**x**`` or ``***x***`` span (non-blank, on one line) counts once.

    Runs of ``*`` are paired left to right on each line: a run closes the open one when it has
    the same length (1 to 3) and non-blank text lies between; otherwise it opens a new span.
    """
    count = 0
    for line in text.split("\n"):
        open_run: re.Match[str] | None = None
        for run in _STAR_RUN.finditer(line):
            if (open_run is not None and len(run.group()) == len(open_run.group()) <= 3
                    and line[open_run.end():run.start()].strip()):
                count += 1
                open_run = None
            else:
                open_run = run
    return count


class HighlightParams(Params):
    num_highlights: Count


@register("detectable_format:number_highlighted_sections")
class NumberHighlightedSections(Checker):
    Params = HighlightParams

    def describe(self) -> str:
        return (f"Highlight at least {self.params.num_highlights} sections in your answer with "
                "markdown, i.e. *highlighted section*.")

    def check(self, response: str) -> Verdict:
        n = corrected_highlights(response) if self.corrected else reference_highlights(response)
        want = self.params.num_highlights
        return verdict(n >= want, f"found {n} highlighted section(s), need at least {want}")


# --- multiple sections --------------------------------------------------------------------------

def _corrected_section_pattern(spliter: str) -> re.Pattern[str]:
    # At a line start, after optional decoration (markdown, quotes, a list number "2. "): the
    # literal splitter, optional spaces, a number, and not more word characters ("Day 1" but not
    # "Day 1st" or "Days 1").
    return re.compile(r"^[^\w\n]*(?:\d+[.)][^\S\n]*)?" + re.escape(spliter) + r"[^\S\n]*\d+(?!\w)",
                      re.MULTILINE)


class SectionsParams(Params):
    section_spliter: Text  # sic: the reference's parameter name
    num_sections: Count


@register("detectable_format:multiple_sections")
class MultipleSections(Checker):
    """Reference: the splitter is a (case-sensitive) regex ``\\s?{spliter}\\s?\\d+\\s?`` matched
    anywhere, so "see Section 2 above" starts a section. Corrected: the literal splitter and a
    number must begin a line (optionally after markdown such as ``#`` or ``**``, quotes or a list
    number)."""

    Params = SectionsParams

    def _spliter(self) -> str:
        return self.params.section_spliter.strip()

    def describe(self) -> str:
        s, n = self._spliter(), self.params.num_sections
        return (f"Your response must have {n} sections. Mark the beginning of each section with "
                f"{s} X, such as:\n{s} 1\n[content of section 1]\n{s} 2\n[content of section 2]")

    def check(self, response: str) -> Verdict:
        spliter = self._spliter()
        if self.corrected:
            pattern = _corrected_section_pattern(spliter)
            n = len(pattern.findall(response))
        else:
            pattern = user_regex(spliter, prefix=r"\s?", suffix=r"\s?\d+\s?")[0]
            try:
                n = len(pattern.split(response)) - 1
            except SlowPattern as slow:
                return slow.verdict("section splitter")
        want = self.params.num_sections
        return verdict(n >= want, f"found {n} section(s) marked '{spliter} N', need at least {want}")


# --- JSON ---------------------------------------------------------------------------------------

def strip_json_fence(text: str) -> str:
    """The reference's unwrapping: strip, drop one leading fence (```json / ```Json / ```JSON,
    each tried in turn, then ```), drop a trailing ```, strip."""
    text = text.strip()
    for prefix in ("```json", "```Json", "```JSON", "```"):
        text = text.removeprefix(prefix)
    return text.removesuffix("```").strip()


@register("detectable_format:json_format")
class JsonFormat(Checker):
    """Reference: anything ``json.loads`` accepts, including a bare number or string.
    Corrected: the content must be a JSON object or array."""

    def describe(self) -> str:
        return "Entire output should be wrapped in JSON format. You can use markdown ticks such as ```."

    def check(self, response: str) -> Verdict:
        text = strip_json_fence(response)
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            # RecursionError: nesting deeper than the interpreter allows. The reference crashes.
            return verdict(False, f"not valid JSON ({type(exc).__name__}: {str(exc)[:60]})")
        if self.corrected and not isinstance(value, (dict, list)):
            return verdict(False, f"valid JSON but a bare {type(value).__name__}, need an object "
                                  "or array")
        return verdict(True, f"valid JSON ({type(value).__name__})")


# --- title --------------------------------------------------------------------------------------

def reference_titles(text: str) -> list[str]:
    """``re.findall(r"<<[^\\n]+>>", text)`` in linear time.

    On each line the greedy match runs from the first ``<<`` to the last ``>>`` that leaves at
    least one character between; nothing after it can match, and if it fails no later ``<<`` of
    the line can succeed.
    """
    found = []
    for line in text.split("\n"):
        start = line.find("<<")
        if start < 0:
            continue
        end = line.rfind(">>")
        if end >= start + 3:
            found.append(line[start:end + 2])
    return found


def corrected_titles(text: str) -> list[str]:
    """Each ``<<`` paired with the nearest ``>>`` after it on the same line (linear scan)."""
    found = []
    for line in text.split("\n"):
        start = line.find("<<")
        while start >= 0:
            end = line.find(">>", start + 2)
            if end < 0:
                break
            found.append(line[start:end + 2])
            start = line.find("<<", end + 2)
    return found


@register("detectable_format:title")
class Title(Checker):
    """Reference: ``<<[^\\n]+>>`` is greedy, so "<< >> and <<>>" is one title (" >> and <<").
    Corrected: each ``<<`` closes at the nearest ``>>``, and some title must be non-blank."""

    def describe(self) -> str:
        return "Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>."

    def check(self, response: str) -> Verdict:
        titles = corrected_titles(response) if self.corrected else reference_titles(response)
        for title in titles:
            if title.lstrip("<").rstrip(">").strip():
                return verdict(True, f"found the title {title[:60]!r}")
        return verdict(False, "no <<title>> found")
