"""MulDimIF ``Content_Punctuation``: the punctuation that ends the answer or each of its units.

Reference (evaluation/MulDimIF/eval/Content_Punctuation.py): only the last character of each unit
counts. Units: the whole answer; every non-blank line when the sentence says "paragraph" or
"section"; NLTK (Punkt) sentences when it contains "each", "any" or "all" anywhere, even inside
a word ("Finally", "Additionally", "many"); every table cell after the first two lines for
"table"/"cell"; for "bullet point", the Punkt sentences of each ``-``/``*``/``•`` line.
Corrected: "each", "any" and "all" count only as words.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from ..base import Verdict, verdict
from ..registry import register
from ..text import sentences as punkt_sentences
from . import _keys
from ._common import MulDimIFChecker

_MARKS = {"period": ".", "question mark": "?", "exclamation mark": "!", "semicolon": ";"}
_NEGATIVE = re.compile(r"\b(must not|avoid|exclude|not end with|do not use)\b", re.I)
_FOLLOWED = re.compile(r"(period|question mark|exclamation mark|semicolon)\s+followed by a "
                       r"`([^`]+)`", re.I)
_NAMES = re.compile(r"\b(periods?|question marks?|exclamation marks?|semicolons?|"
                    r"punctuation marks?)\b")
_BULLET_LINE = re.compile(r"^[\-\*\•]\s.*$", re.M)
_EVERY_WORD = re.compile(r"\b(?:each|any|all)\b")


@dataclass(frozen=True)
class PunctuationRule:
    unit: str                      # answer / lines / sentences / cells / bullets
    negative: bool
    allowed: tuple[str, ...]       # the marks that may (or, negative, may not) end a unit
    ending: str | None = None      # "period followed by a `~`": the exact ending
    bullet_mark: str | None = None  # bullets: the required mark (None: any punctuation)

    def describe_marks(self) -> str:
        if self.ending is not None:
            return repr(self.ending)
        return " ".join(self.allowed) if len(self.allowed) < 10 else "a punctuation mark"


def parse_punctuation(sentence: str, corrected: bool) -> PunctuationRule:
    c = sentence.strip().lower().rstrip(".")
    if "bullet point" in c:
        mark = next((v for k, v in _MARKS.items() if k in c), None)
        return PunctuationRule("bullets", False, (), bullet_mark=mark)
    if "table" in c or "cell" in c:
        unit = "cells"
    elif "paragraph" in c or "section" in c:
        unit = "lines"
    elif (_EVERY_WORD.search(c) if corrected else ("each" in c or "any" in c or "all" in c)):
        unit = "sentences"
    else:
        unit = "answer"
    negative = _NEGATIVE.search(c) is not None
    followed = _FOLLOWED.search(c)
    if followed:
        ending = _MARKS.get(followed.group(1).lower(), "") + followed.group(2)
        return PunctuationRule(unit, negative, (), ending=ending)
    names = [n.rstrip("s") for n in _NAMES.findall(c)]
    if any("punctuation mark" in n for n in names):
        allowed = tuple(string.punctuation)
    else:
        allowed = tuple(_MARKS[n] for n in names if n in _MARKS)
    return PunctuationRule(unit, negative, allowed)


def _units(rule: PunctuationRule, answer: str) -> list[str]:
    if rule.unit == "cells":
        rows = answer.split("\n")
        if len(rows) > 1:
            rows = rows[2:]
        cells = [cell.strip() for row in rows for cell in row.strip("|").split("|")]
        return [cell for cell in cells if cell and cell.strip("-")]
    if rule.unit == "lines":
        return [line.strip() for line in answer.split("\n") if line.strip()]
    if rule.unit == "sentences":
        return list(punkt_sentences(answer))
    return [answer]


@register(_keys.PREFIX + _keys.PUNCTUATION)
class Punctuation(MulDimIFChecker):
    name = _keys.PUNCTUATION

    def parse(self, text: str) -> PunctuationRule:
        rule = parse_punctuation(text, self.corrected)
        if rule.unit != "bullets" and rule.ending is None and not rule.allowed:
            self.not_understood("no punctuation mark named")
        return rule

    def check(self, response: str) -> Verdict:
        rule = self.rule
        answer = response.strip()
        if rule.unit == "bullets":
            return self._bullets(answer)
        units = _units(rule, answer)
        if any(not unit for unit in units):  # only an empty answer gives an empty unit
            return verdict(rule.negative, "the answer is empty")
        if rule.ending is not None:
            for unit in units:
                if not unit.endswith(rule.ending):
                    return verdict(False, f"{_shown(unit)} does not end with {rule.ending!r}")
            what = "the answer ends" if rule.unit == "answer" else \
                f"all {len(units)} {rule.unit} end"
            return verdict(True, f"{what} with {rule.ending!r}")
        for unit in units:
            if (unit[-1] in rule.allowed) == rule.negative:
                return verdict(False, f"{_shown(unit)} ends with {unit[-1]!r}; need "
                                      f"{'none of' if rule.negative else 'one of'} "
                                      f"{rule.describe_marks()}")
        what = "the answer ends" if rule.unit == "answer" else \
            f"all {len(units)} {rule.unit} end"
        return verdict(True, f"{what} with {'none of' if rule.negative else 'one of'} "
                             f"{rule.describe_marks()}")

    def _bullets(self, answer: str) -> Verdict:
        mark = self.rule.bullet_mark
        points = _BULLET_LINE.findall(answer)
        for point in points:
            for sentence in punkt_sentences(point):
                ok = sentence.strip().endswith(mark) if mark else \
                    sentence.strip()[-1] in string.punctuation
                if not ok:
                    return verdict(False, f"the bullet point sentence {_shown(sentence)} does "
                                          f"not end with {mark or 'a punctuation mark'}")
        return verdict(True, f"all {len(points)} bullet points end with "
                             f"{mark or 'a punctuation mark'}")


def _shown(unit: str) -> str:
    return repr(unit if len(unit) <= 60 else "..." + unit[-57:])
