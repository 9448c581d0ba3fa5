"""The one row module: every row form, field paths as the user's row spells them, one reject
record written the same way by `hir check`, `hir relabel` and `hir train`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from hir import rows
from hir.jsonl import iter_lines

runner = CliRunner()
NO_COMMA = {"id": "punctuation:no_comma", "kwargs": {}}
WORDS = {"id": "length_constraints:number_words",
         "kwargs": {"relation": "less than", "num_words": 20}}
HIR = {"task": "Write a haiku about snow.", "constraints": [NO_COMMA, WORDS]}


def parsed(*values, need=None, dump=True):
    data = [(json.dumps(v) + "\n").encode() for v in values]
    return list(rows.parse_rows(iter_lines(data, "in.jsonl"), need=need, dump=dump))


def one(value, need=None, dump=True):
    (item,) = parsed(value, need=need, dump=dump)
    return item


# -- each form ----------------------------------------------------------------------------------


def test_ifeval_form():
    row = one({"key": 7, "prompt": "Write a haiku. No commas.",
               "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}], "response": "a"})
    assert row.key == 7 and row.instruction.ids == ["punctuation:no_comma"]
    assert row.prompt == "Write a haiku. No commas." and not row.replayable
    assert row.responses == ("a",) and not row.multi and row.lines == (1,)


def test_ifeval_form_with_a_task_is_replayable():
    row = one({"prompt": "Write a haiku. No commas.", "task": "Write a haiku.",
               "instruction_id_list": ["punctuation:no_comma"], "template": "lines"})
    assert row.replayable and row.instruction.task == "Write a haiku."
    assert row.instruction.template == "lines" and row.prompt == "Write a haiku. No commas."


def test_hir_form_nested_and_at_the_top_level():
    nested = one({"id": "g", "instruction": HIR, "responses": ["x", "y"],
                  "entropies": [0.5, [1.0, 3.0]], "step": 3})
    top = one(dict(HIR))
    assert nested.instruction == top.instruction and nested.replayable and top.replayable
    assert nested.multi and nested.responses == ("x", "y") and nested.entropies == (0.5, 2.0)
    assert nested.step == 3 and nested.group == "g" and nested.prompt == nested.instruction.render()
    assert top.responses == () and top.key is None


@pytest.mark.parametrize("field", ["gts", "ground_truth", "reward_model.ground_truth"])
def test_verl_rows_with_the_spec_as_a_json_string(field):
    spec = json.dumps({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}],
                       "task": "Write a haiku."})
    value = {"input": "<|user|>Write a haiku. No commas.", "output": "snow falls", "score": 0}
    head, _, last = field.rpartition(".")
    (value.setdefault(head, {}) if head else value)[last] = spec
    row = one(value, need="responses")
    assert row.responses == ("snow falls",) and row.replayable
    assert row.given_prompt == "<|user|>Write a haiku. No commas."
    assert row.instruction.task == "Write a haiku."


def test_a_constraint_list_takes_the_prompt_as_its_task():
    row = one({"prompt": "Write.", "gts": [NO_COMMA], "response": "a"})
    assert row.instruction.task == "Write." and not row.replayable


def test_per_response_rows_group_by_key_then_by_prompt():
    lines = list(iter_lines([(json.dumps(v) + "\n").encode() for v in [
        {"uid": "a", "instruction": HIR, "response": "r1", "entropy": 0.1},
        {"uid": "a", "instruction": HIR, "response": "r2", "entropy": 0.2},
        {"uid": "b", "instruction": HIR, "response": "r3"},
        {"uid": "b", "instruction": {"task": "Other.", "constraints": []}, "response": "r4"},
        {"input": "p", "output": "o1", "gts": [NO_COMMA]},
        {"input": "p", "output": "o2", "gts": [NO_COMMA]},
    ]], "dump.jsonl"))
    got = list(rows.groups(lines))
    assert [type(g).__name__ for g in got] == ["Row", "Reject", "Row", "Row"]
    a, bad, b, verl = got
    assert a.responses == ("r1", "r2") and a.entropies == (0.1, 0.2) and a.lines == (1, 2)
    assert b.responses == ("r3",) and b.entropies is None
    assert verl.responses == ("o1", "o2") and verl.lines == (5, 6)
    assert bad.line == 4 and "group's first row (line 3)" in bad.error


def test_two_file_form():
    prompts = list(iter_lines([b'{"key": 1, "prompt": "A", "instruction_id_list": []}\n'], "p"))
    responses = rows.load_responses(
        iter_lines([b'{"prompt": "A", "response": "a"}\n', b'{"prompt": "B"}\n'], "r"), "r")
    (line,) = rows.attach_responses(prompts, responses)
    assert line.value["response"] == "a"
    assert [(r.line, r.field) for r in responses.rejected] == [(2, "response")]


# -- errors name the field as the row spells it ---------------------------------------------------


def bad_words(instruction_field):
    return {"id": "length_constraints:number_words",
            "kwargs": {"relation": "less than", instruction_field: 0}}


@pytest.mark.parametrize("value, field", [
    ({"instruction": {"task": "t", "constraints": [{"id": "length_constraints:number_words",
                                                    "kwargs": {"relation": "at most", "num_words": 3}}]},
      "response": "x"}, "instruction.constraints[0].kwargs.relation"),
    ({"instruction": {"task": "t", "constraints": [{"id": "no:such"}]}, "response": "x"},
     "instruction.constraints[0].id"),
    ({"task": "t", "constraints": [NO_COMMA, {"id": "no:such"}]}, "constraints[1].id"),
    ({"prompt": "p", "instruction_id_list": ["punctuation:no_comma", "no:such"],
      "response": "x"}, "instruction_id_list[1]"),
    ({"prompt": "p", "instruction_id_list": ["length_constraints:number_words"],
      "kwargs": [{"relation": "nope", "num_words": 3}], "response": "x"}, "kwargs[0].relation"),
    ({"input": "p", "output": "x",
      "reward_model": {"ground_truth": json.dumps({"instruction_id_list": ["no:such"]})}},
     "reward_model.ground_truth.instruction_id_list[0]"),
    ({"prompt": "p", "gts": [NO_COMMA, {"id": "no:such"}], "response": "x"}, "gts[1].id"),
])
def test_checker_errors_name_the_row_s_own_field(value, field):
    row = one(value)
    with pytest.raises(rows.RowError) as exc:
        row.checkers("corrected")
    assert exc.value.field == field


@pytest.mark.parametrize("value, field", [
    ({"instruction": {"task": "t", "constraints": [{"id": "x:y", "kwags": {}}]}},
     "instruction.constraints[0].kwags"),
    ({"instruction": {"constraints": []}}, "instruction.task"),
    ({"gts": [{"id": "x:y"}, {"kwargs": {}}], "prompt": "p"}, "gts[1].id"),
    ({"gts": "{not json", "prompt": "p"}, "gts"),
    ({"instruction": HIR, "responses": "x"}, "responses"),
    ({"instruction": HIR, "response": "x", "step": -1}, "step"),
    ({"instruction": HIR, "responses": ["a"], "entropies": [1, 2]}, "entropies"),
    ({"instruction": HIR, "response": "a", "entropy": [1.0]}, "entropy"),
    ({"instruction_id_list": ["punctuation:no_comma"], "template": "poem"}, "template"),
])
def test_parse_errors_name_the_row_s_own_field(value, field):
    item = one(value)
    assert isinstance(item, rows.Reject) and item.field == field and item.line == 1


# -- the same reject from all three commands ------------------------------------------------------


ZERO_WORDS = {"key": "z", "instruction": {"task": "Write about rain.", "constraints": [
    {"id": "length_constraints:number_words", "kwargs": {"relation": "less than",
                                                         "num_words": 0}}]}}
FIELD = "instruction.constraints[0].kwargs.num_words"


def read(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l]


def test_check_relabel_and_train_report_one_bad_row_alike(tmp_path):
    pytest.importorskip("torch")
    from tiny_model import write_tiny

    good = {"key": "ok", "instruction": HIR}
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps({**r, "response": "snow"}) + "\n"
                            for r in (good, ZERO_WORDS)))
    check = runner.invoke(app, ["check", str(data), "-o", str(tmp_path / "c.jsonl"), "-q"],
                          catch_exceptions=False)
    relabel = runner.invoke(app, ["relabel", str(data), "-o", str(tmp_path / "r.jsonl"), "-q"],
                            catch_exceptions=False)
    model_dir, _ = write_tiny(tmp_path / "tiny")
    train = runner.invoke(app, ["train", "--model", str(model_dir), "--data", str(data),
                                "--eval-data", str(data), "--max-steps", "0", "-q",
                                "-o", str(tmp_path / "run")], catch_exceptions=False)
    assert (check.exit_code, relabel.exit_code, train.exit_code) == (1, 1, 1), \
        (check.output, relabel.output, train.output)
    records = [read(tmp_path / "c.rejects.jsonl"), read(tmp_path / "r.rejects.jsonl"),
               read(tmp_path / "run" / "rejects.jsonl")]
    expected = {"source": str(data), "line": 2, "key": "z", "field": FIELD}
    for found in records:
        assert [{k: r[k] for k in expected} for r in found][-1] == expected
        assert list(found[-1]) == ["source", "line", "key", "field", "error"]
    assert len({r[-1]["error"] for r in records}) == 1  # one message, not three
    for result in (check, relabel, train):
        assert f"{data}:2: key 'z': field '{FIELD}': " in result.stderr


def test_check_reads_no_dump_fields():
    """`hir check` neither reads nor rejects a row over what only a dump uses."""
    row = one({"key": 1, "instruction_id_list": ["punctuation:no_comma"], "response": "a",
               "step": -1, "entropy": [1.0], "logprobs": [1]}, dump=False)
    assert isinstance(row, rows.Row) and row.step is None and row.entropies is None


def test_numbers_too_large_for_a_float_are_a_reject():
    item = one({"instruction": HIR, "response": "a", "entropy": 10 ** 400})
    assert isinstance(item, rows.Reject) and item.field == "entropy"
    item = one({"instruction": HIR, "responses": ["a"], "logprobs": [[-(10 ** 400)]]})
    assert isinstance(item, rows.Reject) and item.field == "logprobs[0]"


def test_a_spec_with_only_a_prompt_has_no_task():
    row = one({"input": "p", "output": "x", "ground_truth": {
        "instruction_id_list": ["punctuation:no_comma"], "prompt": "Write. No commas."}})
    assert not row.replayable and row.instruction.task == "Write. No commas."
    row = one({"input": "p", "output": "x", "ground_truth": {
        "instruction_id_list": ["punctuation:no_comma"], "task": "Write."}})
    assert row.replayable and row.instruction.task == "Write."


def test_a_lone_surrogate_in_a_verl_dump_groups_like_any_text():
    raw = [json.dumps({"input": "p\ud800", "output": o, "gts": [NO_COMMA]}).encode() + b"\n"
           for o in ("a", "b")]
    (group,) = rows.groups(iter_lines(raw, "dump.jsonl"))
    assert group.responses == ("a", "b")
