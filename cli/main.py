"""The ``hir`` command line: one typer app, one module per subcommand.

``hir check`` (cli/check.py), ``hir relabel`` (cli/relabel.py), ``hir train`` and ``hir plot``
(cli/train.py). Start-up stays fast and torch-free: subcommand modules import torch (and other
heavy libraries) inside their command functions, never at module level.
"""

from __future__ import annotations

import typer

from . import check, relabel, train
from .progress import aborts_with_status_2

app = typer.Typer(
    name="hir",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main() -> None:
    """Hindsight instruction Replay: verifiable instruction-following checks, hindsight
    relabeling of failed responses, and a compact RL trainer."""


# Exit status of every command: 0 done, 1 done with some input rows rejected, 2 aborted.
for name, command in (("check", check.check), ("relabel", relabel.relabel),
                      ("train", train.train), ("plot", train.plot)):
    app.command(name)(aborts_with_status_2(command))

if __name__ == "__main__":
    app()
