"""IFBench ``custom:*``: one-off tasks whose instruction is the whole prompt."""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata

from ..base import Checker, Verdict, verdict
from ..registry import register
from ._text import PUNCT_SPACE, remove_punct, sentences

_DIGITS = re.compile(r"\d+")


def _ascii_fold(text: str) -> str:
    """'São Tomé' -> 'Sao Tome' (NFKD, then drop what is not ASCII), as the reference."""
    return unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")


class _Fixed(Checker):
    """A checker whose instruction sentence is fixed."""

    sentence = ""

    def describe(self) -> str:
        return self.sentence


@register("custom:multiples")
class Multiples(_Fixed):
    sentence = "Count from 10 to 50 but only print multiples of 7."
    _WANT = [str(i) for i in range(14, 51, 7)]

    def check(self, response: str) -> Verdict:
        found = _DIGITS.findall(response.replace(",", ", "))
        return verdict(found == self._WANT, f"numbers printed {found[:12]}, need exactly "
                                            f"{self._WANT}")


# The reference splits at r"\n*(?:Question \d+[\.|\):;]?\s*)". That pattern backtracks over every
# run of newlines (quadratic on a response of blank lines), so we find the label alone and extend
# each match back over the newlines before it, which yields the same pieces in linear time.
_QUESTION_LABEL = re.compile(r"Question \d+[\.|\):;]?\s*")


def _split_questions(text: str) -> list[str]:
    pieces, end = [], 0
    for label in _QUESTION_LABEL.finditer(text):
        start = label.start()
        while start > end and text[start - 1] == "\n":
            start -= 1
        pieces.append(text[end:start])
        end = label.end()
    pieces.append(text[end:])
    return pieces
_OPTION_LINE = re.compile(r"^[A-Ea-e][\.|\)]\s*\w+")


@register("custom:mcq_count_length")
class MultipleChoice(_Fixed):
    sentence = ("Generate 4 multiple choice questions with 5 options each about '20th century art "
                "history'. Each question should start with the label \"Question\". The questions "
                "should get progressively longer. Do not provide an explanation.")

    def check(self, response: str) -> Verdict:
        if response[response.find("Question"):] != response:
            return verdict(False, "text before the first 'Question' (no explanation allowed)")
        questions = _split_questions(response)
        if questions[0] == "":
            questions = questions[1:]
        questions = [q.strip() for q in questions if q.strip()]
        if len(questions) != 4:
            return verdict(False, f"found {len(questions)} questions, need 4")
        lengths = []
        for number, question in enumerate(questions, start=1):
            text, options, in_options = "", 0, False
            for line in question.split("\n"):
                if _OPTION_LINE.match(line.strip()):
                    options += 1
                    in_options = True
                elif not in_options:
                    text += " " + line.strip()
            if options != 5:
                return verdict(False, f"question {number} has {options} options, need 5")
            lengths.append(len(text.strip()))
        ok = all(a < b for a, b in zip(lengths, lengths[1:]))
        return verdict(ok, f"question lengths {lengths} characters, need strictly increasing")


@register("custom:reverse_newline")
class AfricaReversed(_Fixed):
    sentence = "List the countries of Africa in reverse alphabetical order, each on a new line."

    def check(self, response: str) -> Verdict:
        lines = [line.strip(PUNCT_SPACE) for line in response.split("\n")]
        lines = [line for line in lines if line]
        start = next((i for i, line in enumerate(lines) if "Zimbabwe" in line), None)
        if start is None:
            return verdict(False, "no line mentions Zimbabwe")
        target = [_ascii_fold(line) for line in lines[start:]]
        if len(target) < 52:
            return verdict(False, f"{len(target)} lines from Zimbabwe on, need at least 52")
        ok = target == sorted(target, reverse=True)
        return verdict(ok, f"{len(target)} lines {'are' if ok else 'are not'} in reverse "
                           "alphabetical order")


@register("custom:word_reverse")
class WordReverse(_Fixed):
    sentence = ("What animal is the national symbol of the US? Respond to this query, but make your "
                "sentence in reverse order of what it should be, per word.")

    def check(self, response: str) -> Verdict:
        text = remove_punct(response.lower().strip())
        restored = " ".join(text.split()[::-1])
        if "bald eagle" not in restored:
            return verdict(False, "read backwards, the words do not contain 'bald eagle'")
        ok = restored in sentences(restored)
        return verdict(ok, "read backwards, the response is one sentence naming the bald eagle")


@register("custom:character_reverse")
class CharacterReverse(_Fixed):
    sentence = ("What animal is the national symbol of the US? Respond to this query, but make your "
                "sentence in reverse order of what it should be, per letter.")

    def check(self, response: str) -> Verdict:
        ok = "elgae dlab" in response.lower()
        return verdict(ok, f"{'found' if ok else 'no'} 'elgae dlab' (bald eagle reversed)")


@register("custom:sentence_alphabet")
class SentenceAlphabet(_Fixed):
    sentence = ("Tell me a 26-sentence story where each sentence's first word starts with the "
                "letters of the alphabet in order.")

    def check(self, response: str) -> Verdict:
        ss = sentences(response)
        if len(ss) != 26:
            return verdict(False, f"found {len(ss)} sentences, need 26")
        for i, sentence in enumerate(ss):
            first = sentence.lstrip().split()
            want = chr(97 + i)
            if not first:  # the reference raises IndexError on an empty sentence
                return verdict(False, f"sentence {i + 1} is empty")
            if first[0].lower()[0] != want:
                return verdict(False, f"sentence {i + 1} starts with {first[0]!r}, need {want!r}")
        return verdict(True, "26 sentences from a to z")


_CAPITALS = ("Reykjavik", "Helsinki", "Oslo", "Tallinn", "Stockholm", "Riga", "Moscow",
             "Copenhagen", "Vilnius", "Minsk", "Dublin", "Berlin", "Amsterdam", "Warsaw", "London",
             "Brussels", "Prague", "Luxembourg", "Paris", "Vienna", "Bratislava", "Budapest",
             "Vaduz", "Chisinau", "Bern", "Ljubljana", "Zagreb")


@register("custom:european_capitals_sort")
class EuropeanCapitals(_Fixed):
    sentence = ("Give me the names of all capital cities of european countries whose latitude is "
                "higher than than 45 degrees? List the capital cities without country names, "
                "separated by commas, sorted by latitude, from highest to lowest.")

    def check(self, response: str) -> Verdict:
        names = [name.strip() for name in _ascii_fold(response).split(",") if name.strip()]
        if len(names) != len(_CAPITALS):
            return verdict(False, f"found {len(names)} comma-separated names, need "
                                  f"{len(_CAPITALS)}")
        for i, (got, want) in enumerate(zip(names, _CAPITALS), start=1):
            if got != want:
                return verdict(False, f"name {i} is {got[:30]!r}, need {want!r}")
        return verdict(True, "the 27 capitals in order of latitude")


def _csv_rows(text: str, delimiter: str = ",", keep: int = 16
              ) -> tuple[list[list[str]], int] | None:
    """The first ``keep`` rows and the number of rows; ``None`` when the text is not CSV.

    Rows after the first ``keep`` are counted, not kept: a million kept row lists (one per line of
    a response of newlines) make the garbage collector's passes grow super-linearly.
    """
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        rows = list(itertools.islice(reader, keep))
        return rows, len(rows) + sum(1 for _ in reader)
    except csv.Error:  # e.g. a NUL byte; the reference would raise
        return None


@register("custom:csv_city")
class CityCSV(_Fixed):
    sentence = ('Generate CSV data: The column names are ["ID", "Country", "City", "Year", '
                '"Count"], the data should be comma delimited. Please generate 7 rows.')
    _HEADER = ["ID", "Country", "City", "Year", "Count"]

    def check(self, response: str) -> Verdict:
        parsed = _csv_rows(response)
        if parsed is None:
            return verdict(False, "not parseable as CSV")
        rows, n = parsed
        if n != 8:
            return verdict(False, f"found {n} CSV lines, need a header and 7 rows")
        if rows[0] != self._HEADER:
            return verdict(False, f"header is {rows[0]}, need {self._HEADER}")
        bad = [i for i, row in enumerate(rows[1:], start=1) if len(row) != 5]
        return verdict(not bad, "7 rows of 5 fields" if not bad else f"row {bad[0]} does not have "
                                                                       "5 fields")


_PRODUCT_HEADER = re.compile(r'^(ProductID|"ProductID"),[ \t]*(Category|"Category"),[ \t]*'
                             r'(Brand|"Brand"),[ \t]*(Price|"Price"),[ \t]*(Stock|"Stock")$')
_SPECIAL = re.compile(r"[^\d\w\s]")


def _quoted_special(field: str) -> bool:
    """``re.match(r'".*[^\\d\\w\\s].*"', field)`` in linear time: the field starts with a quote, and
    on its first line a special character is followed later by another quote."""
    if not field.startswith('"'):
        return False
    line = field[1:].split("\n", 1)[0]
    special = _SPECIAL.search(line)
    return special is not None and '"' in line[special.end():]


@register("custom:csv_special_character")
class SpecialCharacterCSV(_Fixed):
    sentence = ('Generate CSV data: The column names are ["ProductID", "Category", "Brand", '
                '"Price", "Stock"], the data should be comma delimited. Please generate 14 rows. '
                "Add one field which contains a special character and enclose it in double quotes.")

    def check(self, response: str) -> Verdict:
        if not _PRODUCT_HEADER.match(response.split("\n")[0].strip()):
            return verdict(False, "the first line is not the ProductID,Category,Brand,Price,Stock "
                                  "header")
        # The reference triples every quote so that quotes survive CSV parsing.
        parsed = _csv_rows(response.replace('"', '"""'))
        if parsed is None:
            return verdict(False, "not parseable as CSV")
        rows, n = parsed
        if n != 15:
            return verdict(False, f"found {n} CSV lines, need a header and 14 rows")
        for i, row in enumerate(rows[1:], start=1):
            if len(row) != 5:
                return verdict(False, f"row {i} does not have 5 fields")
            # The reference returns as soon as one row (checked in order) has such a field.
            if any(_quoted_special(field) for field in row):
                return verdict(True, f"row {i} has a quoted field with a special character")
        return verdict(False, "no quoted field with a special character")


_STUDENT_HEADER = re.compile(r'^(StudentID|"StudentID")\t *(Subject|"Subject")\t *'
                             r'(Grade|"Grade")\t *(Semester|"Semester")\t *(Score|"Score")$')


@register("custom:csv_quotes")
class QuotesCSV(_Fixed):
    sentence = ('Generate CSV data: The column names are ["StudentID", "Subject", "Grade", '
                '"Semester", "Score"], the data should be tab delimited. Please generate 3 rows '
                "and enclose each single field in double quotes.")

    def check(self, response: str) -> Verdict:
        if not _STUDENT_HEADER.match(response.split("\n")[0].strip()):
            return verdict(False, "the first line is not the tab-separated StudentID header")
        parsed = _csv_rows(response.replace('"', '"""'), delimiter="\t")
        if parsed is None:
            return verdict(False, "not parseable as tab-separated values")
        rows, n = parsed
        if n != 4:
            return verdict(False, f"found {n} lines, need a header and 3 rows")
        for i, row in enumerate(rows):
            if len(row) != 5:
                return verdict(False, f"line {i + 1} does not have 5 fields")
            for field in row:
                f = field.strip()
                if not f or f[0] != '"' or f[-1] != '"':  # empty: the reference raises
                    return verdict(False, f"line {i + 1} has an unquoted field {field[:20]!r}")
        return verdict(True, "a header and 3 rows of 5 quoted fields")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@register("custom:date_format_list")
class NapoleonDates(_Fixed):
    sentence = ("List the start dates of all the battles Napoleon fought separated by commas, use "
                "the following date format: YYYY-MM-DD. Do not provide an explanation.")

    def check(self, response: str) -> Verdict:
        for item in response.strip().split(","):
            item = item.strip()
            if not _ISO_DATE.match(item):
                return verdict(False, f"{item[:30]!r} is not a YYYY-MM-DD date")
            year, month, day = (int(part) for part in item.split("-"))
            if not 1769 <= year <= 1821:
                return verdict(False, f"{item} is outside Napoleon's lifetime (1769-1821)")
            longest = (31 if month in (1, 3, 5, 7, 8, 10, 12) else 30 if month in (4, 6, 9, 11)
                       else 29 if month == 2 else None)
            if month > 12 or (longest is not None and day > longest):
                return verdict(False, f"{item} is not a valid date")
        return verdict(True, "a comma-separated list of valid dates 1769-1821")
