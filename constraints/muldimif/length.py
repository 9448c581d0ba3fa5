"""MulDimIF ``Length``: words, sentences, paragraphs.

Reference counting (evaluation/MulDimIF/eval/Length_*.py): words are whitespace tokens, except
that a response with any CJK character counts its CJK characters only (Latin words count 0);
sentences are ``.``/``!``/``?`` characters (``3.14`` is one, ``...`` three; inside a words
constraint, runs of them); paragraphs are the non-blank ``\\n\\n``-separated parts.
Corrected: a CJK ideograph is one word and the other words still count; sentences are NLTK Punkt
sentences (further split after the CJK full stops 。！？).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..base import Verdict, verdict
from ..errors import ConstraintError
from ..registry import register
from ..text import sentences as punkt_sentences
from . import _keys
from ._common import MulDimIFChecker, fixed, parse_int
from ._scan import CJK_CHAR, CJK_SEPARATOR, HAN_CHAR, count_marks
from .keywords import Keyword, answer_format, quoted

_CJK_STOPS = re.compile("[。！？]+")


def corrected_sentences(text: str) -> int:
    """Punkt sentences, each split again after runs of 。！？ (Punkt knows only . ! ?)."""
    n = 0
    for sentence in punkt_sentences(text):
        n += sum(1 for piece in _CJK_STOPS.split(sentence) if piece.strip()) or 1
    return n


def corrected_words(text: str) -> int:
    """Whitespace words, where every CJK ideograph is a word of its own and CJK punctuation
    separates words."""
    han = len(HAN_CHAR.findall(text))
    if not han and not CJK_SEPARATOR.search(text):
        return len(text.split())
    rest = CJK_SEPARATOR.sub(" ", HAN_CHAR.sub(" ", text))
    return han + len(rest.split())


@dataclass(frozen=True)
class Bounds:
    """A closed interval of counts; None is unbounded on that side."""

    low: int | None = None
    high: int | None = None

    def holds(self, n: int) -> bool:
        return (self.low is None or n >= self.low) and (self.high is None or n <= self.high)

    def __str__(self) -> str:
        if self.low is not None and self.low == self.high:
            return f"exactly {self.low}"
        if self.low is not None and self.high is not None:
            return f"between {self.low} and {self.high}"
        if self.low is not None:
            return f"at least {self.low}"
        return f"at most {self.high}"

    @property
    def empty(self) -> bool:
        return self.low is None and self.high is None


def _first_match(patterns, text: str, flags: int = 0):
    for kind, pattern in patterns:
        match = re.search(pattern, text, flags)
        if match:
            return kind, match
    return None, None


# --- sentences -----------------------------------------------------------------------------------

_SENTENCE_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "fifty": 50, "hundred": 100, "thousand": 1000,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
    "两": 2,
}
_SN = "(\\d+|" + "|".join(_SENTENCE_NUMBERS) + ")"
_ZH_SENTENCE = "(?:个句子|句话|句|個句子)"
_S = " sentences?"
# The reference's phrasings, tried in order on the lowercased sentence; the first that matches
# decides. Kinds: exact / single / min / max / range.
_SENTENCE_PATTERNS = (
    ("exact", "exactly(?:[:])? " + _SN + " (?:topic )?sentences?"),
    ("exact", "(?:should|must) contain " + _SN + _S),
    ("exact", "must be exactly " + _SN + _S),
    ("single", "(?:must|should)? be a single sentence"),
    ("single", "consisting of (?:only )?one sentence"),
    ("single", "(?:the response|the text|the answer) must be a single sentence"),
    ("single", "in a single sentence"),
    ("min", "at least(?:[:])? " + _SN + _S),
    ("min", "a minimum of " + _SN + _S),
    ("min", "no fewer than " + _SN + _S),
    ("min", "(?:包含)?(?:至少|最少)(?:包含)?" + _SN + _ZH_SENTENCE),
    ("max", "(?:must )?contain at most " + _SN + _S),
    ("max", "at most(?:[:])? " + _SN + _S),
    ("max", "not exceeding " + _SN + _S),
    ("max", "no (?:more|longer) than " + _SN + _S),
    ("max", "limited to " + _SN + _S),
    ("max", "(?:must|should)? not exceed " + _SN + _S),
    ("max", "a maximum (?:length )?of " + _SN + _S),
    ("max", "not to exceed " + _SN + _S),
    ("max", "not surpass(?: a total of)? " + _SN + _S),
    ("max", "(?:至多|最多)(?:包含)?" + _SN + _ZH_SENTENCE),
    ("range", "range(?:[:])? " + _SN + "-" + _SN + _S),
    ("range", "between " + _SN + " and " + _SN + _S),
    ("range", "between " + _SN + " to " + _SN + _S),
    ("range", "into " + _SN + " to " + _SN + _S),
    ("range", "a range of " + _SN + " to " + _SN + _S),
    ("range", "be composed of " + _SN + " to " + _SN + _S),
    ("range", "consists? of " + _SN + " to " + _SN + _S),
    ("range", "consisting of " + _SN + " to " + _SN + _S),
    ("range", _SN + "到" + _SN + _ZH_SENTENCE),
    ("min", "organized into at least " + _SN + _S),
    ("max", "structured into at most " + _SN + _S),
)


def _number(word: str, table: dict[str, int]) -> int:
    return int(word) if word.isdigit() else table.get(word.lower(), 0)


def _bounds(kind: str, match: re.Match, table: dict[str, int]) -> Bounds:
    if kind == "single":
        return Bounds(1, 1)
    first = _number(match.group(1), table)
    if kind == "exact":
        return Bounds(first, first)
    if kind == "min":
        return Bounds(first, None)
    if kind == "max":
        return Bounds(None, first)
    return Bounds(first, _number(match.group(2), table))


@register(_keys.PREFIX + _keys.SENTENCES)
class Sentences(MulDimIFChecker):
    """Reference: the first recognised phrasing gives the bounds; none recognised passes every
    response. Sentences are ``.``/``!``/``?`` characters. Corrected: Punkt sentences."""

    name = _keys.SENTENCES

    def parse(self, text: str) -> Bounds:
        kind, match = _first_match(_SENTENCE_PATTERNS, text.lower().strip())
        if kind is None:
            self.not_understood("no sentence count it names is recognised")
            return Bounds()
        return _bounds(kind, match, _SENTENCE_NUMBERS)

    def check(self, response: str) -> Verdict:
        if self.rule.empty:
            return fixed(True, "no sentence count recognised")
        if self.corrected:
            n, unit = corrected_sentences(response), "sentences"
        else:
            n, unit = count_marks(response), "sentences (. ! ? characters)"
        return verdict(self.rule.holds(n), f"found {n} {unit}, need {self.rule}")


# --- paragraphs ----------------------------------------------------------------------------------

_PARAGRAPH_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
    "两": 2,
}
_PN = "(\\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
_P = " paragraphs?"
_PARAGRAPH_PATTERNS = (
    ("exact", "exactly " + _PN + _P),
    ("exact", "must be exactly " + _PN + _P),
    ("exact", "(?:should|must) contain " + _PN + _P),
    ("single", "(?:must|should)? be a single paragraph"),
    ("single", "(?:the response|the text|the answer) must be a single paragraph"),
    ("min", "at least " + _PN + _P),
    ("min", "least: " + _PN + _P),
    ("min", "a minimum of " + _PN + "(?: distinct)?" + _P),
    ("max", "at most " + _PN + _P),
    ("max", "not exceeding " + _PN + _P),
    ("max", "no more than " + _PN + _P),
    ("max", "最多(?:分为)?(\\d+|一|两|二|三|四|五|六|七|八|九|十)个段落"),
    ("range", "range (\\d+)-(\\d+)" + _P),
    ("range", "range: (\\d+)-(\\d+)"),
    ("range", "between (\\d+) and (\\d+)" + _P),
    ("range", "between (\\d+) to (\\d+)" + _P),
    ("range", "(\\d+) to (\\d+)" + _P),
    ("range", "(?:divided)? into (\\d+) to (\\d+)" + _P),
    ("range", "a range of (\\d+) to (\\d+)" + _P),
    ("min", "organized into at least " + _PN + _P),
    ("max", "structured into at most " + _PN + _P),
)


def count_paragraphs(text: str) -> int:
    return sum(1 for part in text.split("\n\n") if part.strip())


@register(_keys.PREFIX + _keys.PARAGRAPHS)
class Paragraphs(MulDimIFChecker):
    """Paragraphs are the non-blank ``\\n\\n``-separated parts. Reference: a sentence with no
    recognised count fails every response."""

    name = _keys.PARAGRAPHS

    def parse(self, text: str) -> Bounds:
        kind, match = _first_match(_PARAGRAPH_PATTERNS, text.lower(), re.IGNORECASE)
        if kind is None:
            self.not_understood("no paragraph count it names is recognised")
            return Bounds()
        return _bounds(kind, match, _PARAGRAPH_NUMBERS)

    def check(self, response: str) -> Verdict:
        if self.rule.empty:
            return fixed(False, "no paragraph count recognised")
        n = count_paragraphs(response)
        return verdict(self.rule.holds(n), f"found {n} paragraphs, need {self.rule}")


# --- words ---------------------------------------------------------------------------------------

_WORD_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", re.I)


def compound_number(text: str) -> int | None:
    """Digits (commas dropped) or English number words up to "hundred" ("two hundred fifty")."""
    text = text.strip().replace(",", "")
    if text.isdigit():
        return parse_int(text)
    total = current = 0
    for part in re.split(r"[\s-]+", text.strip().lower()):
        if part not in _WORD_NUMBERS:
            return None
        value = _WORD_NUMBERS[part]
        if value >= 100:
            total += (current or 1) * value
            current = 0
        else:
            current += value
    return total + current


@dataclass(frozen=True)
class WordLength:
    """"Each word must be at most/at least N characters": space-separated words."""

    at_most: bool
    chars: int


@dataclass(frozen=True)
class EachElement:
    """Every element (table cell or column, list item, line) has a number of words."""

    target: str | None
    bounds: Bounds


@dataclass(frozen=True)
class Totals:
    """Bounds on the words and sentences of the whole answer, and keywords it must contain.
    ``exact`` alone decides when it is set (the reference returns on it)."""

    exact: int | None = None
    words: Bounds = Bounds()
    sentences: Bounds = Bounds()
    keywords: tuple[Keyword, ...] = ()

    @property
    def empty(self) -> bool:
        return self.exact is None and self.words.empty and self.sentences.empty and \
            not self.keywords


_EACH_TARGET = re.compile(
    r"(?:each entry in the|Each entry in the|Each|each|The|the)\s+(.+?)\s+(?:is|in the table|"
    r"column|must|consists of|contains?|should|have)", re.I)
_EACH_BOUNDS = (
    ("range", r"between (\d+) and (\d+) words"),
    ("range", r"range: (\d+)-(\d+) words"),
    ("min", r"at least (\d+) words"),
    ("min", r"a minimum of (\d+) words"),
    ("min", r"a minimum length of (\d+) words"),
    ("max", r"at most (\d+) words"),
    ("exact", r"exactly (\d+) words"),
    ("max", r"no more than (\d+) words"),
    ("max", r"not exceed (\d+) words"),
    ("max", r"a maximum of (\d+) words"),
    ("max", r"a maximum length of (\d+) words"),
    ("max", r"limit of (\d+) words"),
    ("max", r"not exceeding (\d+) words"),
    ("max", r"less than (\d+) words"),
)
_RANGE_WORDS = (
    r"between\s+([a-z0-9-– ]+?)\s+to\s+([a-z0-9-– ]+?)(?=\s*word|$|\b)",
    r"between\s+([a-z0-9-– ]+?)\s+and\s+([a-z0-9-– ]+?)(?=\s*word|$|\b)",
    r"range:?\s*([a-z0-9-– ]+?)\s+to\s+([a-z0-9-– ]+?)(?=\s*word|$|\b)",
    r"range:?\s*([a-z0-9-– ]+?)\s*[-–]\s*([a-z0-9-– ]+?)(?=\s*word|$|\b)",
    r"(\b[a-z0-9-–]+\b)\s+to\s+(\b[a-z0-9-–]+\b)(?=\s*word|$|\b)",
    r"(\b[a-z0-9-–]+\b)\s*[-–]\s*(\b[a-z0-9-–]+\b)(?=\s*word|$|\b)",
    r"([0-9]+)\s*到\s*([0-9]+)(?=\s*个|字)",
)
_MIN_WORDS = r"(?:at\s+least|minimum\s+of|minimum\s+length\s+of|no\s+less\s+than)\s+(\S+)\s+word"
_MAX_WORDS = (r"(?:not\s+exceed|not\s+exceeding|not\s+surpass|at\s+most|no\s+more\s+than|"
              r"maximum\s+of|maximum\s+length\s+of|no\s+longer\s+than|limit\s+of|within|"
              r"within\s+a)\s+(\S+)\s+word")
_MAX_WORDS_ZH = (r"(?:最多)([0-9]+)(?:个|字)",
                 r"(?:在)([0-9]+)\s*(?:个单词以内|个字以内|字以内|单词以内|词以内|字)")
_MIN_SENTENCES = r"(?:at\s+least|minimum\s+of)\s+(\S+)\s+sentence"
_MAX_SENTENCES = (r"(?:not\s+exceed|at\s+most|no\s+more\s+than|maximum\s+of|maximum\s+length\s+of|"
                  r"no\s+longer\s+than)\s+(\S+)\s+sentence")
_SPLIT = "<TitleSplit>"  # the reference's marker for a table's separator row, counted as a cell


def _word_table(text: str, target: str) -> list[str]:
    """Cells of the table's rows: those under headers containing the target, else every cell
    (separator markers included)."""
    cells: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line.startswith("|"):
            continue
        if re.match(r"^[\s|*-]+$", line):
            cells.append(_SPLIT)
        else:
            cells.extend(c.strip() for c in line[1:-1].split("|") if c.strip())
    if _SPLIT in cells:
        split = cells.index(_SPLIT)
        headers, data = cells[:split], [c for c in cells[split + 1:] if c != _SPLIT]
    else:
        headers, data = cells, []
    width = len(headers)
    if width == 0:
        return []
    picked: list[str] = []
    for start in range(0, len(data) - width + 1, width):
        for key, value in dict(zip(headers, data[start:start + width])).items():
            if key.lower() != value.lower() and target.lower() in key.lower():
                picked.append(value)
    return picked or cells


_BULLET = re.compile(r"^\s*[-*] ")
_NUMBERED = re.compile(r"^\s*\d+\.\s+")


def _word_elements(text: str, target: str | None) -> list[str]:
    kind = answer_format(text)
    if kind == "table":
        return _word_table(text, "cells" if target is None else target)
    if kind == "json":
        if target is None:
            return []
        try:
            data = json.loads(text)
            if "entry" in target:
                return [str(v) for v in data.values()]
            return [str(data.get(target.split()[-1], ""))]
        except Exception:  # as the reference: any failure (not an object...) means no elements
            return []
    lines = text.split("\n")
    if kind == "numbered":
        return [ln.split(":", 1)[-1].split(".", 1)[-1].strip() for ln in lines
                if _NUMBERED.match(ln)]
    if kind == "bullet":
        return [ln.split(" ", 1)[1].strip() for ln in lines if _BULLET.match(ln)]
    out = []
    for line in lines:
        s = line.strip()
        if s and not s.strip("*#'\"").endswith(":") and not (
                len(s) >= 2 and s[0] == "|" and s[-1] == "|"):
            out.append(s.lstrip("#").strip())
    return out


def _cjk_words(text: str) -> int:
    cjk = len(CJK_CHAR.findall(text))
    return cjk if cjk else len(text.split())


@register(_keys.PREFIX + _keys.WORDS)
class Words(MulDimIFChecker):
    """Reference: a response with any CJK character counts only its CJK characters (Latin
    words count 0); sentences are runs of . ! ?; "exactly N" ignores every other requirement
    of the sentence. Sentences with "each" are checked per element (table cells, list items,
    lines). Corrected: CJK ideographs count one word each next to the other words; sentences are
    Punkt sentences."""

    name = _keys.WORDS

    def parse(self, text: str):
        if re.search(r"\beach\b", text, re.I):
            return self._parse_each(text)
        c = text.lower().strip('"').strip()
        c = re.sub(r"\s+", " ", c).replace("-word", " word").replace("a total of ", "")
        c = c.replace("words", "word").replace("a single", "exactly one").strip()
        exact = re.search(r"exactly\s+([a-z0-9-, ]+?)\s+(\S+)", c)
        if exact:
            n = compound_number(exact.group(1).strip())
            if n is not None:
                return Totals(exact=n)
        low = high = None
        for pattern in _RANGE_WORDS:
            match = re.search(pattern, c)
            if match:
                low = compound_number(match.group(1).strip())
                high = compound_number(match.group(2).strip())
                if low is not None and high is not None:
                    low, high = min(low, high), max(low, high)
                    break
        if low is None and (match := re.search(_MIN_WORDS, c)):
            low = compound_number(match.group(1).strip())
        if high is None and (match := re.search(_MAX_WORDS, c)):
            high = compound_number(match.group(1).strip())
        for pattern in _MAX_WORDS_ZH:
            if high is None and (match := re.search(pattern, c)):
                high = compound_number(match.group(1).strip())
        fewest = most = None
        if match := re.search(_MIN_SENTENCES, c):
            fewest = compound_number(match.group(1).strip())
        if match := re.search(_MAX_SENTENCES, c):
            most = compound_number(match.group(1).strip())
        if self.corrected:
            keywords = tuple(Keyword(k) for k in quoted(text, corrected=True))
        else:
            keywords = tuple(Keyword(m.group(1)) for m in re.finditer(r"[\"']([^\']*)[\"']", c))
        rule = Totals(None, Bounds(low, high), Bounds(fewest, most), keywords)
        if rule.empty:
            self.not_understood("no word or sentence count and no quoted keyword")
        return rule

    def _parse_each(self, text: str):
        if re.search(r"each word must be", text, re.I):
            match = re.search(r"(?i)must be (at most|at least) (\b(?:one|two|three|four|five|six|"
                              r"seven|eight|nine|ten|\d+)\b) characters", text)
            if match is None:
                raise ConstraintError("'each word must be' without 'at most/at least N "
                                      "characters': the reference raises on it",
                                      field="constraint")
            if match.group(1) in ("at most", "at least"):
                if not match.group(2).isdigit():
                    raise ConstraintError(f"the reference raises on the number "
                                          f"{match.group(2)!r}", field="constraint")
                return WordLength(match.group(1) == "at most", parse_int(match.group(2)))
        c = _NUMBER_WORD.sub(lambda m: str(_WORD_NUMBERS[m.group().lower()]), text)
        target_match = _EACH_TARGET.search(c)
        target = None if not target_match else \
            target_match.group(1).lower().replace('"', "").replace("'", "")
        for kind, pattern in _EACH_BOUNDS:
            match = re.search(pattern, c, re.I)
            if match:
                return EachElement(target, _bounds(kind, match, {}))
        self.not_understood("'each' without a recognised per-element word count")
        return None

    def _counts(self, text: str) -> tuple[int, int]:
        if self.corrected:
            return corrected_words(text), corrected_sentences(text)
        return _cjk_words(text), len(re.findall(r"[.!?]+", text))

    def check(self, response: str) -> Verdict:
        rule = self.rule
        if rule is None:
            return fixed(False, "'each' without a recognised word count")
        if isinstance(rule, WordLength):
            for word in response.split(" "):
                if (len(word) > rule.chars) if rule.at_most else (len(word) < rule.chars):
                    return verdict(False, f"the word {word[:40]!r} has {len(word)} characters, "
                                          f"need {'at most' if rule.at_most else 'at least'} "
                                          f"{rule.chars}")
            return verdict(True, f"every word has {'at most' if rule.at_most else 'at least'} "
                                 f"{rule.chars} characters")
        if isinstance(rule, EachElement):
            elements = _word_elements(response, rule.target)
            if not elements:
                return verdict(False, "found no elements to count words in")
            for i, element in enumerate(elements, 1):
                n = len(element.split())
                if not rule.bounds.holds(n):
                    return verdict(False, f"element {i} of {len(elements)} has {n} words, need "
                                          f"{rule.bounds}")
            return verdict(True, f"all {len(elements)} elements have {rule.bounds} words")
        words, sentences = self._counts(response)
        if rule.exact is not None:
            return verdict(words == rule.exact, f"found {words} words, need exactly {rule.exact}")
        if rule.empty:
            return fixed(True, "no word count recognised")
        for kw in rule.keywords:
            if not kw.found(response):
                return verdict(False, f"the keyword {kw.text!r} is missing")
        if not rule.words.empty and not rule.words.holds(words):
            return verdict(False, f"found {words} words, need {rule.words}")
        if not rule.sentences.empty and not rule.sentences.holds(sentences):
            return verdict(False, f"found {sentences} sentences, need {rule.sentences}")
        parts = [f"{words} words" + ("" if rule.words.empty else f" ({rule.words})")]
        if not rule.sentences.empty:
            parts.append(f"{sentences} sentences ({rule.sentences})")
        if rule.keywords:
            parts.append("keywords " + ", ".join(repr(k.text) for k in rule.keywords) + " found")
        return verdict(True, "found " + "; ".join(parts))
