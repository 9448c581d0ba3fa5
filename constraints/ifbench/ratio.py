"""IFBench ``ratio:*``: stop-word share, sentence-type ratios, trigram overlap, equal sentences."""

from __future__ import annotations

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._text import sentences, stopwords, word_tokenize, words


class StopWordsParams(Params):
    percentage: int


@register("ratio:stop_words")
class StopWords(Checker):
    Params = StopWordsParams

    def describe(self) -> str:
        return (f"Ensure that stop words constitute no more than {self.params.percentage}% of the "
                "total words in your response.")

    def check(self, response: str) -> Verdict:
        stop = stopwords()
        tokens = words(response)
        if not tokens:  # the reference divides by zero here
            return verdict(False, "no words found")
        n_stop = sum(1 for t in tokens if t.lower() in stop)
        share = n_stop / len(tokens) * 100
        return verdict(share <= self.params.percentage,
                       f"stop words are {share:.1f}% of {len(tokens)} words ({n_stop}), need at "
                       f"most {self.params.percentage}%")


def _types(response: str) -> tuple[int, int, int]:
    """Sentences ending in '.', '?' and '!' (regex sentences, as the reference)."""
    ss = sentences(response)
    return (sum(s.endswith(".") for s in ss), sum(s.endswith("?") for s in ss),
            sum(s.endswith("!") for s in ss))


@register("ratio:sentence_type")
class SentenceType(Checker):
    """Reference: declarative == 2 * interrogative, so a response with neither (e.g. one long
    line without a final period) passes. Corrected: at least one interrogative sentence."""

    def describe(self) -> str:
        return "Maintain a 2:1 ratio of declarative to interrogative sentences."

    def check(self, response: str) -> Verdict:
        dec, inter, _ = _types(response)
        ok = dec == 2 * inter and (inter > 0 or not self.corrected)
        why = f"{dec} declarative and {inter} interrogative sentences, need exactly 2:1"
        if self.corrected and inter == 0:
            why += " with at least one of each"
        return verdict(ok, why)


@register("ratio:sentence_balance")
class SentenceBalance(Checker):
    """Reference: equal counts of '.', '?' and '!' sentences, so zero of each passes.
    Corrected: at least one of each type."""

    def describe(self) -> str:
        return ("Ensure that the ratio of sentence types (declarative, interrogative, exclamatory) "
                "is balanced.")

    def check(self, response: str) -> Verdict:
        dec, inter, exc = _types(response)
        ok = dec == inter == exc and (dec > 0 or not self.corrected)
        return verdict(ok, f"{dec} declarative, {inter} interrogative, {exc} exclamatory sentences,"
                           " need equal counts" + (" (at least one each)" if self.corrected else ""))


def _trigrams(seq) -> set:
    """The distinct 3-tuples of consecutive items (characters of a string, or tokens)."""
    return set(zip(seq, seq[1:], seq[2:]))


class OverlapParams(Params):
    reference_text: str
    percentage: int


@register("ratio:overlap")
class Overlap(Checker):
    """Reference: trigrams of *characters* (``nltk.ngrams`` over the raw strings), so any English
    text shares most trigrams with any other. Corrected: trigrams of words (``word_tokenize``), as
    the instruction means and as AllenAI's later release does."""

    Params = OverlapParams

    def describe(self) -> str:
        return (f"Maintain a trigram overlap of {self.params.percentage}% (±2%) with the provided "
                "reference text.")

    def _reference_trigrams(self) -> set:
        # Once per checker, not once per loose variant.
        if self._ref is None:
            text = self.params.reference_text
            self._ref = _trigrams(word_tokenize(text) if self.corrected else text)
        return self._ref

    _ref: set | None = None

    def check(self, response: str) -> Verdict:
        if self.corrected:
            mine, unit = _trigrams(word_tokenize(response)), "word"
        else:
            mine, unit = _trigrams(response), "character"
        ref = self._reference_trigrams()
        if not mine:  # the reference divides by zero here
            return verdict(False, f"the response has no {unit} trigrams")
        overlap = len(mine & ref) / len(mine) * 100
        p = self.params.percentage
        return verdict(p - 2 <= overlap <= p + 2,
                       f"{overlap:.1f}% of the response's {len(mine)} distinct {unit} trigrams occur "
                       f"in the reference text, need {p}% ± 2")


@register("ratio:sentence_words")
class SentenceWords(Checker):
    """Three sentences of equal length in characters. The reference never checks the "all
    different words" half of the instruction; corrected semantics does."""

    def describe(self) -> str:
        return ("Respond with three sentences, all containing the same number of characters but "
                "using all different words.")

    def check(self, response: str) -> Verdict:
        ss = sentences(response)
        if len(ss) != 3:
            return verdict(False, f"found {len(ss)} sentences, need 3")
        lengths = [len(s.strip()) for s in ss]
        if len(set(lengths)) != 1:
            return verdict(False, f"sentence lengths {lengths} characters, need them equal")
        if self.corrected:
            tokens = [w.lower() for w in words(response)]
            if len(tokens) != len(set(tokens)):
                return verdict(False, "3 sentences of equal length, but a word is repeated")
        return verdict(True, f"3 sentences of {lengths[0]} characters each")
