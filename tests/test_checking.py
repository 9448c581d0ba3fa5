"""hir.checking and hir.jsonl: row parsing, scoring, rejects, the two-file join and the summary."""

from __future__ import annotations

import io
import json

import pytest

from constraints import Checker, NoParams, Verdict, registry
from hir import checking, jsonl, rows
from hir.checking import Line, score_rows, strip_thinking, summarize


def row(key, ids, response, kwargs=None, **extra):
    out = {"key": key, "prompt": f"prompt {key}", "instruction_id_list": ids,
           "kwargs": [{} for _ in ids] if kwargs is None else kwargs, "response": response}
    out.update(extra)
    return out


def lines_of(text: str, source: str = "in.jsonl") -> list[Line]:
    return list(jsonl.iter_lines(io.BytesIO(text.encode()), source))


@pytest.fixture
def private_registry(monkeypatch):
    """A registry copy that test checkers can be added to and that vanishes after the test."""
    registry.ids()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def add(constraint_id: str, cls: type[Checker]) -> None:
        registry.register(constraint_id)(cls)

    return add


# -- jsonl --------------------------------------------------------------------------------------


def test_read_jsonl_numbers_physical_lines_and_keeps_bad_lines(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n  \n{"a": \n[1]\n"x"\n\xff\xfe{}\n{"a": 2}')
    got = list(jsonl.read_jsonl(path))
    assert [(g.number, g.ok) for g in got] == [(1, True), (4, False), (5, False), (6, False),
                                               (7, False), (8, True)]
    assert got[0].value == {"a": 1} and got[-1].value == {"a": 2}
    assert got[1].error.startswith("malformed JSON")
    assert got[2].error == "expected a JSON object, got an array"
    assert got[3].error == "expected a JSON object, got a string"
    assert got[4].error == "invalid UTF-8 at byte 0 of the line"
    assert got[1].where() == f"{path}:4"
    assert jsonl.count_lines(path) == 8


def test_count_lines_with_trailing_newline(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("{}\n{}\n")
    assert jsonl.count_lines(path) == 2
    assert jsonl.count_lines("-") is None


# -- scoring ------------------------------------------------------------------------------------


def test_scores_strict_and_loose_with_explanations():
    # The first line has the comma: strict fails, loose (without the first line) passes.
    [result] = score_rows([row(7, ["punctuation:no_comma"], "Sure, here it is:\nNo commas here")])
    assert result.ok and result.key == 7 and result.line == 1
    out = result.to_json()
    assert out["strict"] == [False] and out["loose"] == [True]
    assert out["follow_all_strict"] is False and out["follow_all_loose"] is True
    assert out["failures"] == [{"index": 0, "id": "punctuation:no_comma", "mode": "strict",
                                "explanation": "found 1 comma(s), need none"}]
    assert out["instruction_id_list"] == ["punctuation:no_comma"]


def test_repeated_ids_are_index_aligned():
    [result] = score_rows([row(1, ["punctuation:no_comma", "punctuation:no_comma"], "a, b")])
    assert result.to_json()["strict"] == [False, False]
    assert [f.index for f in result.samples[0].failures] == [0, 1, 0, 1]


def test_kwargs_may_be_absent():
    r = row(1, ["punctuation:no_comma"], "fine")
    del r["kwargs"]
    [result] = score_rows([r])
    assert result.ok and result.to_json()["strict"] == [True]


@pytest.mark.parametrize("bad, field, message", [
    ({"instruction_id_list": ["nope:nothing"]}, "instruction_id_list[0]",
     "unknown constraint id 'nope:nothing'"),
    ({"kwargs": [{"bogus": 3}]}, "kwargs[0].bogus", "unknown parameter"),
    ({"kwargs": [{}, {}]}, "kwargs", "2 entries for 1 instruction ids"),
    ({"kwargs": {"a": 1}}, "kwargs", "must be a list"),
    ({"kwargs": ["x"]}, "kwargs[0]", "must be an object"),
    ({"response": None}, "response", "must be a string, got null"),
    ({"response": ...}, "response", "missing: give 'response' or 'responses'"),
    ({"instruction_id_list": "punctuation:no_comma"}, "instruction_id_list",
     "must be a list of constraint id strings"),
    ({"instruction_id_list": ...}, "instruction_id_list", "neither 'instruction_id_list'"),
    ({"prompt": 5}, "prompt", "must be a string, got int"),
])
def test_bad_rows_are_rejected_and_the_others_scored(bad, field, message):
    broken = row(2, ["punctuation:no_comma"], "x")
    for name, value in bad.items():
        if value is ...:
            del broken[name]
        else:
            broken[name] = value
    rows = [row(1, ["punctuation:no_comma"], "ok"), broken, row(3, ["punctuation:no_comma"], "a,")]
    results = list(score_rows(rows, source="in.jsonl"))
    assert [r.ok for r in results] == [True, False, True]
    rejected = results[1]
    assert rejected.field == field and message in rejected.error
    assert rejected.to_json() == {"key": 2, "line": 2, "error": rejected.error, "field": field}
    assert rejected.reject.message().startswith(f"in.jsonl:2: key 2: field '{field}': ")
    assert results[2].to_json()["strict"] == [False]


def test_missing_required_parameter_names_the_field():
    if "keywords:existence" not in registry.ids():
        pytest.skip("needs the IFEval checker keywords:existence")
    [result] = score_rows([row(1, ["punctuation:no_comma", "keywords:existence"], "x",
                               kwargs=[{}, {}])])
    assert not result.ok and result.field == "kwargs[1].keywords"
    assert "required parameter is missing" in result.error


def test_malformed_lines_become_rejected_rows():
    text = '{"key": 1, "instruction_id_list": ["punctuation:no_comma"], "response": "a"}\n{oops\n'
    results = list(score_rows(lines_of(text)))
    assert [r.ok for r in results] == [True, False]
    assert results[1].to_json()["line"] == 2 and "malformed JSON" in results[1].error
    assert results[1].to_json()["key"] is None


class _Unavailable(Checker):
    Params = NoParams

    def describe(self) -> str:
        return "Needs data that is not installed."

    def check(self, response: str) -> Verdict:
        return Verdict(False, "the data package is not installed", unavailable=True)


class _Crashes(Checker):
    def describe(self) -> str:
        return "Crashes."

    def check(self, response: str) -> Verdict:
        raise RuntimeError("boom")


class _SemanticsSensitive(Checker):
    """Passes only under corrected semantics: shows that the option reaches the checker."""

    def describe(self) -> str:
        return "Be corrected."

    def check(self, response: str) -> Verdict:
        return Verdict(self.corrected, f"semantics is {self.semantics}")


def test_unavailable_verdict_rejects_the_row(private_registry):
    private_registry("test:unavailable", _Unavailable)
    results = list(score_rows([row(1, ["punctuation:no_comma", "test:unavailable"], "x"),
                               row(2, ["punctuation:no_comma"], "x")]))
    assert [r.ok for r in results] == [False, True]
    assert results[0].field == "instruction_id_list[1]"
    assert "could not be checked: the data package is not installed" in results[0].error


def test_crashing_checker_rejects_only_its_row(private_registry):
    private_registry("test:crashes", _Crashes)
    results = list(score_rows([row(1, ["test:crashes"], "x"), row(2, ["punctuation:no_comma"], "x")]))
    assert [r.ok for r in results] == [False, True]
    assert "RuntimeError: boom" in results[0].error


class _BadConstructor(Checker):
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("cannot build")


def test_checker_that_cannot_be_built_rejects_only_its_row(private_registry):
    private_registry("test:bad_init", _BadConstructor)
    results = list(score_rows([row(1, ["test:bad_init"], "x"), row(2, ["punctuation:no_comma"], "x")]))
    assert [r.ok for r in results] == [False, True]
    assert "RuntimeError: cannot build" in results[0].error


def test_semantics_reaches_the_checkers(private_registry):
    private_registry("test:semantics", _SemanticsSensitive)
    rows = [row(1, ["test:semantics"], "x")]
    [reference] = score_rows(rows)
    [corrected] = score_rows(rows, semantics="corrected")
    assert reference.to_json()["strict"] == [False] and corrected.to_json()["strict"] == [True]
    with pytest.raises(ValueError, match="semantics"):
        list(score_rows(rows, semantics="lenient"))


class _EchoesPrompt(Checker):
    """Passes when the response starts with the prompt (reads the prompt, like repeat checkers)."""

    uses_prompt = True

    def describe(self) -> str:
        return "Start by repeating the request."

    def check(self, response: str) -> Verdict:
        return Verdict(response.startswith(self.prompt), f"the prompt is {self.prompt!r}")


def test_prompt_reading_checkers_get_the_prompt(private_registry):
    private_registry("test:echo", _EchoesPrompt)
    with_prompt = row(1, ["test:echo"], "prompt 1 and more")
    without = row(2, ["test:echo"], "prompt 2")
    del without["prompt"]
    results = list(score_rows([with_prompt, without]))
    assert results[0].to_json()["strict"] == [True]
    assert not results[1].ok and results[1].field == "prompt"
    assert "needs the prompt" in results[1].error


def test_hir_form_gives_prompt_readers_the_rendered_instruction(private_registry):
    pytest.importorskip("hir.instructions")
    private_registry("test:echo", _EchoesPrompt)
    instruction = {"task": "Name a river.", "constraints": [{"id": "test:echo", "kwargs": {}}]}
    rendered = "Name a river. Start by repeating the request."
    [result] = score_rows([{"instruction": instruction, "response": rendered + " The Nile."}])
    assert result.to_json()["strict"] == [True]
    # A row's own prompt wins over the rendering.
    [result] = score_rows([{"instruction": instruction, "prompt": "Q", "response": "Q: Nile"}])
    assert result.to_json()["strict"] == [True]


# -- --strip-thinking ---------------------------------------------------------------------------


@pytest.mark.parametrize("response, answer", [
    ("<think>hmm, well</think>\n\nThe answer", "The answer"),
    ("  \n<think>a\nb</think>answer", "answer"),
    ("reasoning, in a template that opened the block</think>\nanswer", "answer"),
    ("<think>never finished, sorry", ""),
    ("no thinking here, at all", "no thinking here, at all"),
    ("answer <think>inline</think> tail", "answer <think>inline</think> tail"),
])
def test_strip_thinking(response, answer):
    assert strip_thinking(response) == answer


def test_strip_thinking_changes_the_verdict():
    rows = [row(1, ["punctuation:no_comma"], "<think>Well, let me see.</think>No commas at all")]
    [plain] = score_rows(rows)
    [stripped] = score_rows(rows, strip_thinking=True)
    assert plain.to_json()["strict"] == [False] and stripped.to_json()["strict"] == [True]


# -- workers --------------------------------------------------------------------------------------


def test_workers_give_identical_results_in_order():
    rows = []
    for i in range(60):
        if i % 7 == 3:
            rows.append(row(i, ["nope:nothing"], "x"))
        else:
            rows.append(row(i, ["punctuation:no_comma"] * (1 + i % 3), "a, b" if i % 2 else "ab"))
    one = [r.to_json() for r in score_rows(rows)]
    two = [r.to_json() for r in score_rows(rows, workers=2, chunksize=4)]
    assert two == one
    assert [o["key"] for o in two] == list(range(60))
    assert sum("error" in o for o in two) == len([i for i in range(60) if i % 7 == 3])


def test_stopping_early_with_workers_does_not_hang():
    rows = (row(i, ["punctuation:no_comma"], "x") for i in range(10_000))
    results = score_rows(rows, workers=2, chunksize=2)
    first = [next(results) for _ in range(5)]
    results.close()
    assert [r.key for r in first] == [0, 1, 2, 3, 4]


# -- the hir instruction form ---------------------------------------------------------------------


def test_hir_instruction_form_with_several_responses():
    pytest.importorskip("hir.instructions")
    r = {"key": "g1", "instruction": {"task": "Greet me.",
                                      "constraints": [{"id": "punctuation:no_comma", "kwargs": {}}]},
         "responses": ["Hello there", "Hello, there"]}
    [result] = score_rows([r])
    out = result.to_json()
    assert out["instruction_id_list"] == ["punctuation:no_comma"]
    assert [s["strict"] for s in out["responses"]] == [[True], [False]]
    summary = summarize([result])
    assert (summary.rows, summary.samples, summary.prompt_strict) == (1, 2, 1)


def test_hir_instruction_form_errors_name_the_field():
    pytest.importorskip("hir.instructions")
    bad_spec = {"key": "g2", "instruction": {"task": "Greet me.",
                                             "constraints": [{"id": "punctuation:no_comma",
                                                              "kwags": {}}]},
                "response": "x"}
    no_response = {"key": "g3", "instruction": {"task": "Greet me."}}
    results = list(score_rows([bad_spec, no_response]))
    assert results[0].field == "instruction.constraints[0].kwags"
    assert results[1].field == "response" and "or 'responses'" in results[1].error


# -- two-file form ------------------------------------------------------------------------------


def test_two_file_join_on_prompt_text():
    prompts = lines_of("".join(json.dumps(r) + "\n" for r in [
        {"key": 1, "prompt": "A", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
        {"key": 2, "prompt": "B", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
        {"key": 3, "prompt": "C", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
    ]), "prompts.jsonl")
    responses = rows.load_responses(lines_of("".join(json.dumps(r) + "\n" for r in [
        {"prompt": "C", "response": "c, c"},
        {"prompt": "A", "response": "aaa"},
        {"prompt": "A", "response": "aaa"},        # an exact duplicate is harmless
        {"prompt": "C", "response": "different"},  # ambiguous: rejected
        {"prompt": "Z", "response": "zzz"},        # no such prompt: reported as unused
        {"response": "no prompt"},
    ]), "responses.jsonl"), "responses.jsonl")
    results = list(score_rows(rows.attach_responses(prompts, responses)))
    assert [r.ok for r in results] == [True, False, True]
    assert results[0].to_json()["strict"] == [True] and results[2].to_json()["strict"] == [False]
    assert results[1].key == 2 and results[1].field == "response"
    assert results[1].reject.message() == ("prompts.jsonl:2: key 2: field 'response': no response "
                                           "to this prompt in responses.jsonl")
    assert [(r.line, r.field) for r in responses.rejected] == [(4, "response"), (6, "prompt")]
    assert [(r.line, r.source) for r in responses.unused()] == [(5, "responses.jsonl")]


# -- summary ----------------------------------------------------------------------------------------


def test_summary_counts_prompt_and_instruction_level():
    rows = [
        row(1, ["punctuation:no_comma"], "pass"),
        row(2, ["punctuation:no_comma", "punctuation:no_comma"], "first, line\nsecond"),
        row(3, ["nope:nothing"], "rejected"),
    ]
    summary = summarize(score_rows(rows))
    assert (summary.rows, summary.scored, summary.rejected) == (3, 2, 1)
    # strict: row 1 passes, row 2 fails both; loose: row 2 passes without its first line.
    assert (summary.samples, summary.prompt_strict, summary.prompt_loose) == (2, 1, 2)
    assert (summary.instructions, summary.instruction_strict, summary.instruction_loose) == (3, 1, 3)
    data = summary.to_json()
    assert data["prompt_strict"] == 0.5 and data["instruction_strict"] == pytest.approx(1 / 3)
    assert data["per_id"] == {"punctuation:no_comma": {"count": 3, "strict": pytest.approx(1 / 3),
                                                       "loose": 1.0}}
    assert summary.any_rejected


def test_empty_summary_has_no_rates():
    data = summarize([]).to_json()
    assert data["rows"] == 0 and data["prompt_strict"] is None and data["per_id"] == {}


def test_rows_without_key_are_named_by_id_or_replay_source():
    from hir.rows import row_key

    assert row_key({"key": 7, "id": "x"}) == 7
    assert row_key({"id": "group-3"}) == "group-3"
    assert row_key({"source_id": "sea", "response_index": 2}) == "sea#2"
    assert row_key({"source_id": "sea"}) == "sea"
    assert row_key(["not", "a", "row"]) is None and row_key({}) is None
