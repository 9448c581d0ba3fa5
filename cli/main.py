"""The ``hir`` command line: one typer app, one module per subcommand.

``hir check`` (cli/check.py) is always there. ``hir relabel`` (cli/relabel.py) and ``hir train`` /
``hir plot`` (cli/train.py) are registered when their modules are present, so a partial install
still runs. Start-up stays fast and torch-free: subcommand modules must import torch (and other
heavy libraries) inside their command functions, never at module level.
"""

from __future__ import annotations

import importlib

import typer

from . import check

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


app.command("check")(check.check)

# Optional subcommand modules and the commands each provides. A module may instead define
# ``register(app)`` to add its commands itself.
OPTIONAL_COMMANDS: dict[str, tuple[str, ...]] = {
    "relabel": ("relabel",),
    "train": ("train", "plot"),
}


def _register_optional(app: typer.Typer) -> None:
    for module_name, commands in OPTIONAL_COMMANDS.items():
        qualified = f"{__package__ or 'cli'}.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:  # the module exists but one of its imports is missing
                raise
            continue
        if hasattr(module, "register"):
            module.register(app)
            continue
        for command in commands:
            function = getattr(module, command, None)
            if callable(function):
                app.command(command)(function)


_register_optional(app)

if __name__ == "__main__":
    app()
