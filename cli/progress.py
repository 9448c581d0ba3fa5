"""A transient rich progress bar on stderr, shared by the commands that stream JSONL."""

from __future__ import annotations

from rich.console import Console


class progress_bar:
    """Context manager yielding an ``advance(n=1)`` callback; a no-op when not ``enabled``
    (stderr is not a terminal, or ``--quiet``)."""

    def __init__(self, label: str, console: Console, enabled: bool, total: int | None) -> None:
        self.label, self.console, self.enabled, self.total = label, console, enabled, total
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda n=1: None
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=self.console,
                            transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda n=1: self.bar.advance(task, n)

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.stop()
