"""The paper's data in the one row module: MulDimIF items, HIR-16K rows and the verl rows of the
authors' trainer; type4 (VerIF-style code or LLM-judge) rows are rejected, never executed."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraints import ConstraintError
from hir import instructions, rows
from hir.instructions import RULES_HEADER, render
from hir.jsonl import iter_lines
from hir.rewrite import hindsight

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

WORDS = ["Length", "Words", "The answer must contain at least 3 words"]
TIDE = ["Content", "Keywords", "Must include the keyword 'tide'"]
UNPARSED = ["Length", "Sentences", "The answer must contain at least one complete sentence"]

TYPE1 = {"id": "a1", "source": "type1", "question": "Describe a river.",
         "criteria": ["Do not use any commas.", "Use fewer than 20 words."], "q_type": "type4",
         "ground_truth": {"instruction_id_list": ["punctuation:no_comma",
                                                  "length_constraints:number_words"],
                          "kwargs": [{}, {"relation": "less than", "num_words": 20}]}}
TYPE3 = {"id": "c3", "source": "type3", "question": "Explain tides.",
         "criteria": ["Answer in at least 3 words.", "Mention the tide."], "q_type": "type3",
         "ground_truth": {"instruction_id_list": [WORDS, TIDE]}}


def one(value, **kw):
    line = (json.dumps(value) + "\n").encode()
    (item,) = rows.parse_rows(iter_lines([line], "in.jsonl"), **kw)
    return item


def verl(row: dict) -> dict:
    """A HIR-16K row as the authors' verl trainer reads it."""
    inst = one(row).instruction
    return {"id": row["id"], "data_source": row["source"],
            "prompt": [{"role": "system", "content": "Be brief."},
                       {"role": "user", "content": inst.render()}],
            "ability": "instruction_following",
            "reward_model": {"style": "rule", "ground_truth": json.dumps(row["ground_truth"])},
            "extra_info": {"index": 0, "question": row["question"], "criteria": row["criteria"],
                           "q_type": row["q_type"]}}


# -- HIR-16K rows --------------------------------------------------------------------------------


def test_hir16k_row_keeps_task_sentences_and_template_apart():
    row = one(TYPE1)
    inst = row.instruction
    assert row.replayable and row.key == "a1"
    assert inst.task == "Describe a river." and inst.template == "bullets"
    assert inst.ids == TYPE1["ground_truth"]["instruction_id_list"]
    assert inst.sentences() == TYPE1["criteria"]
    assert row.prompt == "Describe a river.\n- Do not use any commas.\n- Use fewer than 20 words."


@pytest.mark.parametrize("q_type,template", sorted(rows.Q_TYPES.items()))
def test_every_q_type_is_one_of_our_templates(q_type, template):
    assert one({**TYPE1, "q_type": q_type}).instruction.template == template


def test_ground_truth_as_json_text_and_ifbench_null_padding():
    padded = {"instruction_id_list": ["count:word_count_range"],
              "kwargs": [{"min_words": 3, "max_words": 9, "keyword": None}]}
    row = one({**TYPE1, "source": "type2", "criteria": ["Use 3 to 9 words."],
               "ground_truth": json.dumps(padded)})
    assert row.ids == ("count:word_count_range",)
    assert [c.check("one two three four").passed for c in row.checkers()] == [True]


def test_type3_ground_truth_holds_muldimif_triples():
    row = one(TYPE3)
    assert row.ids == ("muldimif:words", "muldimif:keywords")
    assert row.kwargs[1] == {"type": "Content", "subtype": "Keywords",
                             "constraint": TIDE[2]}
    assert row.instruction.sentences() == TYPE3["criteria"]  # the wording shown in the prompt
    assert [c.check("the tide rises slowly").passed for c in row.checkers()] == [True, True]


def test_hindsight_replay_renders_task_and_kept_criteria_with_the_rows_template():
    for source in (TYPE1, TYPE3):
        row = one(source)
        replay = hindsight(row.instruction, [False, True])
        assert replay.render() == render(source["question"], source["criteria"][1:],
                                         rows.Q_TYPES[source["q_type"]])
    assert hindsight(one(TYPE3).instruction, [True, False]).render() == (
        f"Explain tides.\n{RULES_HEADER}\n1. Answer in at least 3 words.")


@pytest.mark.parametrize("change,field,message", [
    ({"criteria": ["only one"]}, "criteria", "1 sentences for 2 constraints"),
    ({"criteria": "not a list"}, "criteria", "list of constraint sentences"),
    ({"q_type": "type9"}, "q_type", "must be one of"),
    ({"question": 3}, "question", "must be a string"),
    ({"ground_truth": "{not json"}, "ground_truth", "not JSON"),
    ({"ground_truth": {"kwargs": []}}, "ground_truth", "instruction_id_list"),
    ({"ground_truth": {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}, {}]}},
     "ground_truth.kwargs", "index-aligned"),
    ({"ground_truth": {"instruction_id_list": [["Length", "Words"]]}, "criteria": ["x"]},
     "ground_truth.instruction_id_list[0]", "three strings"),
    ({"ground_truth": {"instruction_id_list": [["Colour", "Hue", "Be red"]]}, "criteria": ["x"]},
     "ground_truth.instruction_id_list[0]", "unknown MulDimIF constraint type"),
])
def test_bad_hir16k_rows_name_their_field(change, field, message):
    reject = one({**TYPE1, **change})
    assert isinstance(reject, rows.Reject)
    assert reject.field == field and message in reject.error and reject.line == 1


def test_bad_parameters_are_named_inside_the_ground_truth():
    bad = copy.deepcopy(TYPE1)
    bad["ground_truth"]["kwargs"][1]["num_words"] = "many"
    with pytest.raises(rows.RowError) as exc:
        one(bad).checkers()
    assert exc.value.field == "ground_truth.kwargs[1].num_words"
    unparsed = {**TYPE3, "ground_truth": {"instruction_id_list": [WORDS, UNPARSED]}}
    one(unparsed).checkers("reference")  # the reference passes what it cannot parse
    with pytest.raises(rows.RowError) as exc:
        one(unparsed).checkers("corrected")
    assert exc.value.field == "ground_truth.instruction_id_list[1][2]"
    assert "complete sentence" in exc.value.message


def test_a_row_without_question_uses_its_prompt_and_is_not_replayable():
    row = one({**{k: v for k, v in TYPE1.items() if k != "question"},
               "prompt": "Describe a river without commas."})
    assert not row.replayable and row.prompt == "Describe a river without commas."
    reject = one({k: v for k, v in TYPE1.items() if k != "question"})
    assert isinstance(reject, rows.Reject) and reject.field == "question"


# -- type4: code from data is never run ----------------------------------------------------------


@pytest.mark.parametrize("row,field", [
    ({**TYPE1, "source": "type4"}, "source"),
    ({**TYPE1, "ground_truth": {**TYPE1["ground_truth"],
                                "functions": ["def evaluate(r):\n    return True"]}},
     "ground_truth.functions"),
    ({**TYPE1, "checkers": ["[llm] Is the answer polite?"]}, "checkers"),
    ({**TYPE1, "ground_truth": json.dumps({"checker": "[rule] len(r) < 9"})},
     "ground_truth.checker"),
    ({**verl(TYPE1), "data_source": "type4"}, "data_source"),
    ({**verl(TYPE1), "extra_info": {"functions": ["import os"]}}, "extra_info.functions"),
])
def test_type4_rows_are_rejected_naming_the_field(row, field, monkeypatch):
    monkeypatch.setattr("builtins.exec", None)  # nothing may execute data
    monkeypatch.setattr("builtins.eval", None)
    reject = one(row)
    assert isinstance(reject, rows.Reject) and reject.field == field
    assert "never executes code" in reject.error


# -- verl rows -----------------------------------------------------------------------------------


def test_verl_row_reads_like_its_hir16k_row():
    for source in (TYPE1, TYPE3):
        row, flat = one(verl(source)), one(source)
        assert row.instruction == flat.instruction and row.replayable
        assert row.given_prompt == flat.prompt  # the last user turn of the chat messages
        assert row.raw["ability"] == "instruction_following"


def test_bad_verl_rows_name_their_field():
    bad = verl(TYPE1)
    gt = json.loads(bad["reward_model"]["ground_truth"])
    gt["kwargs"][1]["num_words"] = -1
    bad["reward_model"]["ground_truth"] = json.dumps(gt)
    with pytest.raises(rows.RowError) as exc:
        one(bad).checkers()
    assert exc.value.field == "reward_model.ground_truth.kwargs[1].num_words"
    short = verl(TYPE1)
    short["extra_info"]["criteria"] = ["one"]
    assert one(short).field == "extra_info.criteria"
    no_user = {**verl(TYPE1), "prompt": [{"role": "system", "content": "x"}]}
    assert one(no_user).field == "prompt"
    bad_turn = {**verl(TYPE1), "prompt": [{"role": "user", "content": 5}]}
    assert one(bad_turn).field == "prompt[0].content"


# -- MulDimIF items ------------------------------------------------------------------------------


LISTING = {"id": "m1", "constraint_pattern": "Listing", "difficulty": "Level 2",
           "conversations": [{"role": "user", "content":
                              f"Explain tides. \n{RULES_HEADER} \n    1. Use at least 3 words. "
                              "\n    2. Mention the tide."}],
           "constraints": [WORDS, TIDE]}


def test_muldimif_listing_item_is_replayable_with_its_rules_as_written():
    row = one(LISTING)
    assert row.replayable and row.pattern == "Listing" and row.difficulty == "Level 2"
    assert row.instruction.task == "Explain tides." and row.instruction.template == "rules"
    assert row.instruction.sentences() == ["Use at least 3 words.", "Mention the tide."]
    assert row.kwargs[0]["constraint"] == WORDS[2]  # the checker reads the triple's sentence
    assert row.names.of(ConstraintError("x", index=1, field="constraint")) == "constraints[1][2]"


def test_muldimif_answer_is_response_or_final_assistant_turn():
    answered = {**LISTING, "conversations": LISTING["conversations"] + [
        {"role": "assistant", "content": "the tide comes in"}]}
    assert one(answered, need="responses").responses == ("the tide comes in",)
    assert one({**LISTING, "response": "x"}, need="responses").responses == ("x",)
    reject = one(LISTING, need="responses")
    assert reject.field == "response" and "final assistant turn" in reject.error


def test_incorporation_prompt_stands_in_for_the_task():
    row = one({"id": "m2", "constraint_pattern": "Incorporation",
               "prompt": "Explain tides in at least 3 words, mentioning the tide.",
               "constraints": [WORDS, TIDE], "response": "tide tide tide"})
    assert not row.replayable and row.prompt.startswith("Explain tides in")
    assert row.ids == ("muldimif:words", "muldimif:keywords")


@pytest.mark.parametrize("constraints,field", [
    ([WORDS, ["Content", "Keywords"]], "constraints[1]"),
    ([WORDS, ["Nope", "Keywords", "x"]], "constraints[1]"),
    ("Format", "constraints"),
])
def test_bad_muldimif_items_name_their_field(constraints, field):
    reject = one({**LISTING, "constraints": constraints})
    assert isinstance(reject, rows.Reject) and reject.field == field


def test_one_row_per_response_gets_a_key_per_response():
    row = one({"id": "m1", "response_index": 3, "prompt": "p", "constraints": [WORDS],
               "response": "a b c"})
    assert row.key == "m1#3"


def test_the_shared_muldimif_listing_sample_parses(tmp_path):
    path = Path(__file__).resolve().parents[2] / "shared/samples/muldimif_listing_sample.json"
    if not path.is_file():
        pytest.skip(f"the MulDimIF listing sample is not at {path} (../shared is absent)")
    loaded, rejects = rows.load(path)
    assert len(loaded) == 40 and rejects == []
    assert [r.lines for r in loaded[:3]] == [(1,), (2,), (3,)]  # item index, 1-based
    assert sum(r.replayable for r in loaded) == 38  # two items' rules do not align


def test_example_files_hold_every_source_and_q_type():
    loaded, rejects = rows.load(EXAMPLES / "hir16k_sample.jsonl")
    assert rejects == [] and len(loaded) == 12 and all(r.replayable for r in loaded)
    text = (EXAMPLES / "hir16k_sample.jsonl").read_text(encoding="utf-8")
    raw = [json.loads(line) for line in text.splitlines()]
    assert {r["source"] for r in raw} == {"type1", "type2", "type3"}
    assert {r["q_type"] for r in raw} == set(rows.Q_TYPES)


# -- the prompt parsers run on every MulDimIF row: linear-time rewrites of their old regexes ------
# (speed itself is measured outside the tests; these check the rewrites change no result)

OLD_RULE = re.compile(r"^\s*(\d+)[.)]\s*(.*?)\s*$")
OLD_LIST = re.compile(r"【Constraint List】\s*:\s*(\[.*\])\s*$", re.DOTALL)
PIECES = st.sampled_from(["【Constraint List】", ":", "[", "]", " ", "\n", "\t", "x", "1", ".",
                          ")", "\u3000"])


SHORT = st.lists(PIECES, max_size=4).map("".join)
# a marker, a separator, a bracketed literal and a tail, each made of the pieces: matches and
# near misses (no colon, text after the "]", a second marker) are all common
LISTED = st.tuples(SHORT, st.sampled_from([":", " :\u3000", ":\n", "", " x:"]), SHORT,
                   st.sampled_from(["", " ", "\n\t", "x", "]", " ]x", "【Constraint List】:[]"])
                   ).map(lambda p: f"{p[0]}【Constraint List】{p[1]}[{p[2]}]{p[3]}")


@settings(max_examples=600, deadline=None)
@given(st.lists(PIECES, max_size=14).map("".join) | LISTED)
def test_constraint_list_finds_what_the_old_regex_found(prompt):
    old = OLD_LIST.search(prompt)
    assert instructions._constraint_list(prompt) == (
        None if old is None else (old.start(), old.group(1)))


@settings(max_examples=600, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_rule_lines_parse_as_with_the_old_regex(text):
    for line in text.splitlines() or [text]:
        old, new = OLD_RULE.match(line), instructions._RULE_RE.match(line)
        assert (old is None) == (new is None)
        if old is not None:
            assert (old.group(1), old.group(2)) == (new.group(1), new.group(2).strip())


def test_wrapped_rules_are_joined_as_before():
    inst = instructions.parse_listing(f"Q\n{RULES_HEADER}\n1. a\n b \nc\n2.  d ")
    assert [c.text for c in inst.constraints] == ["a b c", "d"]


def test_the_authors_rollout_dump_rows_with_muldimif_ground_truths():
    """verl's ``_dump_generations`` rows (input, output, gts, score, step) of a type3 prompt: the
    ground truth holds MulDimIF triples."""
    dump = {"input": "Explain tides.", "output": "the tide rises", "score": 1.0, "step": 4,
            "gts": json.dumps({"instruction_id_list": [WORDS, TIDE]})}
    row = one(dump, need="responses")
    assert row.ids == ("muldimif:words", "muldimif:keywords") and row.responses == (
        "the tide rises",)
    assert [c.check(row.responses[0]).passed for c in row.checkers()] == [True, True]
    bad = {**dump, "gts": json.dumps({"instruction_id_list": [WORDS, UNPARSED]})}
    with pytest.raises(rows.RowError) as exc:
        one(bad).checkers("corrected")
    assert exc.value.field == "gts.instruction_id_list[1][2]"
    assert one({**dump, "gts": json.dumps({"instruction_id_list": [WORDS, 7]})}).field == \
        "gts.instruction_id_list"
