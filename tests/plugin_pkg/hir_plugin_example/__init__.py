"""Example third-party constraints: importing this module registers ``plugin:ends_with_bang``."""

from __future__ import annotations

from constraints import Checker, Params, Verdict, register
from constraints.base import verdict


class BangParams(Params):
    count: int = 1


@register("plugin:ends_with_bang")
class EndsWithBang(Checker):
    Params = BangParams

    def describe(self) -> str:
        return f"End your response with {'!' * self.params.count}."

    def check(self, response: str) -> Verdict:
        wanted = "!" * self.params.count
        ending = response.rstrip()[-self.params.count:]
        return verdict(ending == wanted, f"the response ends with {ending!r}, need {wanted!r}")
