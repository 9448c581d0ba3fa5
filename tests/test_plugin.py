"""Third-party checkers: an entry point in group ``hir.constraints`` is found by ``hir check``.

The plugin is the real package in tests/plugin_pkg. Instead of pip-installing it (slow, and it
would change the venv), each test puts on ``sys.path`` the package source and a
``*.dist-info`` folder holding its ``entry_points.txt`` - exactly what an installation leaves
behind and what ``importlib.metadata`` reads - and makes the registry look again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import constraints
from constraints import registry
from cli.main import app

REPO = Path(__file__).resolve().parents[1]
PLUGIN_SOURCE = Path(__file__).resolve().parent / "plugin_pkg"

# The entry points declared in tests/plugin_pkg/pyproject.toml (test_entry_points_match_pyproject).
ENTRY_POINTS = {
    "example": "hir_plugin_example",
    "shouting": "hir_plugin_example.shouting:Shouting",
}


def write_dist_info(site: Path) -> None:
    dist = site / "hir_plugin_example-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hir-plugin-example\n"
                                   "Version: 0.1.0\n")
    lines = ["[hir.constraints]"] + [f"{name} = {value}" for name, value in ENTRY_POINTS.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def plugin_site(tmp_path, monkeypatch):
    """The plugin 'installed' on sys.path, and a registry that has not looked for plugins yet."""
    constraints.ids()  # built-ins loaded before the plugin is on the path
    site = tmp_path / "site"
    write_dist_info(site)
    monkeypatch.syspath_prepend(str(PLUGIN_SOURCE))
    monkeypatch.syspath_prepend(str(site))
    # A private copy of the registry with the built-ins (imported once per process, so they must
    # be in the copy): whatever the plugin registers is gone after the test.
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    for name in [m for m in sys.modules if m.startswith("hir_plugin_example")]:
        monkeypatch.delitem(sys.modules, name)
    yield site
    for name in [m for m in sys.modules if m.startswith("hir_plugin_example")]:
        del sys.modules[name]


def rows_text() -> str:
    rows = [
        {"key": "bang-ok", "instruction_id_list": ["plugin:ends_with_bang"],
         "kwargs": [{"count": 2}], "response": "What a day!!"},
        {"key": "bang-short", "instruction_id_list": ["plugin:ends_with_bang"],
         "kwargs": [{"count": 2}], "response": "What a day!"},
        {"key": "shout", "instruction_id_list": ["plugin:shouting", "punctuation:no_comma"],
         "kwargs": [{}, {}], "response": "HELLO, WORLD"},
    ]
    return "".join(json.dumps(r) + "\n" for r in rows)


def check_plugin_output(stdout: str) -> None:
    out = [json.loads(line) for line in stdout.splitlines()]
    assert [o["key"] for o in out] == ["bang-ok", "bang-short", "shout"]
    assert [o["strict"] for o in out] == [[True], [False], [True, False]]
    assert out[1]["failures"][0]["explanation"] == "the response ends with 'y!', need '!!'"


def test_entry_points_match_pyproject():
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((PLUGIN_SOURCE / "pyproject.toml").read_text())
    assert declared["project"]["entry-points"][registry.ENTRY_POINT_GROUP] == ENTRY_POINTS


def test_plugin_checkers_are_registered(plugin_site):
    assert "plugin:ends_with_bang" not in registry._REGISTRY  # nothing loaded before the lookup
    found = constraints.ids()
    assert {"plugin:ends_with_bang", "plugin:shouting", "punctuation:no_comma"} <= set(found)
    [verdict] = constraints.check(["plugin:shouting"], [{}], "Quiet please")
    assert not verdict.passed and "10 lowercase" in verdict.explanation


def test_plugin_params_are_validated(plugin_site):
    with pytest.raises(constraints.ConstraintError, match="count"):
        constraints.build("plugin:ends_with_bang", {"count": "many"})


def test_hir_check_finds_plugin_in_process(plugin_site):
    result = CliRunner().invoke(app, ["check", "-", "--quiet"], input=rows_text())
    assert result.exit_code == 0, result.stderr
    check_plugin_output(result.stdout)


def test_hir_check_finds_plugin_in_a_fresh_process(plugin_site):
    # A new interpreter sees the plugin only through the dist-info on its PYTHONPATH.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(plugin_site), str(PLUGIN_SOURCE), str(REPO)])
    for workers in ("1", "2"):
        proc = subprocess.run([sys.executable, "-m", "cli.main", "check", "-", "-q",
                               "--workers", workers], input=rows_text(), capture_output=True,
                              text=True, cwd=REPO, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        check_plugin_output(proc.stdout)


def test_without_the_plugin_its_ids_are_unknown(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "cli.main", "check", "-", "-q"],
                          input=rows_text(), capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120)
    assert proc.returncode == 1
    first = next(line for line in proc.stderr.splitlines() if "<stdin>:1:" in line)
    assert "key 'bang-ok'" in first and "instruction_id_list[0]" in first
    assert "unknown constraint id 'plugin:ends_with_bang'" in first
