"""``hir train``'s options: every option named like a TrainConfig field reaches the config.

The overrides are derived from the command's signature, so these tests run the real command with
``load_config`` replaced by a spy that records what it is given and stops before training.
"""

from __future__ import annotations

import re
import typing

import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("torch")  # importing hir.train.config imports the hir.train package (torch)

import hir.train.config as config_module  # noqa: E402
from cli.main import app  # noqa: E402
from cli.train import train  # noqa: E402
from hir.train.config import ConfigFileError, TrainConfig  # noqa: E402

FIELDS = TrainConfig.model_fields


def _train_params() -> list:
    """The click parameters of ``hir train``, as the app builds them."""
    return typer.main.get_command(app).commands["train"].params


def _field_options() -> list:
    return [p for p in _train_params() if p.name in FIELDS]


def _value_for(param) -> tuple[list[str], object]:
    """Command-line arguments setting ``param`` to a non-default value, and the parsed value."""
    flag = param.opts[0]
    kind = next(t for t in typing.get_args(typing.get_type_hints(train)[param.name])
                if t is not type(None))
    if kind is bool:
        return [flag], True
    if kind is int:
        return [flag, "7"], 7
    if kind is float:
        return [flag, "0.25"], 0.25
    assert kind is str, (param.name, kind)
    return [flag, f"value-of-{param.name}"], f"value-of-{param.name}"


def _run(monkeypatch, args: list[str]) -> dict:
    seen = {}

    def spy(path, overrides):
        seen["path"], seen["overrides"] = path, dict(overrides)
        raise ConfigFileError("stop here")

    monkeypatch.setattr(config_module, "load_config", spy)
    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 2 and "stop here" in result.output, result.output
    return seen


def test_the_train_command_exposes_the_usual_fields():
    names = {p.name for p in _field_options()}
    # a sample: renaming one of these options away from its field would silently drop it
    assert {"model", "data", "output_dir", "max_steps", "lr", "replay", "reward", "seed",
            "gradient_checkpointing", "threads"} <= names
    # the options that are not fields are the command's own
    assert {p.name for p in _train_params()} - names == {"config", "resume", "quiet"}


def test_every_option_named_like_a_field_is_forwarded(monkeypatch):
    args, expected = [], {}
    for param in _field_options():
        a, v = _value_for(param)
        args += a
        expected[param.name] = v
    seen = _run(monkeypatch, args)
    assert seen["path"] is None
    assert seen["overrides"] == expected


def test_options_not_given_are_forwarded_as_none(monkeypatch, tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text("max_steps = 3\n")
    seen = _run(monkeypatch, ["--config", str(toml), "--quiet", "--lr", "0.5"])
    assert seen["path"] == toml
    overrides = seen["overrides"]
    assert set(overrides) == {p.name for p in _field_options()}
    assert overrides["lr"] == 0.5
    assert all(v is None for k, v in overrides.items() if k != "lr")


def test_defaults_stated_in_help_texts_are_trainconfig_defaults():
    stated = 0
    for param in _field_options():
        match = re.search(r"\(default:? ([^)]*)\)", param.help or "")
        default = FIELDS[param.name].default
        if match is None or default is None:  # a None default is described in words
            continue
        stated += 1
        assert match.group(1) == str(default), (param.name, param.help, default)
    assert stated >= 1  # output_dir's "(default runs/hir)"
