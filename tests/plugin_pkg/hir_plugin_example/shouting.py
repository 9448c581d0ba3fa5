"""A checker exposed as a class entry point (no @register: hir registers it on discovery)."""

from __future__ import annotations

from constraints import Checker, Verdict
from constraints.base import verdict


class Shouting(Checker):
    id = "plugin:shouting"

    def describe(self) -> str:
        return "Write your whole response in capital letters."

    def check(self, response: str) -> Verdict:
        lower = sum(ch.islower() for ch in response)
        return verdict(lower == 0, f"found {lower} lowercase letter(s), need none")
