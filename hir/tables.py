"""Row files in the three formats the commands read and write: JSON Lines, a JSON array, Parquet.

The format follows the file name: ``*.parquet`` is Parquet (read and written with pyarrow, as verl
does), ``*.json`` one JSON array of row objects (the form MulDimIF publishes its items in), anything
else (and ``-``, standard input/output) JSON Lines (``hir.jsonl``).

Every reader yields ``jsonl.Line`` objects, so a row that cannot be used is reported the same way
whatever the format, by file and *line*: the physical line of a JSONL file, the 1-based index of the
item in a JSON array, the 1-based index of the row in a Parquet file. A file that cannot be read at
all (not Parquet, a malformed JSON array) raises ``TableError``: the command aborts (exit status 2).

Parquet output is written when the run ends (a Parquet file has one schema, found from all its
rows). A column whose values have no common Arrow type (a key that is a number in one row and a
string in another), or values Parquet cannot store (an empty object ``{}``; a lone surrogate,
which UTF-8 cannot encode), is written as text: strings as they are, other values as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .jsonl import (STDIN, SURROGATE, Line, count_lines, display_name, dumps, json_type,
                    open_output, read_jsonl)

PARQUET_BATCH = 1024  # rows decoded at a time: a large file streams in bounded memory


class TableError(ValueError):
    """A whole input file that cannot be read as its format (the command aborts)."""


def format_of(path: str | Path | None) -> str:
    """``"parquet"``, ``"json"`` (a JSON array) or ``"jsonl"``, from the file name."""
    name = str(path).lower() if path is not None else STDIN
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".json"):
        return "json"
    return "jsonl"


def read_rows(path: str | Path) -> Iterator[Line]:
    """Stream the rows of a file in any of the three formats (``"-"``: JSONL on stdin)."""
    kind = format_of(path)
    if kind == "parquet":
        return _read_parquet(path)
    if kind == "json":
        return _read_json_array(path)
    return read_jsonl(path)


def count_rows(path: str | Path) -> int | None:
    """Rows in a file, for a progress total (JSONL: physical lines); None for stdin."""
    kind = format_of(path)
    if kind == "parquet":
        return _parquet_file(path).metadata.num_rows
    if kind == "json":
        return None  # counting would parse the whole array twice
    return count_lines(path)


def _parquet_file(path: str | Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise TableError(f"{display_name(path)}: not a readable Parquet file: {exc}") from None


def _read_parquet(path: str | Path) -> Iterator[Line]:
    import pyarrow as pa

    source = display_name(path)
    table = _parquet_file(path)
    number = 0
    try:
        for batch in table.iter_batches(batch_size=PARQUET_BATCH):
            for value in batch.to_pylist():
                number += 1
                yield Line(source, number, value=value)
    except pa.ArrowException as exc:
        raise TableError(f"{source}: Parquet data after row {number} cannot be decoded: "
                         f"{exc}") from None


def _read_json_array(path: str | Path) -> Iterator[Line]:
    source = display_name(path)
    try:
        with open(path, "rb") as stream:
            items = json.loads(stream.read().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise TableError(f"{source}: invalid UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise TableError(f"{source}: malformed JSON: {exc.msg} (line {exc.lineno}, column "
                         f"{exc.colno})") from None
    except (RecursionError, ValueError) as exc:
        raise TableError(f"{source}: malformed JSON: {type(exc).__name__}") from None
    if not isinstance(items, list):
        raise TableError(f"{source}: a .json file must hold a JSON array of row objects "
                         "(use .jsonl for one object per line)")
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield Line(source, number, value=item)
        else:
            yield Line(source, number, error=f"expected a JSON object, got {json_type(item)}")


# ----------------------------------------------------------------------------------------------
# Writing


class RowWriter:
    """Rows to a file of the format its name says, or JSONL to stdout (``None`` or ``"-"``).

    JSONL rows are written as they come; Parquet rows are kept and written by ``close()``.
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = path
        self.parquet = path is not None and str(path) != STDIN and format_of(path) == "parquet"
        if not self.parquet and path is not None and format_of(path) == "json":
            raise TableError(f"{path}: output is JSON Lines (.jsonl) or Parquet (.parquet), not a "
                             "JSON array")
        self.rows: list[dict[str, Any]] = []
        self.stream = None if self.parquet else open_output(path)
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self.parquet:
            self.rows.append(row)
        else:
            self.stream.write(dumps(row))
            self.stream.write("\n")

    def flush(self) -> None:
        if self.stream is not None:
            self.stream.flush()

    def close(self) -> None:
        """Write the Parquet file (an empty table when there are no rows); close a JSONL file."""
        import sys

        if self.parquet:
            write_parquet(self.path, self.rows)
            self.rows = []
        elif self.stream is not None and self.stream is not sys.stdout:
            self.stream.close()


def write_parquet(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Rows as one Parquet table: a column per key (a row without it holds null there)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    arrays, fields = [], []
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            array = pa.array(values)
            if not _writable(array.type):
                raise TypeError("Parquet cannot store an empty struct")
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            array = pa.array([_text(v) for v in values], pa.string())
        arrays.append(array)
        fields.append(pa.field(name, array.type))
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path)



def _text(value: Any) -> str | None:
    """A value of a column without a common type: a string as itself, anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, str) and not SURROGATE.search(value):
        return value
    return dumps(value)


def _writable(kind) -> bool:
    """Whether Parquet can store an Arrow type: not a struct without fields (from ``{}``)."""
    import pyarrow as pa

    if pa.types.is_struct(kind):
        return kind.num_fields > 0 and all(_writable(kind.field(i).type)
                                           for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _writable(kind.value_type)
    if pa.types.is_map(kind):
        return _writable(kind.key_type) and _writable(kind.item_type)
    return True
