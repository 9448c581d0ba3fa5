"""`hir relabel` end to end: the example dump, options, bad input, and `hir check` on its output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from hir.instructions import Instruction
from hir.masks import mask

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "rollouts_sample.jsonl"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def read(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l]


def test_relabel_the_example_dump(tmp_path):
    out = tmp_path / "replays.jsonl"
    result = run("relabel", EXAMPLE, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    rows = read(out)
    groups = {g["id"]: g for g in read(EXAMPLE)}
    assert rows, "the example has partly satisfying failures"
    per_group: dict[str, int] = {}
    for row in rows:
        assert row["kind"] == "replay" and row["reward"] == 1.0
        g = groups[row["source_id"]]
        original = Instruction.model_validate(g["instruction"])
        hind = Instruction.model_validate(row["instruction"])
        assert row["response"] == g["responses"][row["response_index"]]
        assert sorted(row["kept"] + row["dropped"]) == list(range(len(original.constraints)))
        assert hind == original.keep(row["kept"])
        assert row["prompt"] == hind.render()
        assert row["messages"] == [{"role": "user", "content": row["prompt"]}]
        assert mask(hind, row["response"]).ila
        m = mask(original, row["response"])
        assert 0 < m.cla < 1 and row["cla"] == m.cla
        per_group[row["source_id"]] = per_group.get(row["source_id"], 0) + 1
    assert max(per_group.values()) <= 2
    summary = json.loads(result.stdout)
    assert summary["replays"] == len(rows) and summary["groups"] == len(groups)
    assert summary["responses"] == sum(len(g["responses"]) for g in groups.values())
    assert "relabeling" not in result.stderr  # no progress bar when stderr is not a terminal


def test_hir_check_accepts_the_replay_file_and_every_replay_passes(tmp_path):
    out = tmp_path / "replays.jsonl"
    assert run("relabel", EXAMPLE, "-o", out, "--include-originals", "-q").exit_code == 0
    checked = tmp_path / "checked.jsonl"
    result = run("check", out, "-o", checked, "-q")
    assert result.exit_code == 0, result.output
    rows, verdicts = read(out), read(checked)
    assert len(rows) == len(verdicts)
    for row, v in zip(rows, verdicts):
        if row["kind"] == "replay":
            assert v["follow_all_strict"], (row["source_id"], v)
        else:  # originals keep their binary reward, which `hir check` agrees with
            assert v["follow_all_strict"] == (row["reward"] == 1.0)
    n_originals = sum(r["kind"] == "original" for r in rows)
    assert n_originals == sum(len(g["responses"]) for g in read(EXAMPLE))


def test_options_change_the_selection(tmp_path):
    one, glob, late = (tmp_path / n for n in ("one.jsonl", "global.jsonl", "late.jsonl"))
    assert run("relabel", EXAMPLE, "-o", one, "--k", 1, "-q").exit_code == 0
    assert run("relabel", EXAMPLE, "-o", glob, "--k", 1, "--budget", "global", "-q"
               ).exit_code == 0
    n_groups = len(read(EXAMPLE))
    assert len({r["source_id"] for r in read(one)}) == len(read(one))
    assert len(read(glob)) <= n_groups
    assert run("relabel", EXAMPLE, "-o", late, "--lambda0", 1, "--eta", 0.5, "-q").exit_code == 0
    # every example row has step 12: lambda = 1 * 1.5 ** 12
    assert all(r["lambda"] == pytest.approx(1.5 ** 12) for r in read(late))


def test_workers_give_identical_output(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run("relabel", EXAMPLE, "-o", a, "--include-originals", "-q").exit_code == 0
    assert run("relabel", EXAMPLE, "-o", b, "--include-originals", "-q", "--workers", 2
               ).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_bad_rows_are_reported_and_the_rest_is_relabeled(tmp_path):
    good = EXAMPLE.read_text(encoding="utf-8").splitlines()
    bad_kwargs = json.loads(good[0])
    bad_kwargs["instruction"]["constraints"][2]["kwargs"] = {"keywords": 7}
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join([good[0], "{oops", json.dumps(bad_kwargs), good[1],
                               json.dumps({"id": "r", "responses": ["x"]})]) + "\n",
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("relabel", dump, "-o", out, "--json")
    assert result.exit_code == 1
    assert f"{dump}:2:" in result.stderr and f"{dump}:3:" in result.stderr
    assert "instruction.constraints[2].kwargs.keywords" in result.stderr
    rejects = read(tmp_path / "out.rejects.jsonl")
    assert [(r["line"], r["field"]) for r in rejects] == [
        (2, None), (3, "instruction.constraints[2].kwargs.keywords"), (5, "instruction_id_list")]
    assert {r["source_id"] for r in read(out)} == {json.loads(good[0])["id"],
                                                   json.loads(good[1])["id"]}
    summary = json.loads(result.stdout)
    assert summary["rejected_rows"] == 3 and summary["groups"] == 2


def test_stdout_output_and_rejects_on_stderr(tmp_path):
    dump = tmp_path / "dump.jsonl"
    dump.write_text(EXAMPLE.read_text(encoding="utf-8").splitlines()[0] + "\n[1]\n",
                    encoding="utf-8")
    result = run("relabel", dump, "-q")
    assert result.exit_code == 1
    assert all(json.loads(l)["kind"] == "replay" for l in result.stdout.splitlines())
    assert f"{dump}:2: expected a JSON object" in result.stderr


def test_missing_input_is_a_usage_error(tmp_path):
    assert run("relabel", tmp_path / "nope.jsonl").exit_code == 2


def test_relabel_muldimif_items_keeps_the_rules_as_written(tmp_path):
    """A MulDimIF Listing item (a .json array, as MulDimIF publishes them) with a group of
    responses: replays keep the task and the satisfied rules, renumbered, in the rules layout."""
    rules = ("Explain tides. \nThe output must follow the following rules: \n"
             "    1. Use at least 3 words. \n    2. Mention the tide. \n    3. Mention the moon.")
    item = {"id": "tides", "constraint_pattern": "Listing", "difficulty": "Level 3",
            "conversations": [{"role": "user", "content": rules}],
            "constraints": [["Length", "Words", "The answer must contain at least 3 words"],
                            ["Content", "Keywords", "Must include the keyword 'tide'"],
                            ["Content", "Keywords", "Must include the keyword 'moon'"]],
            "responses": ["the moon pulls the sea", "tide"]}
    dump = tmp_path / "items.json"
    dump.write_text(json.dumps([item]), encoding="utf-8")
    out = tmp_path / "replays.jsonl"
    result = run("relabel", dump, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    replays = read(out)
    assert [(r["response_index"], r["kept"]) for r in replays] == [(0, [0, 2]), (1, [1])]
    assert replays[0]["prompt"] == ("Explain tides.\nThe output must follow the following rules:\n"
                                    "1. Use at least 3 words.\n2. Mention the moon.")
    assert replays[1]["prompt"].endswith("rules:\n1. Mention the tide.")
    checked = run("check", out, "-o", tmp_path / "checked.jsonl", "-q", "--json")
    assert checked.exit_code == 0 and json.loads(checked.output)["prompt_strict"] == 1.0
