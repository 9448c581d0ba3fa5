"""Row files beside JSONL: Parquet in and out (verl's format) and JSON arrays (MulDimIF's), for
``hir check``, ``hir relabel`` and ``hir train``; bad rows are named by their 1-based row index."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cli.main import app
from hir import rows, tables
from hir.instructions import Instruction

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
runner = CliRunner()

# Responses to the 12 example rows: each follows some constraints of its row and not others.
RESPONSES = {
    "hir16k-sample-0": "Survivors recall the dark water and the cold",
    "hir16k-sample-8": "# Handbooks\n## Retrospective data\n### Sources\nMany exist.",
    "hir16k-sample-9": "## Operating systems\nWindows 98, Mac OS 9 and Linux led in 2000.",
}


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def verl_rows_with_responses() -> list[dict]:
    """The example verl rows that have a response above, with a ``response`` column."""
    table = pq.read_table(EXAMPLES / "verl_sample.parquet").to_pylist()
    return [{**r, "response": RESPONSES[r["id"]]} for r in table if r["id"] in RESPONSES]


def test_parquet_rows_read_as_lines_numbered_from_one(tmp_path):
    path = tmp_path / "rows.parquet"
    tables.write_parquet(path, [{"key": 1, "x": [1, 2]}, {"key": 2, "x": None}])
    lines = list(tables.read_rows(path))
    assert [(ln.number, ln.value) for ln in lines] == [(1, {"key": 1, "x": [1, 2]}),
                                                      (2, {"key": 2, "x": None})]
    assert tables.count_rows(path) == 2


def test_a_column_without_a_common_type_is_written_as_text(tmp_path):
    path = tmp_path / "mixed.parquet"
    tables.write_parquet(path, [{"key": 1, "v": {"a": 1}}, {"key": "b", "v": [1]}])
    values = [ln.value for ln in tables.read_rows(path)]
    assert values == [{"key": "1", "v": '{"a": 1}'}, {"key": "b", "v": "[1]"}]


def test_an_empty_object_parquet_cannot_store_is_written_as_text(tmp_path):
    path = tmp_path / "empty.parquet"
    truth = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
    tables.write_parquet(path, [{"id": "a", "ground_truth": truth}])
    (line,) = tables.read_rows(path)
    assert json.loads(line.value["ground_truth"]) == truth


def test_binary_parquet_values_are_rejected_naming_the_field(tmp_path):
    path = tmp_path / "bytes.parquet"
    good = {"id": "x", "source": "type1", "question": "Q", "criteria": ["No commas."],
            "ground_truth": json.dumps({"instruction_id_list": ["punctuation:no_comma"]})}
    # a binary column (pyarrow stores a column's strings as bytes too once one value is bytes)
    tables.write_parquet(path, [{**good, "response": "fine"}, {**good, "response": "x",
                                                                 "prompt": b"P"}])
    items = list(rows.parse_rows(tables.read_rows(path), need="responses"))
    assert items[0].responses == ("fine",)
    assert isinstance(items[1], rows.Reject) and items[1].field == "prompt"
    assert items[1].line == 2 and "got bytes" in items[1].error


def test_check_reads_parquet_like_jsonl_and_writes_parquet(tmp_path):
    data = verl_rows_with_responses()
    as_parquet, as_jsonl = tmp_path / "in.parquet", tmp_path / "in.jsonl"
    tables.write_parquet(as_parquet, data)
    as_jsonl.write_text("".join(json.dumps(r) + "\n" for r in data), encoding="utf-8")
    out_p, out_j = tmp_path / "out.parquet", tmp_path / "out.jsonl"
    for src, out in ((as_parquet, out_p), (as_jsonl, out_j)):
        result = run("check", src, "-o", out, "-q")
        assert result.exit_code == 0, result.output
    from_jsonl = [json.loads(line) for line in out_j.read_text().splitlines()]
    from_parquet = pq.read_table(out_p).to_pylist()
    assert len(from_parquet) == 3
    for a, b in zip(from_jsonl, from_parquet):
        assert a["key"] == b["key"] and a["strict"] == b["strict"] and a["loose"] == b["loose"]
    assert any(not all(r["strict"]) for r in from_jsonl) and any(any(r["strict"])
                                                               for r in from_jsonl)


def test_bad_parquet_rows_are_rejected_by_row_index(tmp_path):
    data = verl_rows_with_responses()
    data[1] = {**data[1], "extra_info": {**data[1]["extra_info"], "q_type": "type9"}}
    path = tmp_path / "in.parquet"
    tables.write_parquet(path, data)
    out = tmp_path / "out.parquet"
    result = run("check", path, "-o", out, "-q")
    assert result.exit_code == 1
    (reject,) = [json.loads(l) for l in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert reject["line"] == 2 and reject["field"] == "extra_info.q_type"
    assert f"{path}:2: key 'hir16k-sample-8': field 'extra_info.q_type'" in result.output
    assert [r.get("error") is None for r in pq.read_table(out).to_pylist()] == [True, False, True]


def test_an_unreadable_parquet_file_aborts(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 not really")
    result = run("check", path, "-q")
    assert result.exit_code == 2 and "not a readable Parquet file" in result.output


def test_json_array_items_are_numbered_by_index(tmp_path):
    items = [{"id": "a", "prompt": "Explain tides.", "response": "the tide",
              "constraints": [["Content", "Keywords", "Must include the keyword 'tide'"]]},
             ["not", "an", "object"],
             {"id": "c", "prompt": "Explain tides.",
              "constraints": [["Content", "Keywords", "Must include the keyword 'tide'"]]}]
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    result = run("check", path, "-o", tmp_path / "out.jsonl", "-q")
    assert result.exit_code == 1
    rejects = [json.loads(l) for l in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(2, None), (3, "response")]
    assert "final assistant turn" in rejects[1]["error"]
    malformed = tmp_path / "bad.json"
    malformed.write_text("[{", encoding="utf-8")
    assert run("check", malformed, "-q").exit_code == 2


def test_relabel_to_parquet_writes_verl_rows_ready_for_a_verl_run(tmp_path):
    dump = tmp_path / "dump.parquet"
    tables.write_parquet(dump, verl_rows_with_responses())
    out = tmp_path / "replays.parquet"
    result = run("relabel", dump, "-o", out, "-q", "--include-originals")
    assert result.exit_code == 0, result.output
    written = pq.read_table(out).to_pylist()
    originals = [r for r in written if r["kind"] == "original"]
    replays = [r for r in written if r["kind"] == "replay"]
    assert len(originals) == 3 and replays
    inputs = {r["id"]: r for r in verl_rows_with_responses()}
    for row in replays:
        source = inputs[row["id"]]
        # verl's columns, as the input had them, with the hindsight constraints
        assert {"data_source", "prompt", "ability", "reward_model", "extra_info"} <= set(row)
        assert row["data_source"] == source["data_source"] and row["ability"] == source["ability"]
        assert row["prompt"][-1]["role"] == "user" and row["reward_model"]["style"] == "rule"
        truth = json.loads(row["reward_model"]["ground_truth"])
        full = json.loads(source["reward_model"]["ground_truth"])
        kept = row["kept"]
        assert 0 < len(kept) < len(full["instruction_id_list"])
        assert truth["instruction_id_list"] == [full["instruction_id_list"][i] for i in kept]
        criteria = source["extra_info"]["criteria"]
        assert row["extra_info"]["criteria"] == [criteria[i] for i in kept]
        assert row["extra_info"]["question"] == source["extra_info"]["question"]
        assert row["extra_info"]["q_type"] == source["extra_info"]["q_type"]
        assert row["extra_info"]["index"] == source["extra_info"]["index"]
    # the replay file is itself rows hir reads: every replay follows all its constraints
    checked = tmp_path / "checked.jsonl"
    replay_file = tmp_path / "only_replays.parquet"
    tables.write_parquet(replay_file, replays)
    result = run("check", replay_file, "-o", checked, "-q", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["prompt_strict"] == 1.0


def test_relabel_rejects_json_array_output(tmp_path):
    result = run("relabel", EXAMPLES / "rollouts_sample.jsonl", "-o", tmp_path / "x.json", "-q")
    assert result.exit_code == 2 and "not a JSON array" in result.output


def test_train_reads_verl_parquet_and_hir16k_jsonl():
    from hir.train.data import load

    verl_rows, verl_rejects = load(EXAMPLES / "verl_sample.parquet")
    flat_rows, flat_rejects = load(EXAMPLES / "hir16k_sample.jsonl")
    assert verl_rejects == flat_rejects == [] and len(verl_rows) == len(flat_rows) == 12
    for a, b in zip(verl_rows, flat_rows):
        assert a.instruction == b.instruction and a.replayable
        assert a.prompt == b.prompt == a.instruction.render()
    # what a run directory keeps reads back as the same row
    again = rows.parse(verl_rows[8].to_json())
    assert again.instruction == verl_rows[8].instruction
    assert isinstance(Instruction.model_validate(verl_rows[8].to_json()["instruction"]),
                      Instruction)


def test_examples_are_small_and_readable_with_pyarrow():
    path = EXAMPLES / "verl_sample.parquet"
    assert path.stat().st_size < 100_000
    schema = pq.read_schema(path)
    assert schema.field("prompt").type == pa.list_(pa.struct([("role", pa.string()),
                                                              ("content", pa.string())]))
    assert schema.field("reward_model").type.get_field_index("ground_truth") >= 0


def test_relabel_any_dump_to_parquet_gives_verl_rows(tmp_path):
    """A dump in our own form (IFEval constraints): data_source from the constraints' family,
    q_type from the template, the criteria are the kept constraints' sentences."""
    out = tmp_path / "replays.parquet"
    result = run("relabel", EXAMPLES / "rollouts_sample.jsonl", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    written = pq.read_table(out).to_pylist()
    assert written
    for row in written:
        truth = json.loads(row["reward_model"]["ground_truth"])
        inst = Instruction(task=row["extra_info"]["question"], template=rows.Q_TYPES[
            row["extra_info"]["q_type"]], constraints=[
            {"id": cid, "kwargs": kw} for cid, kw in zip(truth["instruction_id_list"],
                                                         truth["kwargs"])])
        assert row["data_source"] == "type1"  # every constraint of the sample is IFEval's
        assert row["extra_info"]["criteria"] == inst.sentences()
        assert row["prompt"] == [{"role": "user", "content": inst.render()}]


def test_train_names_a_lone_surrogate_by_the_rows_own_field(tmp_path):
    from hir.train.data import load

    flat = json.loads((EXAMPLES / "hir16k_sample.jsonl").read_text().splitlines()[0])
    flat["criteria"][1] = "Highlight \ud800 sections."
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(flat) + "\n", encoding="utf-8")  # JSON escapes the surrogate
    _, rejects = load(path)
    assert [(r.line, r.field) for r in rejects] == [(1, "criteria[1]")]
    assert "lone surrogate" in rejects[0].error
    verl = pq.read_table(EXAMPLES / "verl_sample.parquet").to_pylist()[:1]
    verl[0]["extra_info"]["question"] += " \ud800"
    del verl[0]["prompt"]  # rendered from the parts
    verl_path = tmp_path / "verl.jsonl"  # Parquet's UTF-8 cannot hold a lone surrogate
    verl_path.write_text(json.dumps(verl[0]) + "\n", encoding="utf-8")
    _, rejects = load(verl_path)
    assert [(r.line, r.field) for r in rejects] == [(1, "extra_info.question")]
    assert "lone surrogate" in rejects[0].error
