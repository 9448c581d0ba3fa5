"""IFEval ``combination:*``."""

from __future__ import annotations

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ._common import Text

SEPARATOR = "******"


@register("combination:two_responses")
class TwoResponses(Checker):
    """Split on ``******``: empty parts are allowed only first or last; exactly two non-empty
    parts must remain and differ (after stripping)."""

    def describe(self) -> str:
        return ("Give two different responses. Responses and only responses should be separated "
                "by 6 asterisk symbols: ******.")

    def check(self, response: str) -> Verdict:
        parts = response.split(SEPARATOR)
        kept = []
        for i, part in enumerate(parts):
            if part.strip():
                kept.append(part)
            elif i not in (0, len(parts) - 1):
                return verdict(False, f"response {i + 1} between two {SEPARATOR} is empty")
        if len(kept) != 2:
            return verdict(False, f"found {len(kept)} response(s) separated by {SEPARATOR}, "
                                  "need exactly 2")
        if kept[0].strip() == kept[1].strip():
            return verdict(False, "the two responses are identical, need two different ones")
        return verdict(True, f"found 2 different responses separated by {SEPARATOR}")


class RepeatParams(Params):
    prompt_to_repeat: Text


@register("combination:repeat_prompt")
class RepeatPrompt(Checker):
    """The response, stripped and lowercased, must start with the stripped, lowercased request."""

    Params = RepeatParams

    def describe(self) -> str:
        return ("First repeat the request word for word without change, then give your answer "
                "(1. do not say any words or characters before repeating the request; 2. the "
                "request you need to repeat does not include this sentence)")

    def check(self, response: str) -> Verdict:
        want = self.params.prompt_to_repeat.strip().lower()
        got = response.strip().lower()
        if got.startswith(want):
            return verdict(True, "the response starts with the request, repeated word for word")
        # Say where the repetition went wrong: the first differing character.
        i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        return verdict(False, f"the response does not start with the request (they differ at "
                              f"character {i}: {got[i:i + 20]!r} vs {want[i:i + 20]!r})")
