"""IFEval ``detectable_content:*``.

Reference behaviour reproduced: a placeholder is ``[...]`` on one line (``\\[.*?\\]``), even
``[]`` or a markdown link's ``[text](url)`` (corrected: neither counts); the
postscript marker is searched *anywhere* in the lowercased response (``\\s*p\\.\\s?s\\..*$``), so a
"P.S." in the first line passes "add a postscript at the end".
Corrected: the marker must begin a line (after optional markdown such as ``**``), and nothing but
further postscripts (P.S., P.P.S, ...) may follow its paragraph.
"""

from __future__ import annotations

import re

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._common import Count, SlowPattern, Text, user_regex


class PlaceholderParams(Params):
    num_placeholders: Count


def count_placeholders(text: str, corrected: bool = False) -> int:
    """``len(re.findall(r"\\[.*?\\]", text))`` in linear time.

    The regex pairs each ``[`` with the first ``]`` after it on the same line; after a ``[``
    without a ``]`` on its line, no later ``[`` of that line can match either. (The regex itself is
    quadratic on a long line of ``[``.) ``corrected`` skips blank ``[]`` and markdown links.
    """
    count = 0
    for line in text.split("\n"):
        start = line.find("[")
        while start >= 0:
            end = line.find("]", start + 1)
            if end < 0:
                break
            # Corrected: "[]" / "[ ]" name nothing, and "[text](url)" is a markdown link.
            if not corrected or (line[start + 1:end].strip() and line[end + 1:end + 2] != "("):
                count += 1
            start = line.find("[", end + 1)
    return count


@register("detectable_content:number_placeholders")
class NumberPlaceholders(Checker):
    Params = PlaceholderParams

    def describe(self) -> str:
        return (f"The response must contain at least {self.params.num_placeholders} placeholders "
                "represented by square brackets, such as [address].")

    def check(self, response: str) -> Verdict:
        n = count_placeholders(response, corrected=self.corrected)
        want = self.params.num_placeholders
        return verdict(n >= want, f"found {n} [placeholder](s), need at least {want}")


class PostscriptParams(Params):
    postscript_marker: Text


# The reference's patterns without their "\s*" head and ".*$" tail: both always match (possibly
# empty), so a match exists exactly when the core matches, and the core alone is linear where the
# full pattern is quadratic on long whitespace runs.
_REFERENCE_CORE = {"P.P.S": r"p\.\s?p\.\s?s", "P.S.": r"p\.\s?s\."}
_ANY_MARKER_LINE = re.compile(r"^[ \t*_#>]*p\.\s?(?:p\.\s?)*s", re.IGNORECASE)


def _marker_regex(marker: str) -> str:
    """A literal marker where a space may follow each dot ("P.S." also matches "P. S.")."""
    return r"\.\s?".join(re.escape(part) for part in marker.split("."))


@register("detectable_content:postscript")
class Postscript(Checker):
    Params = PostscriptParams

    def _marker(self) -> str:
        return self.params.postscript_marker.strip()

    def describe(self) -> str:
        return ("At the end of your response, please explicitly add a postscript starting with "
                f"{self._marker()}")

    def check(self, response: str) -> Verdict:
        if self.corrected:
            return self._check_corrected(response)
        marker = self._marker()
        text = response.lower()
        if marker in _REFERENCE_CORE:
            pattern = re.compile(_REFERENCE_CORE[marker])
        else:
            # The reference's "\s*" head and ".*$" tail (multiline) change no verdict: "\s*"
            # may match nothing and ".*$" always matches, so "\s*" + marker + ".*$" matches
            # exactly where the marker does. Without them a marker that cannot backtrack is
            # searched in linear time, where the full pattern is quadratic on long runs of white
            # space; one that can runs under the time bound of user patterns.
            pattern = user_regex(marker.lower(), re.MULTILINE)[0]
        try:
            found = pattern.search(text)
        except SlowPattern as slow:
            return slow.verdict("postscript marker")
        if found:
            return verdict(True, f"found the postscript marker {marker!r} "
                                 f"at character {found.start()}")
        return verdict(False, f"no postscript marker {marker!r} found")

    def _check_corrected(self, response: str) -> Verdict:
        marker = self._marker()
        line_start = re.compile(r"^[ \t*_#>]*" + _marker_regex(marker), re.IGNORECASE | re.MULTILINE)
        last = None
        for last in line_start.finditer(response):
            pass
        if last is None:
            return verdict(False, f"no line starts with the postscript marker {marker!r}")
        # Paragraphs after the postscript's own paragraph must be postscripts too (P.P.S ...).
        later = [p for p in response[last.start():].split("\n\n")[1:] if p.strip()]
        for paragraph in later:
            if not _ANY_MARKER_LINE.match(paragraph.lstrip("\n")):
                return verdict(False, f"the postscript {marker!r} is followed by other text "
                                      f"({paragraph.strip()[:40]!r}), need it at the end")
        return verdict(True, f"the response ends with a postscript starting with {marker!r}")
