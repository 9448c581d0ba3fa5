"""Helpers for tests that read the shared conformance data and the docs' corrections tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORRECTIONS_HEADER = "| constraint | reference behaviour | corrected behaviour |"


def shared_jsonl(relative: str) -> list[dict]:
    """The rows of ``../shared/<relative>``; skips the test with a message when it is absent."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"conformance data not found at {path} (the ../shared folder is absent)")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def documented_corrections(doc: str) -> set[str]:
    """Constraint ids in the first column of ``docs/<doc>``'s corrections table.

    A cell such as "`change_case:english_capital`, `english_lowercase`" names two ids of a group.
    """
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    table = text.split(CORRECTIONS_HEADER, 1)[1]
    ids: set[str] = set()
    for line in table.splitlines()[2:]:
        if not line.startswith("| "):
            break
        names = re.findall(r"`([^`]+)`", line.split(" | ")[0])
        group = names[0].split(":")[0]
        ids.update(n if ":" in n else f"{group}:{n}" for n in names)
    return ids
