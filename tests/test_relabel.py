"""The relabeling pipeline: batches, the re-check under the hindsight prompt, dump forms, rejects."""

from __future__ import annotations

import json

import pytest

from constraints import Checker, Verdict, registry
from constraints.base import verdict
from hir.rows import Reject, Row, RowError, groups as groups_from_lines, read_groups
from hir.instructions import ConstraintSpec, Instruction
from hir.jsonl import iter_lines
from hir.masks import mask
from hir.relabel import (RelabelConfig, Summary, group_masks, recheck,
                         relabel, relabel_batch, relabel_stream)
from hir.knobs import lambda_at

NO_COMMA = ConstraintSpec(id="punctuation:no_comma")
LOWER = ConstraintSpec(id="change_case:english_lowercase")
WAVE = ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["wave"]})
INST = Instruction(task="Describe the sea.", constraints=[NO_COMMA, LOWER, WAVE])

RESPONSES = [
    "the sea is calm and a wave rolls in",          # all three
    "The sea is calm and a wave rolls in",          # no_comma, wave
    "The sea, calm, grey",                          # nothing
    "the sea is calm, a wave rolls in slowly",      # lower, wave
    "The sea is calm",                              # no_comma
]


def lines(rows) -> list:
    return list(iter_lines([(json.dumps(r) + "\n").encode() if not isinstance(r, bytes) else r
                            for r in rows], "dump.jsonl"))


LAM0 = lambda_at(0)



def Group(name, instruction, responses, **fields):
    """A parsed group as ``hir.rows`` gives it (group key ``name``)."""
    return Row.of(instruction, responses=tuple(responses), group=name, **fields)

def test_relabel_batch_replays_only_partial_failures_within_budget():
    group = Group("g", INST, RESPONSES)
    replays = relabel_batch([group], lambda_=LAM0, config=RelabelConfig(k=2))
    assert [(r.group, r.response) for r in replays] == [(0, 1), (0, 3)]  # CLA 2/3 beats 1/3
    for r in replays:
        assert mask(r.instruction, RESPONSES[r.response]).ila
        assert r.instruction == INST.keep(r.kept)
        assert r.cla == pytest.approx(2 / 3) and r.score == pytest.approx(LAM0 * 2 / 3)
    assert [r.kept for r in replays] == [(0, 2), (1, 2)]
    everything = relabel_batch([group], lambda_=LAM0, config=RelabelConfig(k=10))
    assert [r.response for r in everything] == [1, 3, 4]


def test_relabel_takes_parallel_lists_and_checks_their_lengths():
    masks = group_masks(Group("g", INST, RESPONSES))
    got = relabel([INST], [RESPONSES], [masks], [None], lambda_=LAM0)
    assert got == relabel_batch([Group("g", INST, RESPONSES)], lambda_=LAM0)
    assert relabel([INST], [[]], [[]], [[]], lambda_=LAM0) == []  # a group left out
    with pytest.raises(ValueError):
        relabel([INST], [RESPONSES], [masks], [], lambda_=LAM0)


def test_entropies_change_the_choice():
    group = Group("g", INST, RESPONSES, entropies=[0.0, 0.1, 0.0, 0.1, 5.0])
    chosen = relabel_batch([group], lambda_=LAM0, config=RelabelConfig(k=1))
    assert [r.response for r in chosen] == [4]  # diverse beats nearly right at step 0
    late = relabel_batch([group], lambda_=lambda_at(100), config=RelabelConfig(k=1))
    assert late[0].response in (1, 3)


def test_global_budget_over_a_batch():
    rich = Group("rich", INST, RESPONSES)
    poor = Group("poor", INST, [RESPONSES[0], RESPONSES[2]])  # no candidate
    by_group = relabel_batch([rich, poor], lambda_=LAM0, config=RelabelConfig(k=1))
    overall = relabel_batch([rich, poor], lambda_=LAM0,
                            config=RelabelConfig(k=1, budget="global"))
    assert [(r.group, r.response) for r in by_group] == [(0, 1)]
    assert [(r.group, r.response) for r in overall] == [(0, 1), (0, 3)]


def test_precomputed_masks_are_used():
    group = Group("g", INST, RESPONSES)
    masks = group_masks(group)
    assert relabel_batch([group], lambda_=LAM0, masks=[masks]) == \
        relabel_batch([group], lambda_=LAM0)
    with pytest.raises(ValueError):
        relabel_batch([group], lambda_=LAM0, masks=[])


class EndsWithPromptTail(Checker):
    """Test checker that reads the prompt: the response must end with the prompt's last line."""

    uses_prompt = True

    def describe(self) -> str:
        return "End with the last line of this prompt."

    def check(self, response: str) -> Verdict:
        tail = (self.prompt or "").splitlines()[-1]
        return verdict(response.strip().endswith(tail), f"needs to end with {tail!r}")


@pytest.fixture
def prompt_checker():
    registry.register("hirtest:ends_with_prompt_tail")(EndsWithPromptTail)
    yield ConstraintSpec(id="hirtest:ends_with_prompt_tail")
    registry._REGISTRY.pop("hirtest:ends_with_prompt_tail", None)  # leave the registry as found


def test_recheck_drops_constraints_whose_verdict_depends_on_the_rewritten_prompt(prompt_checker):
    lower = LOWER.model_copy(update={"text": "write in lowercase."})
    no_comma = NO_COMMA.model_copy(update={"text": "use no commas at all."})
    inst = Instruction(task="Describe the sea.", template="lines",
                       constraints=[prompt_checker, lower, no_comma])
    assert inst.render().splitlines()[-1] == "use no commas at all."
    response = "Calm Sea, use no commas at all."  # ends with the original prompt's last line
    m = mask(inst, response)
    assert m.satisfied == [True, False, False]
    # the hindsight prompt ends differently: a replay of constraint 0 alone would lie
    assert not mask(inst.keep([0]), response).ila
    assert recheck(inst, response, m.satisfied) == ([False, False, False], None)
    assert relabel_batch([Group("g", inst, [response])], lambda_=LAM0) == []

    response2 = "the sea is calm and grey today, use no commas at all."
    m2 = mask(inst, response2)
    assert m2.satisfied == [True, True, False]
    assert recheck(inst, response2, m2.satisfied) == ([False, True, False], inst.keep([1]))
    (replay,) = relabel_batch([Group("g", inst, [response2])], lambda_=LAM0)
    assert replay.kept == (1,) and replay.instruction == inst.keep([1])
    assert mask(replay.instruction, response2).ila
    (row,) = [r for e in relabel_stream([Group("g", inst, [response2])]) for r in e.rows]
    assert (row["kept"], row["dropped"]) == ([1], [0, 2])


def test_achieved_only_discards_a_replay_the_recheck_would_shorten(prompt_checker):
    words = ConstraintSpec(id="length_constraints:number_words",
                           kwargs={"num_words": 3, "relation": "less than"},
                           text="Use less than 3 words.")
    inst = Instruction(task="Describe the sea.", template="lines",
                       constraints=[prompt_checker, words])
    response = "Calm sea. Use less than 3 words."   # 7 words; ends with the prompt's last line
    assert mask(inst, response).satisfied == [True, False]
    # stating the count it met ("less than 8 words") changes the prompt's last line, so the
    # prompt-reading constraint no longer holds under the hindsight prompt
    group = Group("g", inst, [response])
    (shorter,) = relabel_batch([group], lambda_=LAM0, config=RelabelConfig(rewrite="achieved"))
    assert shorter.kept == (1,) and shorter.rephrased == (1,)
    assert relabel_batch([group], lambda_=LAM0, config=RelabelConfig(rewrite="achieved_only")) == []


def test_group_errors_name_the_field():
    bad = Group("g", Instruction(task="x", constraints=[
        NO_COMMA, ConstraintSpec(id="length_constraints:number_words",
                                 kwargs={"relation": "about", "num_words": 3})]), ["a"])
    with pytest.raises(RowError) as exc:
        group_masks(bad)
    assert exc.value.field == "instruction.constraints[1].kwargs.relation"
    unknown = Group("g", Instruction(task="x", constraints=[ConstraintSpec(id="no:such")]), ["a"])
    with pytest.raises(RowError) as exc:
        group_masks(unknown)
    assert exc.value.field == "instruction.constraints[0].id"


# -- dump forms ----------------------------------------------------------------------------------

def native_row(gid="g1", **extra):
    return {"id": gid, "instruction": INST.to_json(), "responses": RESPONSES[:2], **extra}


def test_native_group_rows():
    (g,) = groups_from_lines(lines([native_row(step=4, entropies=[0.5, [1.0, 3.0]])]))
    assert isinstance(g, Row)
    assert (g.group, g.instruction, g.responses, g.step) == ("g1", INST, tuple(RESPONSES[:2]), 4)
    assert g.entropies == (0.5, 2.0)
    assert g.lines == (1,) and g.source == "dump.jsonl"
    (g,) = groups_from_lines(lines([native_row(logprobs=[[-1.0, -3.0], [-0.5]])]))
    assert g.entropies == (2.0, 0.5)


def test_ifeval_group_rows():
    row = {"key": 7, "prompt": "Describe the sea without commas.", "task": "Describe the sea.",
           "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}],
           "responses": ["a", "b, c"], "template": "bullets"}
    (g,) = groups_from_lines(lines([row]))
    assert g.group == "7" and g.instruction.task == "Describe the sea."
    assert g.instruction.template == "bullets" and g.prompt == row["prompt"]
    assert g.has_task
    del row["task"]
    (g,) = groups_from_lines(lines([row]))
    assert g.instruction.task == row["prompt"] and not g.has_task


def test_per_response_rows_group_by_consecutive_key():
    inst = INST.to_json()
    rows = [{"uid": "a", "instruction": inst, "response": "x", "entropy": 1.0},
            {"uid": "a", "instruction": inst, "response": "y", "token_entropies": [2.0, 4.0]},
            {"uid": "b", "instruction": inst, "response": "z"},
            {"uid": "a", "instruction": inst, "response": "w"}]
    got = list(groups_from_lines(lines(rows)))
    assert [(g.group, g.responses, g.lines) for g in got] == [
        ("a", ("x", "y"), (1, 2)), ("b", ("z",), (3,)), ("a", ("w",), (4,))]
    assert got[0].entropies == (1.0, 3.0) and got[1].entropies is None


def test_verl_rollout_rows():
    spec = json.dumps({"task": "Describe the sea.",
                       "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]})
    prompt = "<|im_start|>user\nDescribe the sea. Do not use commas.<|im_end|>\n"
    rows = [{"input": prompt, "output": "calm sea", "gts": spec, "score": 1.0, "step": 12},
            {"input": prompt, "output": "calm, sea", "gts": spec, "score": 0.0, "step": 12},
            {"input": prompt, "output": "x", "gts": spec, "score": 0.0, "step": 13},
            {"input": "other", "output": "y", "score": 0.0,
             "reward_model": {"ground_truth": [{"id": "punctuation:no_comma"}]}}]
    got = list(groups_from_lines(lines(rows)))
    assert [len(g.responses) for g in got] == [2, 1, 1]
    assert [g.step for g in got] == [12, 13, None]
    assert got[0].instruction.task == "Describe the sea." and got[0].prompt == prompt
    assert got[0].names.spec == "gts"
    assert got[2].instruction.task == "other" and not got[2].has_task
    assert got[2].instruction.ids == ["punctuation:no_comma"]


def test_bad_rows_are_rejected_with_line_and_field_and_the_rest_is_read():
    good = native_row()
    rows = [good,
            b"{not json\n",
            {"id": "x", "instruction": INST.to_json(), "responses": "one"},
            {"id": "x", "instruction": {"task": "t", "constraints": [{"kwargs": {}}]},
             "responses": ["a"]},
            {"id": "x", "instruction": INST.to_json(), "responses": ["a"], "entropies": [1, 2]},
            {"id": "x", "instruction": INST.to_json(), "responses": ["a"], "step": -1},
            {"id": "y", "response": "a"},
            {"id": "z", "prompt": "p", "instruction_id_list": ["a:b"], "kwargs": [{}, {}],
             "responses": ["a"]},
            good]
    got = list(groups_from_lines(lines(rows)))
    rejects = [x for x in got if isinstance(x, Reject)]
    assert [r.line for r in rejects] == [2, 3, 4, 5, 6, 7, 8]
    assert [r.field for r in rejects] == [None, "responses", "instruction.constraints[0].id",
                                          "entropies", "step", "instruction_id_list", "kwargs"]
    assert all(r.message().startswith(f"dump.jsonl:{r.line}:") for r in rejects)
    assert [x.lines for x in got if isinstance(x, Row)] == [(1,), (9,)]


def test_a_conflicting_row_inside_a_group_is_rejected():
    other = Instruction(task="Other.", constraints=[NO_COMMA]).to_json()
    rows = [{"group": "a", "instruction": INST.to_json(), "response": "x"},
            {"group": "a", "instruction": other, "response": "y"},
            {"group": "a", "instruction": INST.to_json(), "response": "z"}]
    got = list(groups_from_lines(lines(rows)))
    assert isinstance(got[0], Reject) and got[0].line == 2 and "line 1" in got[0].error
    assert got[1].responses == ("x", "z") and got[1].lines == (1, 3)


# -- streaming -----------------------------------------------------------------------------------

def stream_rows(items, **kw):
    summary = Summary()
    events = list(relabel_stream(items, summary=summary, **kw))
    return [r for e in events for r in e.rows], [x for e in events for x in e.rejects], summary


def test_stream_writes_replays_originals_and_a_true_summary():
    bad = Group("bad", Instruction(task="x", constraints=[ConstraintSpec(id="no:such")]),
                ["a"], source="d.jsonl", lines=(2,))
    items = [Group("g", INST, RESPONSES), bad, Group("h", INST, [RESPONSES[2]])]
    rows, rejects, s = stream_rows(items, include_originals=True)
    originals = [r for r in rows if r["kind"] == "original"]
    replays = [r for r in rows if r["kind"] == "replay"]
    assert [r["reward"] for r in originals] == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert [(r["source_id"], r["response_index"]) for r in replays] == [("g", 1), ("g", 3)]
    assert [(r.line, r.field) for r in rejects] == [(2, "instruction.constraints[0].id")]
    data = s.to_json()
    assert data["groups"] == 2 and data["responses"] == 6 and data["rejected_rows"] == 1
    assert data["ila"] == pytest.approx(1 / 6)
    assert data["all_failed_groups_before"] == 1 and data["all_failed_groups_after"] == 1
    assert data["replays"] == 2 and data["mean_kept_constraints"] == 2.0
    assert data["originals_written"] == 6


def test_global_budget_batches_by_step():
    items = [Group("a", INST, RESPONSES, step=1), Group("b", INST, [RESPONSES[2]], step=1),
             Group("c", INST, RESPONSES, step=2)]
    rows, _, _ = stream_rows(items, config=RelabelConfig(k=1, budget="global"))
    assert [(r["source_id"], r["response_index"]) for r in rows] == [
        ("a", 1), ("a", 3), ("c", 1)]
    assert rows[0]["lambda"] == lambda_at(1) and rows[2]["lambda"] == lambda_at(2)
    capped, _, _ = stream_rows(items, config=RelabelConfig(k=1, budget="global"),
                               batch_groups=1)
    assert [(r["source_id"], r["response_index"]) for r in capped] == [("a", 1), ("c", 1)]


def test_workers_give_identical_output():
    items = [Group(f"g{i}", INST, RESPONSES[i % 5:] + RESPONSES[:i % 5]) for i in range(12)]
    one, _, _ = stream_rows(items, include_originals=True)
    two, _, _ = stream_rows(items, include_originals=True, workers=2)
    assert one == two and len(one) > 12


def test_read_groups_from_a_file(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(native_row()) + "\n\n" + json.dumps(native_row("g2")) + "\n")
    got = list(read_groups(path))
    assert [g.lines for g in got] == [(1,), (3,)]


def test_replay_rows_are_built_from_the_selection():
    rows, _, _ = stream_rows([Group("g", INST, RESPONSES)], system="sys", default_step=3)
    row = rows[0]
    assert list(row) == ["kind", "source_id", "response_index", "instruction", "prompt",
                         "messages", "response", "reward", "kept", "dropped", "rephrased",
                         "cla", "score", "lambda"]
    hind = INST.keep([0, 2])
    assert (row["kind"], row["source_id"], row["response_index"]) == ("replay", "g", 1)
    assert Instruction.model_validate(row["instruction"]) == hind
    assert row["prompt"] == hind.render() and "lowercase" not in row["prompt"]
    assert row["messages"] == [{"role": "system", "content": "sys"},
                               {"role": "user", "content": row["prompt"]}]
    assert (row["response"], row["reward"]) == (RESPONSES[1], 1.0)
    assert (row["kept"], row["dropped"], row["rephrased"]) == ([0, 2], [1], [])
    assert row["lambda"] == lambda_at(3)
    assert row["cla"] == pytest.approx(2 / 3)
    assert row["score"] == pytest.approx(lambda_at(3) * 2 / 3)  # no entropies: CLA alone
