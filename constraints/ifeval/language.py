"""IFEval ``language:response_language``.

Reference: ``langdetect.detect(response) == language``, and a detection failure (a response with
no letters, such as "12345 !!!") counts as *followed*. Corrected: a failure is a fail. Both use
our seeded, cached detector (``constraints.text.detect_language``), so verdicts are reproducible.
"""

from __future__ import annotations

from ..base import Checker, Params, Verdict, verdict
from ..registry import register
from ..text import detect_language
from ._common import LANGUAGE_NAMES, LanguageCode


class LanguageParams(Params):
    language: LanguageCode


@register("language:response_language")
class ResponseLanguage(Checker):
    Params = LanguageParams

    def describe(self) -> str:
        name = LANGUAGE_NAMES[self.params.language]
        return f"Your ENTIRE response should be in {name} language, no other language is allowed."

    def check(self, response: str) -> Verdict:
        want = self.params.language
        got = detect_language(response)
        if got is None:
            if self.corrected:
                return verdict(False, f"no language could be detected, need {want!r}")
            return verdict(True, "no language could be detected (the reference counts this as "
                                 f"followed), need {want!r}")
        return verdict(got == want, f"detected language {got!r}, need {want!r}")
