"""Terminal output shared by the commands that stream JSONL: a transient rich progress bar on
stderr, and the consoles the summaries are printed on.

rich is imported on first need only: `hir check -q` and `hir relabel -q` never load it (about
20 ms of start-up). Error messages are plain lines (``error_line``): no markup, emoji codes or
wrapping, so they read the same in a log file as on a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import typer

if TYPE_CHECKING:
    from rich.console import Console


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
