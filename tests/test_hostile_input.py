"""Hostile input: whatever a policy or a stranger's dump holds, every row of `hir check`, `hir
relabel` and `hir train --data` gives an output row or a reject naming file, line and field, never
a traceback; the output is valid JSON and UTF-8; a crash exits 2, never 1."""

from __future__ import annotations

import io
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from cli.main import app
from hir import checking, jsonl, rows
from hir.relabel import RelabelConfig, relabel_stream
from hir.knobs import lambda_at
from hir.select import mean_entropy

runner = CliRunner()
INSTRUCTION = {"task": "Write about rain.", "constraints": [
    {"id": "punctuation:no_comma"}, {"id": "change_case:english_lowercase"}]}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def lines_of(*texts: str, source="in.jsonl"):
    return list(jsonl.iter_lines([(t + "\n").encode("utf-8", "surrogatepass") for t in texts],
                                 source))


def valid_jsonl(text: str) -> list:
    text.encode("utf-8")  # no lone surrogate written raw
    return [json.loads(line, parse_constant=_no_constants) for line in text.split("\n") if line]


def _no_constants(name):
    raise AssertionError(f"{name} is not JSON")


# -- each family of the probe -----------------------------------------------------------------


@pytest.mark.parametrize("text, error", [
    ('{"key": ' + "9" * 5000 + "}", "integer string conversion"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"key": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
])
def test_deep_or_huge_json_is_a_rejected_line(text, error):
    (line,) = lines_of(text)
    assert not line.ok and error in line.error
    (result,) = checking.score_rows([line])
    assert not result.ok and result.reject.line == 1


def test_lone_surrogates_are_written_as_escapes(tmp_path):
    rows_in = tmp_path / "in.jsonl"
    rows_in.write_text(
        '{"key": "\\ud800", "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], '
        '"response": "a\\udc00, b"}\n'
        '{"id": "\\ud800", "instruction": {"task": "t\\ud800", "constraints": '
        '[{"id": "punctuation:no_comma"}, {"id": "change_case:english_lowercase"}]}, '
        '"responses": ["A b\\ud800", "a, b"]}\n', encoding="utf-8")
    out, replays = tmp_path / "out.jsonl", tmp_path / "replays.jsonl"
    assert invoke("check", rows_in, "-o", out, "-q").exit_code == 0
    checked = valid_jsonl(out.read_text(encoding="utf-8"))
    assert checked[0]["key"] == "\ud800" and checked[0]["strict"] == [False]
    assert invoke("relabel", rows_in, "-o", replays, "-q").exit_code == 0
    (replay,) = valid_jsonl(replays.read_text(encoding="utf-8"))
    assert replay["source_id"] == "\ud800" and replay["response"] == "A b\ud800"


def test_a_training_prompt_with_a_lone_surrogate_is_rejected_by_field(tmp_path):
    from hir.train import data

    path = tmp_path / "d.jsonl"
    path.write_text('{"instruction": {"task": "Write \\ud800.", "constraints": []}}\n'
                    '{"instruction": {"task": "Write.", "constraints": '
                    '[{"id": "punctuation:no_comma", "text": "No \\udfff commas."}]}}\n'
                    '{"prompt": "Write \\ud800.", "instruction_id_list": []}\n'
                    '{"instruction": {"task": "Write.", "constraints": []}}\n', encoding="utf-8")
    items, rejects = data.load(path)
    assert len(items) == 1
    assert [r.field for r in rejects] == ["instruction.task", "instruction.constraints[0].text",
                                          "prompt"]


def test_huge_steps_and_log_probs_stay_finite_numbers(tmp_path):
    assert lambda_at(14_600) == lambda_at(10 ** 9) and math.isfinite(lambda_at(14_600))
    assert lambda_at(3) == pytest.approx(2.0 * 1.05 ** 3)
    assert mean_entropy(logprobs=[-1e308, -1e308]) == pytest.approx(1e308)
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in [
        {"id": "g", "step": 14_600, "instruction": INSTRUCTION, "responses": ["a, b", "A B"]},
        {"id": "h", "instruction": INSTRUCTION, "responses": ["A B"],
         "logprobs": [[-1e308, -1e308]]},
    ]) + "\n" + '{"id": "n", "step": NaN, "instruction": {"task": "t"}, "responses": ["x"]}\n')
    out = tmp_path / "out.jsonl"
    result = invoke("relabel", dump, "-o", out, "-q")
    assert result.exit_code == 1 and "field 'step': must be an integer >= 0, got nan" in \
        result.stderr
    replays = valid_jsonl(out.read_text())
    assert [r["source_id"] for r in replays] == ["g", "h"]
    assert math.isfinite(replays[0]["lambda"]) and math.isfinite(replays[1]["score"])


def test_a_nan_key_is_echoed_as_valid_json(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"key": NaN, "instruction_id_list": [], "response": "x"}\n'
                   '{"key": Infinity, "instruction_id_list": ["no:such"], "response": "x"}\n')
    out = tmp_path / "out.jsonl"
    assert invoke("check", src, "-o", out, "-q").exit_code == 1
    assert [r["key"] for r in valid_jsonl(out.read_text())] == ["NaN", "Infinity"]
    assert valid_jsonl((tmp_path / "out.rejects.jsonl").read_text())[0]["key"] == "Infinity"


def test_exit_status_tells_a_crash_from_a_rejected_row(tmp_path, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_text('{"key": 1, "instruction_id_list": [], "response": "x"}\n{oops\n')
    assert invoke("check", src, "-q").exit_code == 1          # complete, one row rejected
    src.write_text('{"key": 1, "instruction_id_list": [], "response": "x"}\n')
    assert invoke("check", src, "-q").exit_code == 0

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(checking, "score_rows", broken)
    result = invoke("check", src, "-q")
    assert result.exit_code == 2 and "aborted: RuntimeError: a bug" in result.stderr
    monkeypatch.setattr("hir.relabel.relabel_stream", broken)
    assert invoke("relabel", src, "-q").exit_code == 2


# -- a property-based fuzzer of the three row parsers ---------------------------------------------

FIELDS = ["key", "id", "uid", "prompt", "task", "template", "instruction", "instruction_id_list",
          "kwargs", "response", "responses", "entropies", "entropy", "token_entropies",
          "logprobs", "step", "input", "output", "gts", "ground_truth", "reward_model",
          "constraints", "context", "text"]
IDS = ["punctuation:no_comma", "keywords:existence", "length_constraints:number_words",
       "detectable_format:title", "no:such", ""]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(IDS + ["less than", "at least"]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                   blacklist_categories=()), max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(FIELDS + ["id", "kwargs", "num_words", "relation",
                                              "keywords"]), inner, max_size=5)),
    max_leaves=20)
row_objects = st.dictionaries(st.sampled_from(FIELDS), values, max_size=7)


def encoded(value) -> bytes:
    return (json.dumps(value, ensure_ascii=True) + "\n").encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(row_objects.map(encoded), st.binary(max_size=30).map(lambda b: b + b"\n")),
                min_size=1, max_size=6))
def test_fuzzed_rows_are_each_accounted_for(tmp_path_factory, raw_lines):
    blob = b"".join(raw_lines)
    lines = list(jsonl.iter_lines(io.BytesIO(blob), "fuzz.jsonl"))
    # hir check: one result per non-blank line, each valid JSON
    results = list(checking.score_rows(lines))
    assert len(results) == len(lines)
    for result in results:
        valid_jsonl(jsonl.dumps(result.to_json()))
        if not result.ok:
            assert result.reject.source == "fuzz.jsonl" and result.reject.line >= 1
            valid_jsonl(jsonl.dumps(result.reject.to_json()))
    # hir relabel: every line is in a group or a reject
    covered = []
    for event in relabel_stream(rows.groups(lines), config=RelabelConfig(budget="global")):
        for row in event.rows:
            valid_jsonl(jsonl.dumps(row))
        covered += [r.line for r in event.rejects]
        covered += [0] * (event.consumed - len(event.rejects))
    assert len(covered) == len(lines)
    # hir train --data
    from hir.train import data

    path = tmp_path_factory.mktemp("fuzz") / "data.jsonl"
    path.write_bytes(blob)
    items, rejects = data.load(path)
    assert len(items) + len(rejects) == len(lines)
    for item in items:
        item.prompt.encode("utf-8")
        valid_jsonl(jsonl.dumps(item.to_json()))


def test_line_separator_characters_are_escaped_so_a_jsonl_line_stays_one_line():
    # U+0085, U+2028, U+2029 end a line for str.splitlines() and JavaScript
    text = jsonl.dumps({"key": "a\x85b\u2028c\u2029d", "ok": "é"})
    assert text.splitlines() == [text]
    assert "\\u0085" in text and "é" in text
    assert json.loads(text) == {"key": "a\x85b\u2028c\u2029d", "ok": "é"}
