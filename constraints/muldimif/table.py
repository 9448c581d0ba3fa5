"""MulDimIF ``Format_Table``: rows, columns, column names and contents of a Markdown table.

Reference (evaluation/MulDimIF/eval/Format_Table.py): the table is everything from the first
``|`` of the answer to its last; its rows are its non-blank lines minus the header (and minus the
second line when it holds ``---``), its columns ``len(first_line.split('|')) - 2``. An answer
without ``|`` passes when the sentence does not mention "table" or makes the table optional.
Column names and content requirements are read from fixed phrasings (some of them misread: a
column list is split at every "a", "n" and "d" character); they are reproduced as they are.
Corrected: a sentence with no recognised rule is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..base import Verdict, verdict
from ..registry import register
from . import _keys
from ._common import MulDimIFChecker
from ._scan import pipe_span

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100,
}
_N = r"(\d+|\b(?:" + "|".join(_NUMBERS) + r")\b)"


def _limits(noun: str, extra: tuple) -> tuple:
    return (
        (rf"exactly\s+{_N}\s+{noun}s?", "exact"),
        (rf"no\s+more\s+than\s+{_N}\s+{noun}s?", "max"),
        (rf"not\s+have\s+more\s+than\s+{_N}\s+{noun}s?", "max"),
        (rf"must\s+not\s+exceed\s+{_N}\s+{noun}s?", "max"),
        (rf"not\s+exceed\s+{_N}\s+{noun}s?", "max"),
        (rf"not\s+exceeding\s+{_N}\s+{noun}s?", "max"),
        (rf"should\s+not\s+exceed\s+{_N}\s+{noun}s?", "max"),
        (rf"{noun}\s+limit\s+of\s+{_N}", "max"),
    ) + extra


_ROW_PATTERNS = _limits("row", (
    (rf"{_N}\s+rows?\s+must\s+be\s+included", "exact"),
    (rf"exactly\s+.+and {_N}\s+rows?", "exact"),
    (rf"not exceed\s+.+and {_N}\s+rows?", "max"),
    (rf"a maximum of\s+{_N}\s+rows", "max"),
    (rf"limited to a maximum of\s+{_N}\s+rows", "max"),
    (rf"limited to\s+{_N}\s+rows", "max"),
    (rf"a row limit of\s+{_N}", "max"),
    (rf"a maximum of\s+.+and {_N}\s+rows?", "max"),
    (rf"limit the number of rows to\s+{_N}", "max"),
    (rf"limit it to\s+{_N}\s+rows", "max"),
    (rf"limit the table to\s+{_N}\s+rows", "max"),
    (rf"the number of rows in each table does not exceed\s+{_N}", "max"),
))
_COLUMN_PATTERNS = _limits("column", (
    (rf"must\s+have\s+exactly\s+{_N}\s+columns?", "exact"),
    (rf"exactly\s+.+and {_N}\s+columns?", "exact"),
    (rf"in\s+{_N}\s+columns", "exact"),
    (rf"not exceed\s+.+and {_N}\s+columns?", "max"),
    (rf"maximum of\s+{_N}\s+columns", "max"),
    (rf"maximum\s+{_N}\s+columns", "max"),
    (rf"at most\s+{_N}\s+columns", "max"),
    (rf"limited to a maximum of\s+{_N}\s+columns", "max"),
    (rf"limited to\s+{_N}\s+columns", "max"),
    (rf"a column limit of\s+{_N}", "max"),
    (rf"a maximum of\s+.+and {_N}\s+columns?", "max"),
    (rf"limit the number of columns to\s+{_N}", "max"),
    (rf"limit it to\s+{_N}\s+columns", "max"),
    (rf"limit the table to\s+{_N}\s+columns", "max"),
    (rf"the number of columns in each table does not exceed\s+{_N}", "max"),
    (r"(a|each) (single) column", "single"),
    (r"presented in (a|one) single column", "single"),
    (rf"title must not exceed {_N}\s+words", "title"),
))
_NAME_PATTERNS = (
    (r"columns?\s+should\s+be\s+([\w\s,]+)", "columns"),
    (r"columns:\s+([\w\s,']+)", "columns"),
    (r'must include columns for\s+"([^"]+)"', "columns"),
    (r"must include the\s+([\w\s,]+)", "content"),
    (r"each (entry|row|item|game|series) must include (?:the\s+)?([\w\s,]+(?:\s+and\s+(?:its|"
     r"their)\s+[\w\s,]+)?)", "content"),
    (r'table must include columns (for|named)\s+["]([^"]+)["]', "columns"),
    (r"each (entry|row|item|game|series) should (?:be )?(present|include|contain|show)(?:ed)? "
     r"(?:in|with)?\s+([\w\s,]+)", "content"),
)
# The reference's optional-table phrasings; its last two strings lack a comma between them, so
# they form one pattern that needs both phrases in a row.
_OPTIONAL = (
    r"if you (include|use|utilize|incorporate|present) (a |any )?(tables?|tabular data)",
    r"if you (decide|choose|opt) to (use|include|incorporate|present|utilize) (a |any )?(tables?|"
    r"tabular data)",
    r"if (a |any )?(tables?|tabular data|table format) (is|are) (used|included|utilized|"
    r"incorporated|presented|chosen)",
    r"if there (is|are) (a |any )?(tables?|tabular data|table format) (used|included|utilized|"
    r"incorporated|presented|chosen)",
    r"if you (decide|choose|opt) to (use|include|incorporate|present|utilize) (your )?"
    r"information in a table" r"if presented in a table",
)


def _value(word: str) -> int:
    return _NUMBERS[word] if word in _NUMBERS else int(word)


@dataclass
class TableRule:
    rows: tuple[str, int] | None = None
    columns: tuple[str, int] | None = None
    title_max_words: int | None = None
    markdown: bool = False
    names: list[str] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)
    optional: bool = False
    mentions_table: bool = False
    series: bool = False            # "series must include" + title + author (+ year)
    series_year: bool = False
    names_loosely: bool = False     # "columns for": a name may also contain the header
    film: bool = False              # "film title" + "release year"

    @property
    def empty(self) -> bool:
        return not (self.rows or self.columns or self.title_max_words is not None or self.names
                    or self.contents or self.series or self.film)


def parse_table_rule(sentence: str) -> TableRule:
    c = sentence.lower()
    rule = TableRule(markdown="markdown" in c, mentions_table="table" in c,
                     optional=any(re.search(p, c, re.DOTALL) for p in _OPTIONAL),
                     names_loosely="columns for" in c,
                     film="film title" in c and "release year" in c)
    rule.series = "series must include" in c and "title" in c and "author" in c
    rule.series_year = rule.series and "year" in c
    for pattern, kind in _ROW_PATTERNS:
        match = re.search(pattern, c)
        if match:
            rule.rows = (kind, _value(match.group(1)))
            break
    for pattern, kind in _COLUMN_PATTERNS:
        match = re.search(pattern, c)
        if match:
            if kind == "single":
                rule.columns = ("exact", 1)
            elif kind == "title":
                rule.title_max_words = _value(match.group(1))
            else:
                rule.columns = (kind, _value(match.group(1)))
            break
    if rule.series:
        rule.contents = ["title", "author", "year", "publication"]
    if rule.film:
        rule.contents = ["film title", "release year"]
    if "columns for" in c and '"' in c:
        names = [q.strip().rstrip(",").strip() for q in re.findall(r'"([^"]+)"', c)]
        names = [n for n in names if n]
        if names:
            rule.names = names
            return rule
    for pattern, kind in _NAME_PATTERNS:
        match = re.search(pattern, c)
        if not match:
            continue
        if kind == "columns":
            if match.group(1):
                parts = [p.strip("'\" ") for p in re.split(r"[,、，和and]", match.group(1))]
                rule.names.extend(p for p in parts if p)
        elif len(match.groups()) > 1:
            last = match.groups()[-1]
            if " and " in last:
                parts = last.split(" and ")
                if "," in parts[0]:
                    rule.contents.extend(item.strip() for item in parts[0].split(","))
                else:
                    rule.contents.append(parts[0].strip())
                rule.contents.append(parts[1][4:].strip() if parts[1].startswith("its ")
                                     else parts[1].strip())
            else:
                rule.contents.extend(p.strip() for p in re.split(r"[,、，]", last) if p.strip())
    match = re.search(r'include columns for\s+(?:"([^"]+)",?\s*)+', c)
    if match:
        rule.names.extend(q.strip() for q in re.findall(r'"([^"]+)"', match.group(0))
                          if q.strip())
    quoted = re.findall(r'["]([^"]+)["]', c)
    if quoted and not rule.names:
        rule.names.extend(n for n in (q.strip().rstrip(",").strip() for q in quoted) if n)
    match = re.search(r"each\s+\w+\s+must\s+include\s+(?:the\s+)?([\w\s]+\s+and\s+its\s+[\w\s]+)",
                      c)
    if match:
        rule.contents.extend(p.strip() for p in re.split(r"\s+and\s+its\s+", match.group(1))
                             if p.strip())
    if "single column" in c:
        rule.columns = ("exact", 1)
    match = re.search(rf"title\s+must\s+not\s+exceed\s+{_N}\s+words", c)
    if match:
        rule.title_max_words = _value(match.group(1))
    rule.contents = sorted({req for req in rule.contents if req})
    return rule


def _headers(lines: list[str]) -> list[str]:
    return [h.strip().lower() for h in lines[0].split("|")[1:-1]] if lines else []


def _judge(rule: TableRule, response: str) -> tuple[bool, str]:
    if "|" not in response:
        if not rule.mentions_table:
            return True, "no table, and the sentence does not ask for one"
        if rule.optional:
            return True, "no table, and the sentence makes it optional"
        return False, "found no table (no '|' in the answer)"
    lines = [ln.strip() for ln in pipe_span(response).split("\n") if ln.strip()]
    if rule.markdown and not any(ln.startswith("|") for ln in lines):
        return False, "found no Markdown table line"
    seen = []
    if rule.rows:
        kind, want = rule.rows
        rows = len(lines) - 2 if len(lines) > 1 and "---" in lines[1] else len(lines) - 1
        if (kind == "exact" and rows != want) or (kind == "max" and rows > want):
            return False, f"found {rows} rows, need {'exactly' if kind == 'exact' else 'at most'} " \
                          f"{want}"
        seen.append(f"{rows} rows")
    if rule.columns:
        if not lines:
            return False, "found no table lines"
        kind, want = rule.columns
        columns = len(lines[0].split("|")) - 2
        if (kind == "exact" and columns != want) or (kind == "max" and columns > want):
            return False, f"found {columns} columns, need " \
                          f"{'exactly' if kind == 'exact' else 'at most'} {want}"
        seen.append(f"{columns} columns")
    if rule.title_max_words is not None:
        if not lines:
            return False, "found no table lines"
        n = len(lines[0].strip("|").strip().split())
        if n > rule.title_max_words:
            return False, f"the first line has {n} words, need at most {rule.title_max_words}"
    headers = _headers(lines)
    if rule.series_year:
        missing = [w for w in ("title", "author", "year") if not any(w in h for h in headers)]
        if missing:
            return False, f"no header mentions {', '.join(missing)}"
        return True, "headers mention title, author and year"
    if rule.names:
        if not lines:
            return False, "found no table lines"
        for name in (n.lower() for n in rule.names):
            if not any(name in h or (rule.names_loosely and h in name) for h in headers):
                return False, f"no header matches the column {name!r} (headers: {headers})"
        if rule.names_loosely:
            return True, f"headers {headers} match the columns {rule.names}"
        seen.append(f"columns {rule.names}")
    if rule.film:
        film = any("film" in h or "title" in h for h in headers)
        year = any("release" in h or "year" in h for h in headers)
        if not (film and year):
            return False, "headers lack a film title or a release year column"
        return True, "headers have a film title and a release year column"
    if rule.contents:
        content = " ".join(" ".join(ln.split("|")) for ln in lines).lower()
        for req in (r.lower() for r in rule.contents):
            if req == "film title" and any("film" in h or "title" in h for h in headers):
                continue
            if req == "release year" and any("release" in h or "year" in h for h in headers):
                continue
            if req in ("title", "author") and any(req in h for h in headers):
                continue
            if req in ("year", "year of publication") and any("year" in h for h in headers):
                continue
            if req == "publication" or req in content:
                continue
            if any(any(word in h for word in req.split()) for h in headers):
                continue
            return False, f"the table does not contain {req!r}"
        seen.append(f"contents {rule.contents}")
    return True, "found a table" + (": " + ", ".join(seen) if seen else "")


@register(_keys.PREFIX + _keys.TABLE)
class Table(MulDimIFChecker):
    name = _keys.TABLE

    def parse(self, text: str) -> TableRule:
        rule = parse_table_rule(text)
        if rule.empty:
            self.not_understood("no row, column, column-name or content rule recognised")
        return rule

    def check(self, response: str) -> Verdict:
        ok, why = _judge(self.rule, response)
        if self.rule.empty:  # reference only: corrected refused the sentence when built
            why = f"the reference does not understand this sentence (no table rule), so: {why}"
        return verdict(ok, why)
