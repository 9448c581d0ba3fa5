"""MulDimIF ``Format_Markdown``: heading levels, block quotes, bold, bullet points.

Reference (evaluation/MulDimIF/eval/Format_Markdown.py): a heading is a line ``#... text``;
the sentence is cut at commas between two word characters and each clause read for one heading
rule; "block quotes", "bold" and "bullet points" add their own checks. A sentence containing
"each" or "any" as a substring ("many", "company") checks every heading on its own, and with no
recognised rule that means "has at least one heading"; without it, no rule passes everything.
Corrected: a sentence with no recognised rule is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..base import Verdict, verdict
from ..errors import ConstraintError
from ..registry import register
from . import _keys
from ._common import MulDimIFChecker, parse_int
from ._scan import has_bold, heading

_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10}
_N = r"(\b(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b)"
_VERBS = (r"include|includes|included|including|use|using|used|uses|formatted|presented|"
          r"organized|structured|feature|should be|incorporate")
_ANY_HEADING_PHRASES = ("include headings", "includes headings", "use heading levels",
                        "using heading levels", "presented under a separate heading",
                        "separated with headings", "with headings")
_USE_BLOCK_QUOTES = ("use block quotes", "using block quotes", "include a block quote",
                     "using markdown block quotes", "employ block quotes",
                     "present the headline as a block quote")


def _number(word: str) -> int | None:
    word = word.strip().lower()
    return parse_int(word) if word.isdigit() else _NUMBERS.get(word)


@dataclass(frozen=True)
class HeadingRule:
    """One heading rule. kinds: required_levels (levels), min_level_count (level; None = any
    level), exact_heading (level, content), level_count (op, count), max_level (level),
    starts_with_level (level), questions_at (levels), only_one_at (level)."""

    kind: str
    level: int | None = None
    levels: frozenset = frozenset()
    content: str = ""
    op: str = ""
    count: int = 0

    def holds(self, headings: list[tuple[int, str]]) -> bool:
        if self.kind == "level_count":
            n = len({lv for lv, _ in headings})
            return {"at least": n >= self.count, "at most": n <= self.count,
                    "exactly": n == self.count}[self.op]
        if not headings:
            return False
        if self.kind == "min_level_count":
            return any(self.level is None or lv == self.level for lv, _ in headings)
        if self.kind == "exact_heading":
            return any(lv == self.level and text == self.content for lv, text in headings)
        if self.kind == "max_level":
            return all(lv <= self.level for lv, _ in headings)
        if self.kind == "starts_with_level":
            return headings[0][0] == self.level
        if self.kind == "required_levels":
            return self.levels <= {lv for lv, _ in headings}
        if self.kind == "questions_at":
            return all(lv in self.levels for lv, text in headings if "?" in text)
        if self.kind == "only_one_at":
            return sum(1 for lv, _ in headings if lv == self.level) == 1
        raise AssertionError(self.kind)

    def __str__(self) -> str:
        return {
            "required_levels": f"headings at levels {sorted(self.levels, key=str)}",
            "min_level_count": "a heading" + ("" if self.level is None
                                              else f" at level {self.level}"),
            "exact_heading": f"a level {self.level} heading {self.content!r}",
            "level_count": f"{self.op} {self.count} heading levels",
            "max_level": f"no heading deeper than level {self.level}",
            "starts_with_level": f"a first heading at level {self.level}",
            "questions_at": f"question headings at level {sorted(self.levels)}",
            "only_one_at": f"exactly one level {self.level} heading",
        }[self.kind]


def _clause_rule(clause: str, whole: str) -> HeadingRule | None | bool:
    """The rule one clause states; None when the clause states none, False when the reference
    stops reading the clause without a rule."""
    low = whole.lower()
    if ("include headings at two levels: main and subheadings" in low
            or "be structured with a main heading and subheadings" in low):
        return HeadingRule("required_levels", levels=frozenset({1, 2}))
    if whole == "Questions must be organized under a level 2 heading.":
        return HeadingRule("questions_at", levels=frozenset({2}))
    if "include a single level 1 heading" in low:
        return HeadingRule("only_one_at", level=1)
    if ("be structured using a minimum of two heading levels" in low
            or "include headings at two levels" in low):
        return HeadingRule("level_count", op="at least", count=2)
    if whole == ("format the response using Markdown, employing '##' for main points and '###' "
                 "for subpoints to clearly organize the information"):
        return HeadingRule("required_levels", levels=frozenset({2, 3}))
    match = re.search(r"(?i)use heading levels " + _N + " and " + _N, clause) or \
        re.search(r"(?i)use heading levels.*?level\s*" + _N + r".*?level\s*" + _N, clause)
    if match:
        one, other = _number(match.group(1)), _number(match.group(2))
        if one is not None and other is not None:
            return HeadingRule("required_levels", levels=frozenset({one, other}))
        return False
    found = re.findall(r"(?i)a heading level " + _N, clause) or \
        re.findall(r"(?i)H(\d+)", clause) or re.findall(r"(?i)Level " + _N + " for", clause)
    if found and ("must include" in clause or "should" in clause):
        return HeadingRule("required_levels", levels=frozenset(_number(m) for m in found))
    if "titled" in clause:
        clause = clause.strip().rstrip(".")
        match = re.search(r"(?i)level " + _N + r" heading titled [\"'](.*?)[\"']", clause) or \
            re.search(r"(?i)(?:a|at least one|two|three|four|five|six|seven|eight|nine|ten|\d+) "
                      r"level " + _N + r" heading with the text [\"'](.*?)[\"']", clause)
        if match:
            level = _number(match.group(1))
            return False if level is None else \
                HeadingRule("exact_heading", level=level, content=match.group(2))
    clause = clause.strip().lower().rstrip(".")
    if re.search(_VERBS, clause, re.I):
        match = re.search(r"(?i)(?:a|at least \d+) heading level " + _N, clause) or \
            re.search(r"(?i)(?:a|at least one|two|three|four|five|six|seven|eight|nine|ten|\d+) "
                      r"level " + _N + " heading", clause) or \
            re.search(r"(?i)must use a heading level of H(\d+)", clause)
        if match:
            level = _number(match.group(1))
            return False if level is None else HeadingRule("min_level_count", level=level)
        match = re.search(r"(?i)(at least|at most|exactly|up to|a maximum of|under) " + _N +
                          " heading levels?", clause) or \
            re.search(r"(?i)(at least|at most|exactly|up to|a maximum of|under) " + _N +
                      " levels?", clause)
        if match:
            op = match.group(1).lower()
            op = "at most" if op in ("up to", "a maximum of", "under") else op
            count = _number(match.group(2))
            return False if count is None else HeadingRule("level_count", op=op, count=count)
    match = re.search(r"(?i)(?:heading levels)? must (?:not exceed|be limited to)\s+(?:level\s+)?"
                      + _N, clause)
    if match:
        level = _number(match.group(1))
        return False if level is None else HeadingRule("max_level", level=level)
    match = re.search(r"(?i)must begin with a level " + _N + " heading", clause)
    if match:
        level = _number(match.group(1))
        return False if level is None else HeadingRule("starts_with_level", level=level)
    match = re.search(r"(?i)use heading level " + _N, clause)
    if match:
        level = _number(match.group(1))
        return False if level is None else HeadingRule("min_level_count", level=level)
    if any(phrase in low for phrase in _ANY_HEADING_PHRASES):
        return HeadingRule("min_level_count", level=None)
    return None


@dataclass(frozen=True)
class BlockQuotes:
    """at_least: that many quoted lines; any: at least one; otherwise every line quoted."""

    at_least: int | None = None
    any: bool = False


@dataclass(frozen=True)
class MarkdownRule:
    rules: tuple[HeadingRule, ...]
    per_heading: bool
    block_quotes: BlockQuotes | None
    bold: bool
    bullets: bool


def _headings(text: str) -> list[tuple[int, str]]:
    return [h for h in map(heading, text.split("\n")) if h is not None]


@register(_keys.PREFIX + _keys.MARKDOWN)
class Markdown(MulDimIFChecker):
    name = _keys.MARKDOWN

    def parse(self, text: str) -> MarkdownRule:
        low = text.lower()
        quotes = None
        if "block quotes" in low:
            if "at least" in low:
                match = re.search(r"(?i)" + _N + " block quotes", text)
                if match is None:
                    raise ConstraintError("'block quotes' and 'at least' without '<N> block "
                                          "quotes': the reference raises on it",
                                          field="constraint")
                quotes = BlockQuotes(at_least=_number(match.group(1)))
            else:
                quotes = BlockQuotes(any=any(p in low for p in _USE_BLOCK_QUOTES))
        rules = []
        for clause in re.split(r"\b(?:,)\b", text):
            rule = _clause_rule(clause, text)
            if rule:
                rules.append(rule)
        parsed = MarkdownRule(tuple(rules), "each" in low or "any" in low, quotes, "bold" in low,
                              "bullet points" in low)
        if not rules and quotes is None and not parsed.bold and not parsed.bullets:
            self.not_understood("no heading, block quote, bold or bullet rule recognised")
        return parsed

    def check(self, response: str) -> Verdict:
        result = self._judge(response)
        rule = self.rule
        if not (rule.rules or rule.block_quotes or rule.bold or rule.bullets):
            # reference only: corrected refused the sentence when built
            return verdict(result.passed, "the reference does not understand this sentence (no "
                           f"Markdown rule recognised), so: {result.explanation}")
        return result

    def _judge(self, response: str) -> Verdict:
        rule = self.rule
        done = []
        if rule.block_quotes is not None:
            lines = response.split("\n")
            quoted = sum(1 for ln in lines if ln.strip().startswith(">"))
            want = rule.block_quotes
            if want.at_least is not None:
                if quoted < want.at_least:
                    return verdict(False, f"found {quoted} block-quote lines, need at least "
                                          f"{want.at_least}")
            elif want.any:
                if quoted == 0:
                    return verdict(False, "found no block-quote line (starting with '>')")
            elif quoted != len(lines):
                return verdict(False, f"{len(lines) - quoted} of {len(lines)} lines are not "
                                      "block quotes (blank lines included)")
            done.append(f"{quoted} block-quote lines")
        if rule.bold:
            if not has_bold(response):
                return verdict(False, "found no bold text (**...** or __...__ on one line)")
            done.append("bold text")
        if rule.bullets:
            if not any(re.search(r"^\s*[-\*\+]\s", ln) for ln in response.split("\n")):
                return verdict(False, "found no bullet point (a line starting with -, * or +)")
            done.append("bullet points")
        headings = _headings(response)
        if rule.per_heading:
            if not headings:
                return verdict(False, "found no heading")
            wanted = rule.rules or (HeadingRule("min_level_count"),)
            for level, text in headings:
                for r in rule.rules:
                    if not r.holds([(level, text)]):
                        return verdict(False, f"the heading {text[:60]!r} (level {level}) "
                                              f"breaks: {r}")
            done.append(f"each of {len(headings)} headings meets: "
                        + "; ".join(map(str, wanted)))
        else:
            for r in rule.rules:
                if not r.holds(headings):
                    return verdict(False, f"need {r}; found heading levels "
                                          f"{[lv for lv, _ in headings]}")
            done.extend(map(str, rule.rules))
        return verdict(True, "found " + "; ".join(done) if done else "nothing to check")
