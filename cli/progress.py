"""Terminal output shared by the commands: a transient rich progress bar on stderr, the consoles
the summaries are printed on, the rejects report, the exit on a closed output pipe, and the exit
status of a command that crashed.

rich is imported on first need only: `hir check -q` and `hir relabel -q` never load it (about
20 ms of start-up). Error messages are plain lines (``error_line``): no markup, emoji codes or
wrapping, so they read the same in a log file as on a terminal.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable

import typer

from hir import jsonl

if TYPE_CHECKING:
    from rich.console import Console

    from hir.rows import Reject

MAX_ERROR_MESSAGES = 50  # on stderr; every rejected row is still in the rejects file


def error_line(message: str) -> None:
    """One plain line on stderr."""
    typer.echo(message, err=True)


def console(stderr: bool = False) -> Console:
    """A rich console on stdout, or on stderr."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


class progress_bar:
    """Context manager yielding an ``advance(n=1)`` callback. The bar is shown on stderr when
    ``enabled`` and stderr is a terminal, else the callback does nothing; ``total`` (the number
    of steps) is only called when the bar is shown."""

    def __init__(self, label: str, enabled: bool, total: Callable[[], int | None]) -> None:
        self.label, self.enabled, self.total = label, enabled, total
        self.bar = None

    def __enter__(self):
        err = console(stderr=True) if self.enabled else None
        if err is None or not err.is_terminal:
            return lambda n=1: None
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=err,
                            transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total())
        return lambda n=1: self.bar.advance(task, n)

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.stop()


def rejects_path(output: str | None) -> str | None:
    """The default rejects file beside OUT (``out.jsonl`` or ``out.parquet`` ->
    ``out.rejects.jsonl``); None when OUT is standard output (the rejects are then all listed on
    stderr)."""
    if output is None or output == jsonl.STDIN:
        return None
    name = str(output)
    for suffix in (".jsonl", ".parquet"):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
            break
    return name + ".rejects.jsonl"


def refuse_to_overwrite(inputs: tuple[str | None, ...], outputs: tuple[tuple[str, str | None], ...]
                        ) -> None:
    """Exit 2 before anything is opened when an output (OUT, the rejects file) is an input file
    or another output: writing it would destroy what is being read or written."""
    def same(a: str | None, b: str | None) -> bool:
        if a in (None, jsonl.STDIN) or b in (None, jsonl.STDIN):
            return False
        return Path(a).resolve() == Path(b).resolve()

    for i, (name, written) in enumerate(outputs):
        for path in inputs:
            if same(path, written):
                error_line(f"error: {name} {written} is also an input file (it would be "
                           "overwritten)")
                raise typer.Exit(2)
        for other, written_too in outputs[:i]:
            if same(written, written_too):
                error_line(f"error: {name} and {other} are the same file: {written}")
                raise typer.Exit(2)


class RejectReport:
    """Every rejected row of a command: a plain ``error:`` line on stderr and, when ``path`` is
    given, a ``Reject.to_json()`` record in that JSONL file (created at the first reject; a stale
    file from an earlier run is removed first, so it can never be mistaken for this run's).

    Without a file every reject is printed; with one, the first ``MAX_ERROR_MESSAGES``.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.count = 0
        self._closed = False
        self._file: IO[str] | None = None
        if path is not None and path != jsonl.STDIN and Path(path).exists():
            Path(path).unlink()

    def add(self, reject: Reject) -> None:
        self.count += 1
        if self.path is None or self.count <= MAX_ERROR_MESSAGES:
            error_line(f"error: {reject.message()}")
        if self.path is not None:
            if self._file is None:
                self._file = jsonl.open_output(self.path)
            jsonl.write_line(self._file, reject.to_json())

    def close(self) -> None:
        """Close the file and say how many rejects were not printed (once; later calls do
        nothing, so a command can close it in ``finally`` too)."""
        if self._closed:
            return
        self._closed = True
        if self._file is not None and self._file is not sys.stdout:
            self._file.close()
        if self.path is not None and self.count > MAX_ERROR_MESSAGES:
            error_line(f"... {self.count - MAX_ERROR_MESSAGES} more rejected rows; all are in "
                       f"{self.path}")


def exit_on_closed_pipe() -> None:
    """``hir ... | head``: the reader has gone. Stop quietly with status 1: Python flushes stdout
    again at exit, so stdout is pointed at /dev/null first, where that flush cannot fail."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise typer.Exit(1)


def aborts_with_status_2(command: Callable) -> Callable:
    """Exit status 2 when a command ends by an exception (a bug, an unreadable input file, a full
    disk): status 1 means "complete, some rows rejected", and a crash must never look like that.
    The traceback is printed when ``HIR_TRACEBACK=1``."""
    import click

    @functools.wraps(command)
    def guarded(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort,
                click.ClickException):
            raise
        except Exception as exc:
            if os.environ.get("HIR_TRACEBACK") == "1":
                traceback.print_exc()
            error_line(f"error: aborted: {type(exc).__name__}: {exc} (the output is incomplete; "
                       "HIR_TRACEBACK=1 prints the traceback)")
            raise typer.Exit(2) from None

    return guarded
