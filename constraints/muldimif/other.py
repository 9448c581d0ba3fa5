"""MulDimIF's smaller checkers: JSON nesting (``Format_Json``), the fixed-phrase format rules
(``Format_Others``: XML attributes, bullets, block quotes, a row cap, blurbs) and the fixed-phrase
content rules (``Content_Others``: start identifiers, sources, citations).

Each reads its sentence against a fixed list of phrasings; the first that matches decides, and a
sentence matching none fails every answer (corrected: an error). JSON depth: objects and arrays
each add a level, scalars none (``{"a": 1}`` is 1), read from the first ```` ```json ```` block or
else the whole answer; an answer that is not JSON fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..base import Verdict, verdict
from ..errors import ConstraintError
from ..registry import register
from . import _keys
from ._common import MulDimIFChecker, fixed
from ._scan import fenced

# --- JSON ----------------------------------------------------------------------------------------

_J = r"(\d+|two|three)"
_JSON_EXACT = (
    rf"exactly {_J} levels? of nesting",
    rf"structured as a json object with a nesting level of {_J}",
    rf"json example with exactly {_J} levels?",
    rf"object nesting levels must be {_J}",
    rf"answer must include a json example with exactly {_J} levels?",
    rf"nesting level of {_J}",
    rf"be limited to {_J} levels of nesting",
)
_JSON_MAX = (
    rf"must not exceed {_J} levels? of nesting",
    rf"no more than {_J} levels?",
    rf"maximum of {_J} nesting levels",
    rf"maximum of {_J} object nesting levels",
    rf"maximum of {_J} levels",
    rf"not exceed {_J} levels",
    rf"levels not exceeding {_J}",
    rf"with the structure not exceeding {_J} levels",
    rf"object nesting levels must not exceed {_J} levels",
    rf"object nesting levels must not exceed {_J}",
    rf"json must have a maximum of {_J} nesting levels",
    rf"response must not exceed {_J} levels? of nesting",
    rf"and at most {_J}",
)
_JSON_MIN = (
    rf"at least {_J} levels? of nesting",
    rf"at least {_J} levels? deep",
    rf"must include a json object with at least {_J} levels?",
    rf"answer must include a json object with at least {_J} levels?",
    rf"and at least {_J}",
)


def _json_number(word: str) -> int:
    return {"two": 2, "three": 3}.get(word) or int(word)


def json_depth(value) -> int:
    """Nesting depth: a non-empty object or array is one more than its deepest member."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        members = item.values() if isinstance(item, dict) else \
            item if isinstance(item, list) else ()
        if members:
            stack.extend((member, depth + 1) for member in members)
        else:
            deepest = max(deepest, depth)
    return deepest


@dataclass(frozen=True)
class Depth:
    exact: int | None = None
    most: int | None = None
    least: int | None = None


@register(_keys.PREFIX + _keys.JSON)
class Json(MulDimIFChecker):
    name = _keys.JSON

    def parse(self, text: str) -> Depth:
        s = re.sub(r"[^\w\s]", "", text.lower())
        for pattern in _JSON_EXACT:
            match = re.search(pattern, s)
            if match:
                return Depth(exact=_json_number(match.group(1)))
        most = [_json_number(m) for p in _JSON_MAX for m in re.findall(p, s)]
        least = [_json_number(m) for p in _JSON_MIN for m in re.findall(p, s)]
        rule = Depth(None, min(most) if most else None, max(least) if least else None)
        if rule.most is None and rule.least is None:
            self.not_understood("no nesting depth recognised")
        return rule

    def check(self, response: str) -> Verdict:
        r = self.rule
        if r.exact is None and r.most is None and r.least is None:
            return fixed(False, "no nesting depth recognised")
        block = fenced(response, "json")
        source = response if block is None else block.strip()
        try:
            value = json.loads(source)
        except (ValueError, RecursionError):  # the reference catches JSONDecodeError only
            return verdict(False, "the answer is not JSON" if block is None
                           else "its ```json block is not JSON")
        depth = json_depth(value)
        if r.exact is not None:
            return verdict(depth == r.exact, f"nesting depth {depth}, need exactly {r.exact}")
        ok = (r.most is None or depth <= r.most) and (r.least is None or depth >= r.least)
        need = " and ".join(x for x in (r.least is not None and f"at least {r.least}",
                                        r.most is not None and f"at most {r.most}") if x)
        return verdict(ok, f"nesting depth {depth}, need {need}")


# --- XML tags and attributes ---------------------------------------------------------------------


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # Python's \w on str


def _name_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch in "_:")


def _name_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and (_word(text[i]) or text[i] in ":.-"):
        i += 1
    return i


def _space_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


class _Quotes:
    """The next ``'`` or ``"`` at or after a position. Each kind's last answer is kept: it stays
    right for any later question between the position asked then and the answer (or, when there
    was none, after it), so a text with no ``"`` is scanned once, not once per question."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.last = {"'": (len(text) + 1, -1), '"': (len(text) + 1, -1)}

    def _find(self, quote: str, i: int) -> int:
        asked, found = self.last[quote]
        if asked <= i and (found == -1 or i <= found):
            return found
        found = self.text.find(quote, i)
        self.last[quote] = (i, found)
        return found

    def next(self, i: int) -> int:
        single, double = self._find("'", i), self._find('"', i)
        return double if single == -1 else single if double == -1 else min(single, double)


def xml_tags(text: str) -> list[str]:
    """What ``re.finditer`` finds with the reference's tag pattern
    ``<\\s*NAME\\s*(?:\\s+NAME=['\"][^'\"]*['\"])*\\s*/?>`` (NAME = ``[a-zA-Z_:][\\w:.-]*``), in
    one pass: every step of a tag is forced (names and values end where they must), so the
    outcome from a position after a name or a value is computed once and remembered."""
    n = len(text)
    quotes = _Quotes(text)
    outcome: dict[int, int] = {}  # position after a name/value -> end of the tag, or -1

    def after_item(j: int) -> int:
        path = []
        while j not in outcome:
            path.append(j)
            k = _space_end(text, j)
            if text.startswith("/>", k) or text.startswith(">", k):
                result = k + (2 if text[k] == "/" else 1)
                break
            if k > j and k < n and _name_start(text[k]):
                m = _name_end(text, k + 1)
                if text.startswith("=", m) and m + 1 < n and text[m + 1] in "'\"":
                    q = quotes.next(m + 2)
                    if q != -1:
                        j = q + 1
                        continue
            result = -1
            break
        else:
            result = outcome[j]
        for p in path:
            outcome[p] = result
        return result

    tags = []
    i = text.find("<")
    while i != -1:
        k = _space_end(text, i + 1)
        end = after_item(_name_end(text, k + 1)) if k < n and _name_start(text[k]) else -1
        if end == -1:
            i = text.find("<", i + 1)
        else:
            tags.append(text[i:end])
            i = text.find("<", end)
    return tags


def attribute_count(tag: str) -> int:
    """``len(re.findall(r"(\\w+)=[\\"'][^\\"']*[\\"']", tag))`` in one pass."""
    count, i, n = 0, 0, len(tag)
    quotes = _Quotes(tag)
    while i < n:
        if not _word(tag[i]):
            i += 1
            continue
        end = i
        while end < n and _word(tag[end]):
            end += 1
        if tag.startswith("=", end) and end + 1 < n and tag[end + 1] in "'\"":
            q = quotes.next(end + 2)
            if q != -1:
                count += 1
                i = q + 1
                continue
        i = end  # every start inside this run fails at the same place
    return count


# --- Format_Others -------------------------------------------------------------------------------

_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10}
_K = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
# (pattern, kind, fixed argument): the reference's list, tried in order, case-insensitively.
_FORMAT_RULES = (
    (rf"no more than {_K} attributes?", "max_attributes", None),
    (rf"must not exceed {_K}(?:.*)?attributes?", "max_attributes", None),
    (r"Limit the number of attributes to two", "attributes", 2),
    (rf"Number of attributes must be exactly {_K}", "attributes", None),
    (rf"must have exactly {_K} attributes?", "attributes", None),
    (rf"must include exactly {_K} attributes?", "attributes", None),
    (rf"at least {_K} attributes?", "min_attributes", None),
    (r"Must include '(.*?)'", "phrase", None),
    (r"Must be in APA format", "apa", None),
    (r"must be provided in APA format", "apa", None),
    (r"No bullet points", "no_bullets", None),
    (r"Must be listed as bullet points", "bullets", None),
    (r"is structured as bullet points", "bullets", None),
    (r"block quotes format", "block_quotes", None),
    (r"be formatted in block quotes", "block_quotes", None),
    (rf"no more than {_K} rows", "rows", None),
    (rf"table with no more than {_K} rows", "rows", None),
    (rf"a table, which is limited to a maximum of {_K} rows", "rows", None),
    (r"full sentences", "full_sentences", None),
    (r"short blurb", "short_blurb", None),
    (rf"The answer must include at least {_K} references?", "references", None),
    (r"No lists", "no_lists", None),
    (r"No number points", "no_number_points", None),
    (r"Response must be written at medium length", "medium_length", None),
)


@dataclass(frozen=True)
class FormatRule:
    kind: str | None
    number: int | None = None
    phrase: str = ""


def _bulleted(text: str) -> bool:
    """``re.search(r'^\\s*[-*]', text, re.M)``: some line's first visible character is - or *."""
    return any(line.lstrip()[:1] in ("-", "*") for line in text.split("\n"))


def _numbered(text: str, space_after: bool) -> bool:
    """``re.search(r'^\\s*\\d+\\.', text, re.M)``, or with ``\\s`` after the dot (which may be
    the newline ending the line)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        match = re.match(r"\d+\.", stripped) if stripped[:1].isdigit() else None
        if match is None:
            continue
        rest = stripped[match.end():]
        if not space_after or (rest[:1].isspace() if rest else index < len(lines) - 1):
            return True
    return False


def _separator_row(row: str) -> bool:
    """``re.match(r'^\\|(\\s*-+\\s*\\|)+$', row)`` for a row that starts and ends with ``|``."""
    cells = row[1:-1].split("|")
    return len(row) >= 2 and all(c.strip() and not c.strip().strip("-") for c in cells)


def _table_rows(text: str) -> int:
    rows = [ln for ln in text.split("\n") if len(ln) >= 2 and ln[0] == "|" and ln[-1] == "|"]
    return sum(1 for row in rows if not _separator_row(row))


def _attributes(text: str, low: int | None, high: int | None) -> tuple[bool, str]:
    if "```xml" in text:
        block = fenced(text, "xml")
        if block is None:
            return False, "its ```xml block is not closed"
        text = block
    tags = xml_tags(text)
    for tag in tags:
        n = attribute_count(tag)
        if (high is not None and n > high) or (low is not None and n < low):
            return False, f"the tag {tag[:60]!r} has {n} attributes"
    return True, f"all {len(tags)} tags have an allowed number of attributes"


def judge_format(rule: FormatRule, text: str) -> tuple[bool, str]:
    kind, n = rule.kind, rule.number
    if kind in ("max_attributes", "attributes", "min_attributes"):
        ok, why = _attributes(text, None if kind == "max_attributes" else n,
                              None if kind == "min_attributes" else n)
        bound = {"max_attributes": "at most", "attributes": "exactly",
                 "min_attributes": "at least"}[kind]
        return ok, f"{why}; need {bound} {n} per tag"
    if kind == "phrase":
        found = re.search(r"\b" + re.escape(rule.phrase) + r"\b", text, re.I) is not None
        return found, f"the phrase {rule.phrase!r} is {'' if found else 'not '}there"
    if kind == "apa":
        found = re.search(r"\(\s*\w+,\s*\d{4}\s*\)", text) is not None
        return found, f"{'found' if found else 'no'} (Author, year) citation"
    if kind in ("no_bullets", "bullets"):
        has = _bulleted(text)
        return has == (kind == "bullets"), \
            f"{'a' if has else 'no'} line starts with - or *"
    if kind == "block_quotes":
        found = any(line.startswith(">") for line in text.split("\n")) or \
            "<blockquote>" in text.lower()
        return found, f"{'found' if found else 'no'} block quote"
    if kind == "rows":
        rows, html = _table_rows(text), text.lower().count("<tr>")
        return rows <= n and html <= n, \
            f"found {rows} Markdown table rows and {html} <tr> rows, need at most {n}"
    if kind == "full_sentences":
        return True, "full sentences are not checked"
    if kind == "short_blurb":
        return len(text) <= 200, f"{len(text)} characters, need at most 200"
    if kind == "references":
        found = len(re.findall(r"(\[\d+\]|\([A-Za-z]+, \d{4}\))", text))
        return found >= n, f"found {found} references, need at least {n}"
    if kind in ("no_lists", "no_number_points"):
        has = _numbered(text, space_after=kind == "no_lists")
        return not has, f"{'a' if has else 'no'} line starts with a number and a dot"
    if kind == "medium_length":
        return 200 < len(text) <= 400, f"{len(text)} characters, need 201 to 400"
    raise AssertionError(kind)


@register(_keys.PREFIX + _keys.FORMAT_OTHER)
class FormatOther(MulDimIFChecker):
    name = _keys.FORMAT_OTHER

    def parse(self, text: str) -> FormatRule:
        for pattern, kind, argument in _FORMAT_RULES:
            match = re.search(pattern, text, re.I)
            if not match:
                continue
            value = argument if argument is not None else \
                (match.group(1) if match.groups() else None)
            if kind == "phrase":
                if value.lower() in _SMALL:  # the reference turns it into a number: TypeError
                    raise ConstraintError(f"the reference raises on the phrase {value!r}",
                                          field="constraint")
                return FormatRule(kind, phrase=value)
            if isinstance(value, str):
                value = _SMALL.get(value.lower()) or int(value)
            return FormatRule(kind, value)
        self.not_understood("no format phrasing recognised")
        return FormatRule(None)

    def check(self, response: str) -> Verdict:
        if self.rule.kind is None:
            return fixed(False, "no format phrasing recognised")
        return verdict(*judge_format(self.rule, response))


# --- Content_Others ------------------------------------------------------------------------------

_EMOJI = re.compile(
    "[\U0001F600-\U0001F64F\U0001F300-\U0001F5FF\U0001F680-\U0001F6FF\U0001F700-\U0001F77F"
    "\U0001F780-\U0001F7FF\U0001F800-\U0001F8FF\U0001F900-\U0001F9FF\U0001FA00-\U0001FA6F"
    "\U0001FA70-\U0001FAFF\U00002702-\U000027B0\U000024C2-\U0001F251\U00010000-\U0010FFFF]+")
_BLURB = ("Response must be written as a short blurb",
          "ensure that the response is written as a short blurb",
          "ensure the response is a short blurb", "The response must be short and simple")
_SOURCES_AT_END = ("End identifier: Sources must be cited at the end of the response",
                   "make sure to conclude your response by citing your sources, as this is a "
                   "crucial part of the answer")
_QUOTES = ("Must include quotes from the sources", "with quotes from these sources")
_CITED = ("Must provide sources that are cited", "The response must include sources that are cited")


def sources_line(text: str) -> bool:
    """``re.search(r'Sources:\\s*.+$', text)``: "Sources:", white space (newlines too), then
    text running to the end of the answer (or to its final newline) on one line."""
    ends = [len(text)] + ([len(text) - 1] if text.endswith("\n") else [])
    for end in ends:
        line_start = text.rfind("\n", 0, end) + 1
        blank_from = line_start  # text[blank_from:line_start] is white space
        while blank_from > 0 and text[blank_from - 1].isspace():
            blank_from -= 1
        at = text.find("Sources:")
        while at != -1:
            after = at + len("Sources:")
            if (after >= line_start or after >= blank_from) and max(after, line_start) < end:
                return True
            at = text.find("Sources:", at + 1)
    return False


@dataclass(frozen=True)
class ContentRule:
    kind: str | None
    value: str = ""
    other: str = ""


def _starts_with(text: str, start: str) -> bool:
    return text.lstrip(" #").lower().startswith(start.lower())


@register(_keys.PREFIX + _keys.CONTENT_OTHER)
class ContentOther(MulDimIFChecker):
    name = _keys.CONTENT_OTHER

    def parse(self, text: str) -> ContentRule:
        if text == "Keep it a paragraph long":
            return ContentRule("one_line")
        identifier = re.match(r"Start identifier( must be|:)(?:.*)?\s'([^']+)'", text)
        if "Each example must start with" in text:
            if identifier is None:
                raise ConstraintError("'Each example must start with' without a quoted start "
                                      "identifier: the reference raises on it",
                                      field="constraint")
            return ContentRule("contains", identifier.group(2))
        if identifier:
            return ContentRule("starts_with", identifier.group(2))
        start = re.search(r"(?:Start|start|begin|it is essential to start) (?:with|by) the "
                          r"(?:identifier|phrase) '?([^']+)'?", text, re.I)
        if start:
            return ContentRule("starts_with", start.group(1))
        if text in _SOURCES_AT_END:
            return ContentRule("sources_at_end")
        letter = re.match(r"The name of the showroom must start with the letter '([A-Za-z])'\.",
                          text)
        if letter:
            return ContentRule("word_with_letter", letter.group(1).upper())
        if text in _BLURB:
            return ContentRule("short_blurb")
        if text == "The response should be concise, with a maximum of 50 words":
            return ContentRule("max_50_words")
        if text == "Each sentence must include at least three emojis.":
            return ContentRule("emojis")
        mention = re.search(r"[Mm]ust mention (.+) and the (.+)", text)
        if mention:
            return ContentRule("mentions", mention.group(1), "the " + mention.group(2))
        if text in _QUOTES:
            return ContentRule("quotes")
        if text in _CITED:
            return ContentRule("cited")
        if text == "It must include in-text citations":
            return ContentRule("citations")
        if "be in full sentences" in text:
            return ContentRule("full_sentences")
        self.not_understood("no content phrasing recognised")
        return ContentRule(None)

    def check(self, response: str) -> Verdict:
        r, text = self.rule, response
        if r.kind is None:
            return fixed(False, "no content phrasing recognised")
        if r.kind == "one_line":
            n = text.count("\n")
            return verdict(n == 0, f"found {n} line breaks, need none")
        if r.kind == "contains":
            ok = r.value in text
            return verdict(ok, f"{r.value!r} is {'' if ok else 'not '}in the answer")
        if r.kind == "starts_with":
            ok = _starts_with(text, r.value)
            return verdict(ok, f"the answer {'starts' if ok else 'does not start'} with "
                               f"{r.value!r}")
        if r.kind == "sources_at_end":
            ok = sources_line(text.strip())
            return verdict(ok, f"{'a' if ok else 'no'} 'Sources:' line ends the answer")
        if r.kind == "word_with_letter":
            ok = re.search(rf"\b{r.value}[a-zA-Z]*\b", text) is not None
            return verdict(ok, f"{'a' if ok else 'no'} word starts with {r.value!r}")
        if r.kind == "short_blurb":
            return verdict(len(text) <= 200, f"{len(text)} characters, need at most 200")
        if r.kind == "max_50_words":
            n = len(text.split())
            return verdict(n <= 50, f"found {n} words, need at most 50")
        if r.kind == "emojis":
            for sentence in re.split(r"(?<=[.!?])\s+(?=\S)", text):
                sentence = sentence.strip()
                if sentence and len(_EMOJI.findall(sentence)) < 3:
                    return verdict(False, f"the sentence {sentence[:60]!r} has fewer than 3 "
                                          "emoji runs")
            return verdict(True, "every sentence has at least 3 emoji runs")
        if r.kind == "mentions":
            ok = r.value in text and r.other in text
            return verdict(ok, f"need both {r.value!r} and {r.other!r}")
        if r.kind == "quotes":
            ok = re.search("[\"“”‘’']", text) is not None
            return verdict(ok, f"{'found' if ok else 'no'} quotation mark")
        if r.kind == "cited":
            ok = sources_line(text) and re.search(r"\[\d+\]", text) is not None
            return verdict(ok, "need a final 'Sources:' line and a [n] citation")
        if r.kind == "citations":
            ok = re.search(r"\[\d+\]|\([A-Za-z]+, \d{4}\)", text) is not None
            return verdict(ok, f"{'found' if ok else 'no'} in-text citation")
        return verdict(True, "full sentences are not checked")
