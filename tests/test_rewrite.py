"""Hindsight rewriting, and the invariant: every replay re-checks as fully satisfied under its
hindsight instruction. Checked on real model responses (the shared conformance file) under IFEval
instructions and under MulDimIF listing instructions whose rules were annotated with checker ids.
"""

from __future__ import annotations

import json

import pytest

from constraints import ids
from hir.instructions import ConstraintSpec, Instruction, from_muldimif
from hir.masks import mask
from hir.rewrite import hindsight
from shared_data import SHARED, shared_jsonl

MULDIMIF = SHARED / "samples" / "muldimif_listing_sample.json"


def conformance_rows() -> list[dict]:
    rows = shared_jsonl("conformance/ifeval_llama_3b.jsonl")
    known = set(ids())
    return [r for r in rows if set(r["instruction_id_list"]) <= known]


def instruction(template: str = "rules") -> Instruction:
    return Instruction(task="Describe the sea.", template=template, context="Data: none.",
                       constraints=[
                           ConstraintSpec(id="punctuation:no_comma"),
                           ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["wave"]}),
                           ConstraintSpec(id="change_case:english_lowercase", text="No capitals."),
                       ])


def test_hindsight_keeps_exactly_the_satisfied_constraints_in_order():
    inst = instruction()
    h = hindsight(inst, [True, False, True])
    assert [c.id for c in h.constraints] == ["punctuation:no_comma",
                                             "change_case:english_lowercase"]
    assert (h.task, h.template, h.context) == (inst.task, inst.template, inst.context)
    assert h.constraints[1].text == "No capitals."
    assert "\n2. No capitals." in h.render()
    assert hindsight(inst, [False, False, False]).constraints == []
    with pytest.raises(ValueError):
        hindsight(inst, [True, False])


def assert_invariant(inst: Instruction, response: str, prompt: str | None = None) -> bool:
    """Re-check one response; returns whether it was a replay candidate."""
    m = mask(inst, response, prompt=prompt)
    if not m.partial:
        return False
    h = hindsight(inst, m.satisfied)
    again = mask(h, response)  # judged under the hindsight prompt, as `hir check` would
    assert again.ila, (inst.task[:60], h.ids, [v.explanation for v in again.verdicts])
    assert len(h.constraints) == sum(m.satisfied)
    return True


def test_invariant_on_real_responses_under_ifeval_instructions():
    rows = conformance_rows()
    partial = 0
    for row in rows:
        inst = Instruction(task=row["prompt"], constraints=[
            ConstraintSpec(id=i, kwargs=k or {})
            for i, k in zip(row["instruction_id_list"], row["kwargs"])])
        partial += assert_invariant(inst, row["response"], prompt=row["prompt"])
    assert partial > 30  # the file has plenty of partly followed prompts


# MulDimIF rules annotated by hand with the IFEval checker that checks them (rule index -> spec).
# IFEval's "less than N" is strict, so "at most N" is "less than N + 1".
def words(rel, n):
    return ("length_constraints:number_words", {"relation": rel, "num_words": n})


def sentences(rel, n):
    return ("length_constraints:number_sentences", {"relation": rel, "num_sentences": n})


def keywords(*k):
    return ("keywords:existence", {"keywords": list(k)})


def ends(p):
    return ("startend:end_checker", {"end_phrase": p})


MULDIMIF_ANNOTATIONS = {
    "3901": {0: words("at least", 100), 1: sentences("less than", 11)},
    "3961": {0: keywords("DaVinci Resolve", "blending modes", "examples"), 1: ends(".")},
    "4219": {0: sentences("at least", 3), 3: keywords("Costa Concordia"), 4: ends(".")},
    "4057": {0: words("less than", 51)},
    "3982": {0: words("less than", 101), 1: sentences("less than", 6)},
    "4276": {3: words("less than", 101), 4: sentences("at least", 3), 5: keywords("innovation")},
    "4051": {0: keywords("Delphi"), 1: ends("."), 2: sentences("less than", 3)},
    "3932": {0: words("less than", 101), 1: sentences("at least", 3)},
    "4250": {2: words("less than", 301), 3: sentences("at least", 5), 4: keywords("SEG"),
             5: ends(".")},
    "4098": {0: keywords("Fendall Campus"), 2: words("at least", 100),
             3: sentences("less than", 6)},
    "4059": {1: words("less than", 21), 2: sentences("at least", 2)},
    "4121": {0: ("change_case:english_capital", {}), 2: ends(".")},
}


def muldimif_instructions() -> list[Instruction]:
    if not MULDIMIF.is_file():
        pytest.skip(f"shared MulDimIF sample not found at {MULDIMIF}")
    items = {i["id"]: i for i in json.loads(MULDIMIF.read_text(encoding="utf-8"))}
    out = []
    for item_id, notes in MULDIMIF_ANNOTATIONS.items():
        inst = from_muldimif(items[item_id])
        specs = [ConstraintSpec(id=notes[i][0], kwargs=notes[i][1], text=c.text)
                 if i in notes else c for i, c in enumerate(inst.constraints)]
        annotated = inst.model_copy(update={"constraints": specs})
        out.append(annotated.keep(sorted(notes)))  # only the rules a checker can judge
    return out


def test_invariant_on_real_responses_under_muldimif_instructions():
    responses = [r["response"] for r in conformance_rows()][::4]
    partial = 0
    for inst in muldimif_instructions():
        assert inst.template == "rules"
        for response in responses:
            partial += assert_invariant(inst, response)
    assert partial > 100
