"""Enum choices shared by the commands (typer renders them as `[reference|corrected]` etc.)."""

from __future__ import annotations

from enum import Enum


class SemanticsChoice(str, Enum):
    reference = "reference"
    corrected = "corrected"


class ModeChoice(str, Enum):
    strict = "strict"
    loose = "loose"
