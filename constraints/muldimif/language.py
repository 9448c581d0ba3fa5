"""MulDimIF ``Language``: English letter case, and Simplified / Traditional Chinese.

English (evaluation/MulDimIF/eval/Language_English.py): the case asked (all uppercase, title
case, all lowercase, short blurb) is read from fixed phrasings; "table"/"json"/"heading(s)" in
the sentence narrows the checked text to the table cells, JSON keys or values, or headings.
Title case means no whitespace-separated token starts with a-z; all caps means
``text == text.upper()``. A blank answer fails; a sentence with no recognised case fails every
answer (corrected: an error).

Chinese (evaluation/MulDimIF/eval/Language_Chinese.py): the first matching phrasing decides
between "has a simplified character" (one that zhconv's zh-tw conversion changes), "has a
traditional character" (changed by zh-cn), "entirely traditional/simplified" (no ASCII letter
and unchanged by the conversion to that script) and a quoted phrase. Conversions use zhconv
1.4.3, as the reference does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..base import Verdict, verdict
from ..registry import register
from . import _keys
from ._common import MulDimIFChecker, fixed

# --- English -------------------------------------------------------------------------------------


def english_case(sentence: str) -> str | None:
    c = sentence.strip().lower()
    if (re.search(r"\ball[- ]?uppercase\b", c) or "in all uppercase letters" in c
            or "be provided in all uppercase letters" in c or "in capitalized form" in c
            or c == "all uppercase"):
        return "uppercase"
    if ("capitalize the first letter of each word" in c or "capitalized letters for each word" in c
            or "have each word capitalized" in c or "each word must be capitalized" in c
            or "each word in" in c or ("a capital letter" in c and "each" in c)
            or re.search(r"\bcapitalized\b", c) or ("capitalize" in c and "each" in c)
            or ("capitalized" in c and "each" in c) or ("capital" in c and "each" in c)):
        return "title"
    if "must be in lowercase" in c or "all lowercase" in c or re.search(r"\blowercase\b", c):
        return "lowercase"
    if "written as a short blurb" in c:
        return "blurb"
    return None


def english_scope(sentence: str) -> tuple[str | None, str | None]:
    """(format, part) of the answer the case applies to; (None, None) for the whole answer."""
    c = sentence.strip().lower()
    if "headings" in c and "table" in c:
        return "mixed", "all"
    if "table" in c:
        if "headers" in c or "header" in c:
            return "table", "headers"
        if "entries" in c:
            return "table", "entries"
        if "content" in c:
            return "table", "content"
        if "headings" in c:
            return "table", "headers"
        return "table", "all"
    if "json" in c:
        if "keys" in c:
            return "json", "keys"
        if "values" in c:
            return "json", "values"
        return "json", "all"
    if "heading" in c:
        return "heading", "all"
    return None, None


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.split("|") if cell.strip()]


def _table_text(text: str, part: str = "all") -> str:
    if "|" not in text:
        return text
    rows = [row.strip() for row in text.split("\n") if row.strip()]
    if part == "headers":
        return " ".join(_cells(rows[0]))
    if part == "entries":
        return " ".join(c for row in rows[1:] for c in _cells(row)) if len(rows) > 1 else text
    return " ".join(c for row in rows for c in _cells(row))


def _json_text(text: str, part: str) -> str:
    if "{" not in text or "}" not in text:
        return text
    if part == "keys":
        found = re.findall(r'"([^"]+)"\s*:', text)
    elif part == "values":
        found = re.findall(r':\s*"([^"]+)"', text)
    else:
        found = []
    return " ".join(found) if found else text


def heading_lines(text: str) -> list[str]:
    """``re.findall(r'^#+\\s*(.+)$', text, re.M)`` without its backtracking.

    On a line starting with ``#``, the white space after the ``#``s may run on over the next
    lines: the heading is the rest of the line where visible text starts. When only white space
    follows to the end of the text, ``.+`` takes back its last character that is not a newline,
    or else the last ``#`` (of two or more).
    """
    found = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("#"):
            i += 1
            continue
        rest = line.lstrip("#")
        if rest.strip():
            found.append(rest.lstrip())
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j < len(lines):
            found.append(lines[j].lstrip())
            i = j + 1
            continue
        tail = rest + "".join(lines[i + 1:])
        if tail:
            found.append(tail[-1])
        elif len(line) >= 2:
            found.append("#")
        break
    return found


def _heading_text(text: str) -> str:
    found = heading_lines(text)
    return " ".join(found) if found else text


def _scoped(text: str, scope: tuple[str | None, str | None]) -> str:
    kind, part = scope
    if kind == "mixed":
        return _table_text(text) or _heading_text(text) or text
    if kind == "table":
        return _table_text(text, part)
    if kind == "json":
        return _json_text(text, part)
    if kind == "heading":
        return _heading_text(text)
    return text


@dataclass(frozen=True)
class EnglishRule:
    case: str | None
    scope: tuple[str | None, str | None]


_CASE_NAMES = {"uppercase": "all uppercase", "title": "title case (no word starting with a-z)",
               "lowercase": "all lowercase", "blurb": "a short blurb"}


@register(_keys.PREFIX + _keys.ENGLISH)
class English(MulDimIFChecker):
    name = _keys.ENGLISH

    def parse(self, text: str) -> EnglishRule:
        case = english_case(text)
        if case is None:
            self.not_understood("no letter case recognised")
        return EnglishRule(case, english_scope(text))

    def check(self, response: str) -> Verdict:
        if not response.strip():
            return verdict(False, "the answer is blank")
        rule = self.rule
        if rule.case is None:
            return fixed(False, "no letter case recognised")
        text = _scoped(response, rule.scope)
        where = "the answer" if rule.scope[0] is None else f"the {rule.scope[0]} text"
        want = _CASE_NAMES[rule.case]
        if rule.case == "uppercase":
            ok = text == text.upper()
        elif rule.case == "lowercase":
            ok = text == text.lower()
        elif rule.case == "title":
            bad = next((w for w in text.split() if "a" <= w[0] <= "z"), None)
            if bad is not None:
                return verdict(False, f"the word {bad[:40]!r} in {where} starts lowercase; "
                                      f"need {want}")
            ok = True
        else:
            ok = True
        return verdict(ok, f"{where} is {'' if ok else 'not '}{want}")


# --- Chinese -------------------------------------------------------------------------------------

_CHINESE_RULES = (
    (re.compile(r'Must include the phrase "{1,2}(.+?)"{1,2}', re.I), "phrase"),
    (re.compile(r'Must write the name "Shen Lim" in Simplified Chinese', re.I), "shen_lim"),
    (re.compile(r"Must (?:use|convert into|be converted into) Traditional Chinese characters",
                re.I), "all_traditional"),
    (re.compile(r"include .*?Traditional Chinese characters", re.I), "has_traditional"),
    (re.compile(r"use .*?Traditional Chinese characters", re.I), "has_traditional"),
    (re.compile(r"使用繁體中文", re.I), "has_traditional"),
    (re.compile(r"(The answer must ){0,1}include some content in Simplified Chinese", re.I),
     "has_simplified"),
    (re.compile(r"Use Simplified Chinese characters", re.I), "has_simplified"),
    (re.compile(r"(?:must be|must use|must write|must be presented|answer must be|essential|is|"
                r"should be|必须|请|需要) {0,1}(?:in|provided in|written in|to use|conducted in|用|"
                r"使用|提供|书写|翻译为|将文本翻译为) {0,1}(?:Simplified Chinese|简体中文)", re.I),
     "has_simplified"),
    (re.compile(r"用中文简体描述", re.I), "has_simplified"),
    (re.compile(r"Names must be in Simplified Chinese", re.I), "has_simplified"),
    (re.compile(r"Must translate the text into Simplified Chinese", re.I), "all_simplified"),
    (re.compile(r"Simplified", re.I), "has_simplified"),
)


@lru_cache(maxsize=8192)
def _converted(char: str, locale: str) -> str:
    from zhconv import convert  # loads its tables (about 0.2 s) on first use

    return convert(char, locale)


def _convert(text: str, locale: str) -> str:
    from zhconv import convert

    return convert(text, locale)


def _changed_char(text: str, locale: str) -> str | None:
    """The first character that zhconv's conversion to ``locale`` changes, on its own."""
    for char in dict.fromkeys(text):
        if _converted(char, locale) != char:
            return char
    return None


@dataclass(frozen=True)
class ChineseRule:
    kind: str | None
    phrase: str = ""


@register(_keys.PREFIX + _keys.CHINESE)
class Chinese(MulDimIFChecker):
    name = _keys.CHINESE

    def parse(self, text: str) -> ChineseRule:
        for pattern, kind in _CHINESE_RULES:
            match = pattern.search(text)
            if match:
                return ChineseRule(kind, match.group(1) if kind == "phrase" else "")
        self.not_understood("no Simplified/Traditional Chinese phrasing recognised")
        return ChineseRule(None)

    def check(self, response: str) -> Verdict:
        kind = self.rule.kind
        if kind is None:
            return fixed(False, "no Chinese script rule recognised")
        if kind == "phrase":
            ok = self.rule.phrase in response
            return verdict(ok, f"the phrase {self.rule.phrase!r} is {'' if ok else 'not '}there")
        if kind == "shen_lim":
            ok = "沈林" in response
            return verdict(ok, f"'沈林' is {'' if ok else 'not '}there")
        if kind in ("has_traditional", "has_simplified"):
            locale, script = ("zh-cn", "traditional") if kind == "has_traditional" else \
                ("zh-tw", "simplified")
            char = _changed_char(response, locale)
            if char is None:
                return verdict(False, f"found no {script} Chinese character")
            return verdict(True, f"found the {script} character {char!r}")
        locale, script = ("zh-tw", "traditional") if kind == "all_traditional" else \
            ("zh-cn", "simplified")
        if re.search(r"[A-Za-z]", response):
            return verdict(False, f"need {script} Chinese only; found a Latin letter")
        ok = _convert(response, locale) == response
        return verdict(ok, f"the answer is {'' if ok else 'not '}entirely {script} Chinese "
                           f"(unchanged by zhconv {locale})")
