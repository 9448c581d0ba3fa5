"""Masks agree with the official reference verdicts on real responses, and count correctly."""

from __future__ import annotations

import pytest

from constraints import ConstraintError, Verdict, ids
from hir.instructions import ConstraintSpec, Instruction
from hir.masks import from_verdicts, mask, masks
from shared_data import shared_jsonl


def conformance_rows() -> list[dict]:
    rows = shared_jsonl("conformance/ifeval_llama_3b.jsonl")
    known = set(ids())
    return [r for r in rows if set(r["instruction_id_list"]) <= known]


def as_instruction(row: dict) -> Instruction:
    return Instruction(task=row["prompt"], constraints=[
        ConstraintSpec(id=i, kwargs=k or {}) for i, k in zip(row["instruction_id_list"],
                                                            row["kwargs"])])


@pytest.mark.parametrize("mode", ["strict", "loose"])
def test_masks_match_the_reference_on_real_responses(mode):
    rows = [r for r in conformance_rows() if mode not in r.get("reference_unstable", [])]
    assert len(rows) > 300
    disagree = []
    for row in rows:
        m = mask(as_instruction(row), row["response"], mode=mode, prompt=row["prompt"])
        if m.satisfied != row[mode]:
            disagree.append(row["key"])
        assert m.ila == all(row[mode]) or row["key"] in disagree
    assert disagree == []


def test_cla_and_ila():
    ok, bad = Verdict(True, "ok"), Verdict(False, "no")
    m = from_verdicts([ok, bad, ok, ok])
    assert m.satisfied == [True, False, True, True]
    assert (m.ila, m.cla, m.partial) == (False, 0.75, True)
    assert from_verdicts([ok, ok]).ila and not from_verdicts([ok, ok]).partial
    assert not from_verdicts([bad]).partial
    empty = from_verdicts([])
    assert (empty.ila, empty.cla) == (True, 1.0)
    gone = from_verdicts([Verdict(False, "no data", unavailable=True), ok])
    assert gone.unavailable == [0] and gone.satisfied == [False, True]


def test_mask_of_a_real_check():
    inst = Instruction(task="Describe rain.", constraints=[
        ConstraintSpec(id="punctuation:no_comma"),
        ConstraintSpec(id="change_case:english_lowercase")])
    m = mask(inst, "Rain falls softly")
    assert m.satisfied == [True, False]
    assert m.cla == 0.5
    assert "comma" in m.verdicts[0].explanation or m.verdicts[0].passed
    assert mask(inst, "   ").satisfied == [False, False]  # the engine fails empty responses


def test_loose_mode_and_shared_checkers():
    inst = Instruction(task="x", constraints=[ConstraintSpec(id="change_case:english_lowercase")])
    response = "Sure! Here it is:\nall lower case text here"
    assert mask(inst, response).satisfied == [False]
    assert mask(inst, response, mode="loose").satisfied == [True]
    group = masks(inst, [response, "this sentence is written in lower case only"], mode="loose")
    assert [g.satisfied for g in group] == [[True], [True]]
    with pytest.raises(ValueError):
        mask(inst, response, checkers=[])


def test_unknown_constraint_raises_naming_it():
    inst = Instruction(task="x", constraints=[ConstraintSpec(id="nope:nothing")])
    with pytest.raises(ConstraintError) as exc:
        mask(inst, "hello")
    assert exc.value.index == 0 and exc.value.constraint_id == "nope:nothing"
