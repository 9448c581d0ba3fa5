"""MulDimIF ``Content_Keywords``: quoted keywords to include or avoid, in the whole answer or in
each of its elements (JSON values, a table column, list items, sections).

Reference (evaluation/MulDimIF/eval/Content_Keywords.py): keywords are the quoted strings of the
sentence, ``[\"'「“]([^\"']+)[\"'」”]`` (so the apostrophe of "children's" ends a keyword), matched
as ``(?<!\\w)keyword(?!\\w)``, case-insensitive unless the keyword has a CJK ideograph. A sentence
with "each"/"every" is judged per element, and fails every response when its each-phrasing
("each X must ...") is not there.
Corrected: a quote that sits between two letters is an apostrophe, not the end of the keyword;
sentences the parser does not understand are errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..base import Verdict, verdict
from ..errors import ConstraintError
from ..registry import register
from . import _keys
from ._common import MulDimIFChecker, fixed, parse_int
from ._scan import has_table_line


@dataclass(frozen=True)
class Keyword:
    """A keyword and how the reference finds it: whole-word, case-insensitive, except a keyword
    with a CJK ideograph, which is a case-sensitive substring."""

    text: str
    pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if any("\u4e00" <= c <= "\u9fff" for c in self.text):
            compiled = re.compile(re.escape(self.text))
        else:
            compiled = re.compile(r"(?<!\w)" + re.escape(self.text) + r"(?!\w)", re.IGNORECASE)
        object.__setattr__(self, "pattern", compiled)

    def count(self, text: str) -> int:
        return len(self.pattern.findall(text))

    def found(self, text: str) -> bool:
        return self.pattern.search(text) is not None


# The reference's quoted-keyword pattern, and ours: an opening single quote not preceded by a
# letter, a closing one not followed by one (so "children's health" stays whole).
_QUOTED = re.compile(r"[\"'「“]([^\"']+)[\"'」”]")
_QUOTED_CORRECTED = re.compile(r"(?<!\w)'(.+?)'(?!\w)|\"([^\"]+)\"|“([^”\"]+)[”\"]|「([^」]+)」")
_DOUBLED = re.compile(r'["”]{2}([^"“]+)["“]{2}')


def quoted(text: str, corrected: bool) -> list[str]:
    """The quoted strings of a constraint sentence (the reference's ``""x""`` form first)."""
    if _DOUBLED.search(text):
        return [m.group(1) for m in _DOUBLED.finditer(text)]
    if corrected:
        return [next(g for g in m.groups() if g is not None)
                for m in _QUOTED_CORRECTED.finditer(text)]
    return [m.group(1) for m in _QUOTED.finditer(text)]


_SMALL_NUMBERS = {"once": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                  "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twice": 2}


def _small_number(word: str) -> int | None:
    """The reference's ``_parse_number``: digits (commas dropped) or a sum of number words."""
    word = word.strip().replace(",", "")
    if word.isdigit():
        return parse_int(word)
    total = 0
    for part in re.split(r"[\s-]+", word.strip().lower()):
        if part not in _SMALL_NUMBERS:
            return None
        total += _SMALL_NUMBERS[part]
    return total


@dataclass(frozen=True)
class Rule:
    """What a keyword sentence (or the condition of an each-sentence) asks of a text."""

    keywords: tuple[Keyword, ...] = ()
    min_count: int = 1
    exclude: bool = False
    any_of: bool = False
    end_with_period: bool = False
    capitalized: bool = False
    min_words: int = 0
    max_words: float = float("inf")

    @property
    def asks_nothing(self) -> bool:
        return (not self.keywords and not self.end_with_period and not self.capitalized
                and self.min_words == 0 and self.max_words == float("inf"))

    def judge(self, text: str) -> tuple[bool, str]:
        if self.capitalized:
            for word in text.split():
                if not word[0].isupper():
                    return False, f"the word {word!r} does not start with a capital letter"
        if self.end_with_period and not text.strip().endswith("."):
            return False, "it does not end with a period"
        n = len(text.split())
        if n < self.min_words:
            return False, f"it has {n} words, need at least {self.min_words}"
        if n > self.max_words:
            return False, f"it has {n} words, need at most {self.max_words}"
        if self.exclude:
            for kw in self.keywords:
                if kw.found(text):
                    return False, f"it contains the avoided keyword {kw.text!r}"
            return True, "it avoids " + _names(self.keywords)
        counts = [(kw, kw.count(text)) for kw in self.keywords]
        shown = ", ".join(f"{kw.text!r} {c} time(s)" for kw, c in counts) or "no keywords"
        need = f"need each at least {self.min_count} time(s)" if not self.any_of else \
            f"need one of them at least {self.min_count} time(s)"
        if self.any_of:
            return any(c >= self.min_count for _, c in counts), f"found {shown}, {need}"
        return all(c >= self.min_count for _, c in counts), f"found {shown}, {need}"


def _names(keywords) -> str:
    return ", ".join(repr(kw.text) for kw in keywords) or "no keywords"


def parse_rule(sentence: str, corrected: bool) -> Rule:
    """The reference's ``_parse_constraint``."""
    s = sentence.strip()
    while True:
        unquoted = re.sub(r'^"+(.*[^"])"+$', r"\1", s)
        if unquoted == s:
            break
        s = unquoted
    end_with_period = bool(re.search(r"must\s+end\s+with\s+(a\s+)?period", s, re.I))
    capitalized = bool(re.search(r"must\s+use\s+capitalized\s+letters\s+for\s+each\s+word", s,
                                 re.I))
    min_words, max_words = 0, float("inf")
    at_least = re.search(r"(?:at\s+least|minimum\s+of)\s+(\S+)\s+word", s, re.I)
    if at_least:
        min_words = _word_bound(at_least.group(1))
    at_most = re.search(r"(?:not\s+exceed|at\s+most|no\s+more\s+than|maximum\s+of)\s+(\S+)\s+word",
                        s, re.I)
    if at_most:
        max_words = _word_bound(at_most.group(1))
    if re.search(r"is\s+a\s+single\s+word", s, re.I):
        min_words = max_words = 1
    common = dict(end_with_period=end_with_period, capitalized=capitalized,
                  min_words=min_words, max_words=max_words)
    if re.search(r"(avoid\s+using\s+(the\s+)?term|must\s+be\s+avoided)", s, re.I):
        avoided = quoted(s, corrected)[:1] if corrected else \
            [m.group(1) for m in [re.search(r"[\"']([^\"']+)[\"']", s)] if m]
        if avoided:
            return Rule(keywords=(Keyword(avoided[0]),), exclude=True, **common)
        return Rule(**common)
    min_count = 1
    times = re.search(r"at least (\d+|one|two|three|four|five|six|seven|eight|nine|ten|once|"
                      r"twice)(?:\s+times?)?\b(?!\s+words\s+long)", s, re.I)
    if times:
        word = times.group(1).lower()
        min_count = int(word) if word.isdigit() else _SMALL_NUMBERS.get(word, 1)
    if re.search(r"must appear multiple times", s, re.I):
        min_count = 2
    return Rule(keywords=tuple(Keyword(k) for k in quoted(s, corrected)), min_count=min_count,
                any_of=bool(re.search(r"\bOR\b", s, re.I)), **common)


def _word_bound(word: str) -> int:
    n = _small_number(word)
    if n is None:  # the reference compares the word count with None: TypeError
        raise ConstraintError(f"the reference cannot read the word count {word!r} (it raises)",
                              field="constraint")
    return n


# --- per-element ("each"/"every") sentences ------------------------------------------------------

_EACH = re.compile(r"\b(each|every)\s+(.+?)\s+(must|should|needs to|has to)\s+(.*)", re.I)
_BULLET = re.compile(r"^\s*[-*] ")
_JSON_START = re.compile(r"^\s*[{\[]")
_NUMBERED = re.compile(r"^\s*\d+\.\s+")


def answer_format(text: str) -> str:
    """The reference's ``detect_format``: JSON, bullets and numbers only at the very start."""
    if _JSON_START.search(text):
        return "json"
    if has_table_line(text):
        return "table"
    if _NUMBERED.search(text):
        return "numbered"
    if _BULLET.search(text):
        return "bullet"
    return "plain"


def _separator(line: str) -> bool:
    line = line.strip()
    return len(line) >= 3 and line[0] in "-*=" and line == line[0] * len(line)


def _clean_cell(cell: str) -> str:
    return re.sub(r"^#+\s*", "", cell).strip()


def _normal(word: str) -> str:
    return re.sub(r"\W", "", word).lower()


def _table_column(text: str, target: str) -> list[str]:
    """The cells of the column whose header best matches the target's words (else the column
    with the most words per cell); rows of another width are left out."""
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln.startswith("|") and ln.endswith("|")]
    if len(lines) < 3:
        return []
    headers = [h.strip() for h in lines[0].split("|")[1:-1]]
    if not headers:
        return []
    rows = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) == len(headers):
            rows.append(dict(zip(headers, cells)))
    if not rows:
        return []
    wanted = {_normal(w) for w in target.split() if _normal(w)}
    best, most = None, -1
    for header in headers:
        hits = sum(1 for w in header.split() if _normal(w) and _normal(w) in wanted)
        if hits > most:
            best, most = header, hits
    if most > 0:
        return [_clean_cell(row[best]) for row in rows if best in row]
    averages = {}
    for header in headers:
        cells = [row[header] for row in rows if header in row]
        if cells:
            averages[header] = sum(len(_clean_cell(c).split()) for c in cells) / len(cells)
    if not averages:
        return []
    widest = max(averages, key=averages.get)
    return [_clean_cell(row[widest]) for row in rows if widest in row]


def _elements(text: str, target: str) -> list[str] | None:
    kind = answer_format(text)
    if kind == "table":
        return _table_column(text, target)
    if kind == "json":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: the reference would crash
            return []
        if isinstance(data, dict):
            return [str(v) for v in data.values()]
        if isinstance(data, list):
            return [str(v) for v in data]
        return None
    if kind == "numbered":
        return [ln.split(".", 1)[1].strip() for ln in text.split("\n") if _NUMBERED.match(ln)]
    if kind == "bullet":
        return [ln.split(" ", 1)[1].strip() for ln in text.split("\n") if _BULLET.match(ln)]
    sections, current = [], []
    for line in text.split("\n"):
        if _separator(line):
            if current:
                sections.append("\n".join(current).strip())
                current = []
        else:
            current.append(line)
    if current:
        sections.append("\n".join(current).strip())
    return sections or [text]


@dataclass(frozen=True)
class Each:
    target: str
    rule: Rule


@dataclass(frozen=True)
class IncludeAvoid:
    include: str
    avoid: str


@dataclass(frozen=True)
class IfDiscussing:
    conditions: tuple[tuple[str, str], ...]


def _topic_found(topic: str, text: str) -> bool:
    if "/" not in topic:
        return topic in text
    m = re.match(r"^(.*\s)(\S+)\/(\S+)(\s.*)$", topic)
    if m:
        prefix, one, other, suffix = m.groups()
        return prefix + one + suffix in text or prefix + other + suffix in text
    return any(part.strip() in text for part in topic.split("/"))


@register(_keys.PREFIX + _keys.KEYWORDS)
class Keywords(MulDimIFChecker):
    name = _keys.KEYWORDS

    def parse(self, text: str):
        if re.search(r"\b(each|every)\b", text, re.I) and "for each word" not in text:
            match = _EACH.search(text)
            if not match:
                self.not_understood("it says each/every but not 'each X must/should ...'")
                return None
            rule = parse_rule(match.group(4), self.corrected)
            if self.corrected and rule.asks_nothing:
                self.not_understood("no quoted keyword or other requirement per element")
            return Each(match.group(2).lower(), rule)
        include = re.search(r"includes?\s+the\s+keyword\s+[\"']([^\"']+)[\"']", text, re.I)
        avoid = re.search(r"avoids?\s+the\s+keyword\s+[\"']([^\"']+)[\"']", text, re.I)
        if include and avoid:
            return IncludeAvoid(include.group(1), avoid.group(1))
        conditions = re.findall(r"If discussing\s+([^,]+),\s*the summary must include the keyword"
                                r"\s+[\"']([^\"']+)[\"']", text, re.I)
        if conditions:
            return IfDiscussing(tuple(conditions))
        rule = parse_rule(text, self.corrected)
        if rule.asks_nothing:
            self.not_understood("no quoted keyword")
        return rule

    def check(self, response: str) -> Verdict:
        rule = self.rule
        if rule is None:
            return fixed(False, "each/every without 'each X must ...'")
        if isinstance(rule, IncludeAvoid):
            ok = rule.include in response and rule.avoid not in response
            return verdict(ok, f"{rule.include!r} {'found' if rule.include in response else 'missing'}"
                               f", {rule.avoid!r} {'found' if rule.avoid in response else 'absent'}"
                               "; need the first and not the second")
        if isinstance(rule, IfDiscussing):
            for topic, keyword in rule.conditions:
                if _topic_found(topic, response) and keyword not in response:
                    return verdict(False, f"discusses {topic!r} without the keyword {keyword!r}")
            return verdict(True, "every discussed topic has its keyword")
        if isinstance(rule, Each):
            elements = _elements(response, rule.target)
            if not elements:
                return verdict(False, f"found no elements ({rule.target}) to check")
            for i, element in enumerate(elements, 1):
                ok, why = rule.rule.judge(element)
                if not ok:
                    return verdict(False, f"element {i} of {len(elements)}: {why}")
            return verdict(True, f"all {len(elements)} elements pass")
        if rule.asks_nothing:  # reference only: corrected refused it when built
            return fixed(not rule.any_of, "no quoted keyword")
        ok, why = rule.judge(response)
        return verdict(ok, why)
