"""Streaming JSON Lines: read row by row, report bad lines by file and line, never stop early.

``read_jsonl`` yields one ``Line`` per non-blank input line: either its decoded JSON object or an
``error`` saying why it is not one (bad UTF-8, malformed JSON, nesting too deep for the decoder,
an integer too long to convert, not an object). A bad line never ends the stream, so every row of
the input is accounted for: callers turn ``Line.error`` into a rejected row and go on. Line
numbers are 1-based physical line numbers in the file, as an editor shows them. Used by every
command.

``dumps`` writes what any input can hold: a lone surrogate (``"\ud800"`` decodes to one) is
written as its JSON escape, and a non-finite number (Python's decoder accepts ``NaN``) as a
string, so every output line is valid JSON and valid UTF-8.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

STDIN = "-"


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank line of a JSONL input: a JSON object, or why it is not one."""

    source: str  # the file name as given ("-" is shown as "<stdin>")
    number: int  # 1-based physical line number
    value: dict[str, Any] | None = None
    error: str | None = None
    field: str | None = None  # the JSON field at fault, when the error is about one

    @property
    def ok(self) -> bool:
        return self.error is None

    def where(self) -> str:
        """``file:line``, the prefix of every message about this line."""
        return f"{self.source}:{self.number}"


class JsonlError(ValueError):
    """A message about one input line, rendered as ``file:line: message``."""

    def __init__(self, source: str, number: int, message: str) -> None:
        self.source, self.number, self.message = source, number, message
        super().__init__(f"{source}:{number}: {message}")


def display_name(path: str | Path) -> str:
    return "<stdin>" if str(path) == STDIN else str(path)


def _decode(source: str, number: int, raw: bytes) -> Line | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(source, number, error=f"invalid UTF-8 at byte {exc.start} of the line")
    if number == 1 and text.startswith("\ufeff"):  # a BOM that some editors write
        text = text[1:]
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Line(source, number, error=f"malformed JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return Line(source, number, error="malformed JSON: nested too deeply to decode")
    except ValueError as exc:  # e.g. an integer literal longer than Python converts (4300 digits)
        return Line(source, number, error=f"malformed JSON: {exc}".split(";")[0])
    if not isinstance(value, dict):
        return Line(source, number,
                    error=f"expected a JSON object, got {json_type(value)}")
    return Line(source, number, value=value)


def json_type(value: Any) -> str:
    """What a JSON value is, in words ("an array", "a string", ...)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def iter_lines(stream: IO[bytes] | Iterable[bytes], source: str) -> Iterator[Line]:
    """Decode a binary stream line by line (bytes, so one bad UTF-8 line rejects only itself)."""
    for number, raw in enumerate(stream, start=1):
        line = _decode(source, number, raw)
        if line is not None:
            yield line


def read_jsonl(path: str | Path) -> Iterator[Line]:
    """Stream the lines of a JSONL file; ``"-"`` reads standard input.

    Raises ``FileNotFoundError``/``OSError`` only for a file that cannot be opened at all.
    """
    source = display_name(path)
    if str(path) == STDIN:
        yield from iter_lines(sys.stdin.buffer, source)
        return
    with open(path, "rb") as stream:
        yield from iter_lines(stream, source)


def count_lines(path: str | Path) -> int | None:
    """Physical lines in a file (for a progress total); ``None`` for stdin."""
    if str(path) == STDIN:
        return None
    count = 0
    last = b"\n"
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


SURROGATE = re.compile("[\ud800-\udfff]")
# Lone surrogates (not encodable as UTF-8) and the non-ASCII characters str.splitlines() and
# JavaScript treat as line ends (U+0085, U+2028, U+2029): written as \uXXXX escapes, so a JSONL
# line is one line to every reader.
ESCAPED = re.compile("[\ud800-\udfff\x85\u2028\u2029]")


def dumps(obj: Any) -> str:
    """One JSONL line (no newline): UTF-8 text kept readable, no spaces wasted.

    Lone surrogates are written as ``\\udXXX`` escapes (valid JSON that decodes back to the same
    string, where the raw character cannot be encoded as UTF-8), and so are U+0085, U+2028 and
    U+2029, which some readers take for line ends; ``NaN`` and infinities, which
    JSON lacks, as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
    """
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(obj), ensure_ascii=False, separators=(", ", ": "))
    if not text.isascii() and ESCAPED.search(text):
        text = ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_line(stream: IO[str], obj: Any) -> None:
    stream.write(dumps(obj))
    stream.write("\n")


def open_output(path: str | Path | None) -> IO[str]:
    """A text stream for ``path``; ``None`` or ``"-"`` is standard output (not closed by callers)."""
    if path is None or str(path) == STDIN:
        return sys.stdout
    return io.open(path, "w", encoding="utf-8", newline="\n")
