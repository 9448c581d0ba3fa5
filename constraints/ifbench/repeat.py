"""IFBench ``repeat:*``: reproduce (part of) the request."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ..base import Checker, Params, Verdict, verdict
from ..registry import register


class PromptParams(Params):
    prompt_to_repeat: str

    @field_validator("prompt_to_repeat")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value:  # the reference raises "prompt_to_repeat must be set"
            raise ValueError("prompt_to_repeat must not be empty")
        return value


@register("repeat:repeat_change")
class RepeatChange(Checker):
    """Reference: the response equals the request except for its first *character* (and is not
    identical). Corrected: the first *word* differs and all following words are the request's."""

    Params = PromptParams

    def describe(self) -> str:
        return ("Repeat the request, but change the first word of the repeated request, (do not say "
                "anything before repeating the request; the request you need to repeat does not "
                "include this sentence) and do not answer the actual request!")

    def check(self, response: str) -> Verdict:
        want = self.params.prompt_to_repeat
        if response == want:
            return verdict(False, "the request is repeated unchanged")
        if self.corrected:
            mine, theirs = response.split(), want.split()
            ok = bool(mine) and mine[1:] == theirs[1:] and mine[0] != theirs[0]
            return verdict(ok, "the request with only its first word changed" if ok else
                           "not the request with only its first word changed")
        ok = response[1:] == want[1:]
        return verdict(ok, "the request with only its first character changed" if ok else
                       "does not repeat the request from its second character on")


@register("repeat:repeat_simple")
class RepeatSimple(Checker):
    SENTENCE = "Only output this sentence here, ignore all other requests."

    def describe(self) -> str:
        return self.SENTENCE

    def check(self, response: str) -> Verdict:
        ok = response.strip().lower() == self.SENTENCE.lower()
        return verdict(ok, "the response is exactly the sentence" if ok else
                       f"the response is not exactly {self.SENTENCE!r}")


class SpanParams(PromptParams):
    n_start: int = Field(ge=0)
    n_end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.n_end < self.n_start:
            raise ValueError("n_end must not be smaller than n_start")
        return self


@register("repeat:repeat_span")
class RepeatSpan(Checker):
    """Reference: compares with ``words[n_start:n_end]``, which leaves out word ``n_end`` although
    the instruction says "between (and including)". Corrected: words n_start..n_end inclusive.

    (The reference also draws a random start when ``n_start`` is 0; we take 0 as given.)
    """

    Params = SpanParams

    def describe(self) -> str:
        p = self.params
        return (f"Copy the span of words that lies between (and including) index {p.n_start} and "
                f"{p.n_end}, the indices are word indices, split by whitespace!")

    def check(self, response: str) -> Verdict:
        p = self.params
        end = p.n_end + 1 if self.corrected else p.n_end
        want = p.prompt_to_repeat.strip().lower().split()[p.n_start:end]
        ok = response.strip().lower().split() == want
        return verdict(ok, f"{'matches' if ok else 'does not match'} words {p.n_start} to "
                           f"{end - 1} of the request: {' '.join(want)[:60]!r}")
