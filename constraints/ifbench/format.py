"""IFBench ``format:*``: layout, markup, bullets, quoting and casing."""

from __future__ import annotations

import re
import string
from collections import deque

import emoji  # ~20 ms of tables: paid when the IFBench family loads, never for IFEval rows
from pydantic import Field

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._text import PUNCT, PUNCT_SPACE, remove_punct, sentences, word_tokenize


@register("format:emoji")
class EmojiEndsSentences(Checker):
    def describe(self) -> str:
        return "Please use an emoji at the end of every sentence."

    def check(self, response: str) -> Verdict:
        is_emoji = emoji.is_emoji
        ss = sentences(response)
        for i, sentence in enumerate(ss):
            stripped = remove_punct(sentence).strip()
            if not stripped:  # the reference raises IndexError on a punctuation-only sentence
                return verdict(False, f"sentence {i + 1} is only punctuation")
            # The last or second-to-last character (an emoji may carry a variation selector).
            if is_emoji(stripped[-1]) or is_emoji(stripped[-2] if len(stripped) > 1 else stripped):
                continue
            # The regex splitter cuts before an emoji written after the period: "Hi. 😀 Next."
            if i < len(ss) - 1:
                following = remove_punct(ss[i + 1]).strip()
                if not following:
                    return verdict(False, f"sentence {i + 2} is only punctuation")
                if is_emoji(following[0]):
                    continue
            return verdict(False, f"sentence {i + 1} does not end with an emoji: "
                                  f"{sentence[-40:]!r}")
        return verdict(True, f"all {len(ss)} sentences end with an emoji")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@register("format:line_indent")
class IndentStairs(Checker):
    """Every non-blank line indented (with spaces) more than the previous one.

    The reference drops blank lines with ``lines.remove(line)`` while iterating over ``lines``, which
    skips the line after each removed one, so of two consecutive blank lines only one is dropped
    and the stairs fail. Corrected: all blank lines are ignored.
    """

    def describe(self) -> str:
        return "Create stairs by incrementally indenting each new line."

    @staticmethod
    def _reference_lines(response: str) -> list[str]:
        """The lines ``for line in lines: if not line.strip(): lines.remove(line)`` leaves, in
        linear time (the loop itself is quadratic on many blank lines).

        The list iterator walks positions, and ``remove`` deletes the *first* equal element, which
        is never after the current one: so every removal skips the next original line, and the
        line removed is the earliest one still present with the same text (an earlier blank line
        that was skipped, or the current one). One queue per blank text replays that.
        """
        lines = response.split("\n")
        present: dict[str, deque[int]] = {}  # blank text -> indices still in the list, in order
        removed = bytearray(len(lines))
        visit = 0  # the original index the iterator yields next
        for index, line in enumerate(lines):
            if line.strip():
                if index == visit:
                    visit += 1
                continue
            queue = present.get(line)
            if queue is None:
                queue = present[line] = deque()
            queue.append(index)
            if index == visit:
                removed[queue.popleft()] = 1
                visit += 2
        return [line for line, gone in zip(lines, removed) if not gone]

    def check(self, response: str) -> Verdict:
        if self.corrected:
            lines = [line for line in response.split("\n") if line.strip()]
        else:
            lines = self._reference_lines(response)
        for i in range(len(lines) - 1):
            before, after = _indent(lines[i]), _indent(lines[i + 1])
            if after <= before:
                what = "blank line" if not lines[i + 1].strip() else f"line {lines[i + 1][:30]!r}"
                return verdict(False, f"{what} is indented {after} spaces, not more than the "
                                      f"previous line's {before}")
        return verdict(True, f"{len(lines)} lines, each indented more than the last")


_NOT_DQUOTE = string.digits + PUNCT.replace('"', "")


@register("format:quote_unquote")
class QuoteExplanation(Checker):
    def describe(self) -> str:
        return "Every quoted phrase must be followed by an unquoted explanation."

    def check(self, response: str) -> Verdict:
        text = response.replace("“", '"').replace("”", '"').replace("'\"'", "")
        text = "".join(text.split())
        if '""' in text:
            return verdict(False, "two quotations follow each other with nothing between them")
        tail = text.strip(_NOT_DQUOTE)
        if not tail:  # the reference raises IndexError here
            return verdict(False, "the response is only digits and punctuation")
        if tail[-1] == '"':
            return verdict(False, "the response ends with a quotation, not an explanation")
        return verdict(True, "no quotation without a following explanation")


class SpecialBulletsParams(Params):
    sep: str = Field(min_length=1)


@register("format:list")
class SpecialBullets(Checker):
    Params = SpecialBulletsParams

    def describe(self) -> str:
        return f"Answer with a list of items, instead of bullet points use {self.params.sep}."

    def check(self, response: str) -> Verdict:
        # Anywhere in the text, not only at line starts, as the reference counts.
        n = response.count(self.params.sep)
        return verdict(n >= 2, f"found {n} occurrences of {self.params.sep!r}, need at least 2")


@register("format:thesis")
class ItalicThesis(Checker):
    """Reference: finds the first ``<i>`` (else ``<em>``) and its closing tag, but slices with the
    lengths of ``<i>``/``</i>`` even for ``<em>``, so ``<em>Thesis</em>`` with nothing after it
    passes (the leftover ``>`` counts as text). Corrected: the real tag lengths."""

    def describe(self) -> str:
        return ("Each section must begin with a thesis statement in italics, use HTML to indicate "
                "the italics.")

    def check(self, response: str) -> Verdict:
        start, opening, closing = response.find("<i>"), "<i>", "</i>"
        if start == -1:
            start, opening, closing = response.find("<em>"), "<em>", "</em>"
            if start == -1:
                return verdict(False, "no <i> or <em> tag found")
        text = response[start:]
        end = text.find("</i>")
        if end == -1:
            end, closing = text.find("</em>"), "</em>"
            if end == -1:
                return verdict(False, "the italic tag is never closed")
        else:
            closing = "</i>"
        if self.corrected:
            thesis, after = text[len(opening):end], text[end + len(closing):]
        else:  # the offsets of <i>...</i> (3 and 4 characters) whatever the tags
            thesis, after = text[3:end], text[end + 4:]
        if not thesis.strip():
            return verdict(False, "the italic thesis is empty")
        if not after.strip():
            return verdict(False, "nothing follows the italic thesis")
        return verdict(True, "an italic thesis followed by text")


@register("format:sub-bullets")
class SubBullets(Checker):
    """Reference: split the text at every ``*`` and require a ``-`` somewhere after each one; a
    response without any ``*`` passes, and a hyphenated word satisfies a bullet. Corrected: at least
    one line starts with ``*`` and each is followed by a line starting with ``-`` before the next."""

    def describe(self) -> str:
        return ("Your response must include bullet points denoted by * and at least one sub-bullet "
                "point denoted by - for each bullet point.")

    def check(self, response: str) -> Verdict:
        if not self.corrected:
            pieces = response.split("*")[1:]
            for number, piece in enumerate(pieces, start=1):
                if "-" not in piece:
                    return verdict(False, f"no '-' after '*' number {number}")
            return verdict(True, f"a '-' follows each of the {len(pieces)} '*'")
        bullets = 0
        waiting = False
        for line in response.split("\n"):
            stripped = line.strip()
            if stripped.startswith("*") and not stripped.startswith("**"):
                if waiting:
                    return verdict(False, f"bullet {bullets} has no '-' sub-bullet")
                bullets += 1
                waiting = True
            elif stripped.startswith("-") and bullets:
                waiting = False
        if not bullets:
            return verdict(False, "no line starts with a '*' bullet")
        if waiting:
            return verdict(False, f"bullet {bullets} has no '-' sub-bullet")
        return verdict(True, f"each of the {bullets} '*' bullets has a '-' sub-bullet")


@register("format:no_bullets_bullets")
class SentencesThenBullets(Checker):
    def describe(self) -> str:
        return ("Your answer must contain at least two sentences ending in a period followed by at "
                "least two bullet points denoted by *.")

    def check(self, response: str) -> Verdict:
        # Replays the reference's state machine, including its reuse of one variable for "still in
        # the prose part" and "the sentences of the last prose line": after a blank prose line the
        # next prose line is rejected.
        prose: object = True
        n_sentences = n_bullets = 0
        for number, line in enumerate(response.split("\n"), start=1):
            if line.strip().startswith("*"):
                prose = False
                if n_sentences < 2:
                    return verdict(False, f"bullet on line {number} after only {n_sentences} "
                                          "sentence(s), need 2 first")
                n_bullets += 1
            elif prose:
                prose = sentences(line.strip())
                n_sentences += len(prose)
            else:
                return verdict(False, f"line {number} is neither a bullet nor allowed prose")
        return verdict(n_bullets >= 2, f"{n_sentences} sentences then {n_bullets} bullets, need "
                                       "at least 2 of each")


@register("format:newline")
class WordPerLine(Checker):
    def describe(self) -> str:
        return "Write each word on a new line."

    def check(self, response: str) -> Verdict:
        text = remove_punct(response).strip()
        lines = [line for line in text.split("\n") if line != ""]
        n_words = len(text.split())
        return verdict(len(lines) == n_words, f"{len(lines)} non-empty lines for {n_words} words, "
                                              "need one word per line")


@register("format:no_whitespace")
class NoWhitespace(Checker):
    def describe(self) -> str:
        return "The output should not contain any whitespace."

    def check(self, response: str) -> Verdict:
        n = sum(1 for c in response if c.isspace())
        return verdict(n == 0, "no whitespace" if n == 0 else f"found {n} whitespace characters")


_ABC = re.compile(r"\W*[aA]\W*[bB]\W*[cC]\W*")


class OptionsParams(Params):
    options: str = Field(min_length=1)


@register("format:options")
class Options(Checker):
    Params = OptionsParams

    def _parse(self) -> tuple[bool, list[str]]:
        text = self.params.options
        exact = _ABC.match(text) is not None  # letter options must be reproduced exactly
        # The reference's separator rule, including "or" as a substring ("color" splits too).
        sep = "/" if "/" in text else ("or" if "or" in text else ",")
        return exact, [option.strip() for option in text.split(sep)]

    def describe(self) -> str:
        return (f"Answer with one of the following options: {self.params.options}. Do not give any "
                "explanation.")

    def check(self, response: str) -> Verdict:
        exact, options = self._parse()
        if exact:
            ok = response in options
            return verdict(ok, f"the response {'is' if ok else 'is not'} exactly one of {options}")
        answer = response.strip(PUNCT_SPACE).lower()
        ok = any(option.strip(PUNCT_SPACE).lower() == answer for option in options)
        return verdict(ok, f"the response {answer[:40]!r} {'is' if ok else 'is not'} one of "
                           f"{options}")


@register("format:output_template")
class OutputTemplate(Checker):
    _PARTS = ("My Answer:", "My Conclusion:", "Future Outlook:")

    def describe(self) -> str:
        return ("Use this exact template for your response: My Answer: [answer] My Conclusion: "
                "[conclusion] Future Outlook: [outlook]")

    def check(self, response: str) -> Verdict:
        missing = [p for p in self._PARTS if p not in response]
        return verdict(not missing, "all template headings found" if not missing
                       else f"missing {', '.join(missing)}")


_OPEN = {")": "(", "]": "[", "}": "{"}
# Only these characters change the scans' state: the loops run over them, not over every character.
_BRACKETS = re.compile(r"[()\[\]{}]")
_QUOTE_MARKS = re.compile("[\"']")


@register("format:parentheses")
class NestedBrackets(Checker):
    def describe(self) -> str:
        return "Nest parentheses (and [brackets {and braces}]) at least 5 levels deep."

    def check(self, response: str) -> Verdict:
        stack: list[str] = []
        deepest = 0
        for char in _BRACKETS.findall(response):
            if char in "([{":
                stack.append(char)
                deepest = max(deepest, len(stack))
            elif char in ")]}":
                if stack and stack[-1] == _OPEN[char]:
                    stack.pop()
                    # Closing any bracket after depth 5 was reached counts, as in the reference.
                    if deepest >= 5 and len(stack) < deepest:
                        return verdict(True, f"brackets nested {deepest} levels deep")
                else:  # a mismatched closer resets the count
                    stack, deepest = [], 0
        return verdict(False, f"brackets nested at most {deepest} levels deep before closing, "
                              "need 5")


@register("format:quotes")
class NestedQuotes(Checker):
    def describe(self) -> str:
        return ("Include quotes within quotes within quotes, at least 3 levels deep, alternating "
                "between double quotes and single quotes.")

    def check(self, response: str) -> Verdict:
        # Any ' or " closes the innermost open quote of the same kind, otherwise opens a new one;
        # so apostrophes count as quotes, as in the reference.
        stack: list[str] = []
        reached = 0
        for char in _QUOTE_MARKS.findall(response):
            if stack and char == stack[-1]:
                stack.pop()
                if reached - len(stack) >= 3:
                    return verdict(True, f"quotes nested {reached} levels deep")
            elif char == '"' or char == "'":
                stack.append(char)
                reached = max(reached, len(stack))
        return verdict(False, f"quotes nested at most {reached} levels deep, need 3 closed levels")


# Words a title-case style leaves lowercase unless they start the text (articles, coordinating
# conjunctions, short prepositions), for the corrected semantics.
_MINOR_WORDS = frozenset([
    "a", "an", "the", "and", "but", "or", "nor", "for", "so", "yet", "as", "at", "by", "in", "of",
    "off", "on", "per", "to", "up", "via", "vs", "with", "from", "into", "onto", "over",
])


@register("format:title_case")
class TitleCase(Checker):
    """Reference: every token that starts lowercase and continues with cased letters fails, minor
    words included, so "The Lord of the Rings" fails although the instruction asks to capitalise
    "every major word". Corrected: articles, coordinating conjunctions and short prepositions may
    stay lowercase (except as the first word)."""

    def describe(self) -> str:
        return ("Write the entire response in title case (capitalize the first letter of every "
                "major word).")

    def check(self, response: str) -> Verdict:
        # A single lowercase letter ("a") passes, as in the reference.
        for position, token in enumerate(word_tokenize(response)):
            head, rest = token[0], token[1:]
            if head.isupper() and rest.islower():
                continue
            if head.islower() and (rest.isupper() or rest.islower()):
                if self.corrected and position > 0 and token in _MINOR_WORDS:
                    continue
                return verdict(False, f"{token!r} is not capitalised")
        return verdict(True, "every word is capitalised" if not self.corrected
                       else "every major word is capitalised")
