"""Instructions: templates, JSON round-trips, subsets, and MulDimIF listing prompts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from constraints import ConstraintError, checker_class
from hir.instructions import (RULES_HEADER, TEMPLATES, ConstraintSpec, Instruction,
                              from_muldimif, parse_listing)

MULDIMIF = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / \
    "muldimif_listing_sample.json"


def muldimif_items() -> list[dict]:
    if not MULDIMIF.is_file():
        pytest.skip(f"shared MulDimIF sample not found at {MULDIMIF}")
    return json.loads(MULDIMIF.read_text(encoding="utf-8"))


def sample(template: str = "inline") -> Instruction:
    return Instruction(task="Write a short story about a lighthouse.", template=template,
                       constraints=[
                           ConstraintSpec(id="punctuation:no_comma"),
                           ConstraintSpec(id="length_constraints:number_words",
                                          kwargs={"relation": "at least", "num_words": 50}),
                           ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["fog"]},
                                          text="Mention the fog."),
                       ])


@pytest.mark.parametrize("template", TEMPLATES)
def test_json_round_trip_is_lossless(template):
    inst = sample(template)
    assert Instruction.model_validate(inst.model_dump()) == inst
    assert Instruction.model_validate_json(inst.model_dump_json()) == inst
    assert Instruction.from_json(inst.to_json()) == inst
    assert Instruction.from_json(json.dumps(inst.to_json())) == inst
    assert Instruction.from_json(inst.to_json()).render() == inst.render()


def test_sentences_are_text_else_the_checkers_describe():
    inst = sample()
    s = inst.sentences()
    assert s[0] == checker_class("punctuation:no_comma")(
        checker_class("punctuation:no_comma").Params()).describe()
    assert "50" in s[1]
    assert s[2] == "Mention the fog."


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_contains_task_and_all_sentences_once(template):
    inst = sample(template)
    prompt = inst.render()
    assert prompt.count(inst.task) == 1
    for sentence in inst.sentences():
        assert prompt.count(sentence) == 1


def test_template_layouts():
    task, s = "Do it.", ["First rule.", "Second rule."]
    specs = [ConstraintSpec(id="text:rule", text=t) for t in s]

    def r(template):
        return Instruction(task=task, constraints=specs, template=template).render()

    assert r("inline") == "Do it. First rule. Second rule."
    assert r("newline") == "Do it.\nFirst rule. Second rule."
    assert r("rules") == f"Do it.\n{RULES_HEADER}\n1. First rule.\n2. Second rule."
    assert r("bullets") == "Do it.\n- First rule.\n- Second rule."
    assert r("prefix") == "First rule. Second rule.\n\nDo it."
    assert r("lines") == "Do it.\nFirst rule.\nSecond rule."


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_constraints_renders_the_bare_task(template):
    assert Instruction(task="  Just answer. ", template=template).render() == "Just answer."


def test_unknown_template_is_rejected():
    with pytest.raises(ValueError):
        Instruction(task="x", template="table")


def test_keep_is_a_subset_in_original_order_and_leaves_the_original_alone():
    inst = sample("rules")
    sub = inst.keep([2, 0])
    assert [c.id for c in sub.constraints] == ["punctuation:no_comma", "keywords:existence"]
    assert sub.task == inst.task and sub.template == "rules"
    assert len(inst.constraints) == 3
    assert sub.render().endswith("\n2. Mention the fog.")  # renumbered
    with pytest.raises(IndexError):
        inst.keep([3])


def test_messages():
    inst = sample()
    assert inst.messages() == [{"role": "user", "content": inst.render()}]
    assert inst.messages("Be brief.") == [{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": inst.render()}]


def test_checkers_are_index_aligned_and_errors_name_the_constraint():
    inst = sample()
    assert [c.id for c in inst.checkers()] == inst.ids
    bad = Instruction(task="x", constraints=[ConstraintSpec(id="punctuation:no_comma"),
                                             ConstraintSpec(id="length_constraints:number_words",
                                                            kwargs={"num_words": "many"})])
    with pytest.raises(ConstraintError) as exc:
        bad.checkers()
    assert exc.value.index == 1 and exc.value.field == "num_words"


def test_extra_fields_are_rejected():
    with pytest.raises(ValueError):
        Instruction.model_validate({"task": "x", "constraints": [], "colour": "red"})
    with pytest.raises(ValueError):
        ConstraintSpec.model_validate({"id": "punctuation:no_comma", "kwarg": {}})


# -- MulDimIF listing prompts -------------------------------------------------------------------

def test_parse_listing_with_the_public_spacing():
    prompt = ("Explain tides. \nThe output must follow the following rules: \n"
              "    1. At most 50 words. \n    2. Must include the keyword 'moon' \n")
    inst = parse_listing(prompt)
    assert inst.task == "Explain tides."
    assert [c.text for c in inst.constraints] == ["At most 50 words.",
                                                  "Must include the keyword 'moon'"]
    assert inst.template == "rules"
    assert inst.render() == (f"Explain tides.\n{RULES_HEADER}\n1. At most 50 words.\n"
                             "2. Must include the keyword 'moon'")


def test_parse_listing_errors():
    with pytest.raises(ValueError, match="header"):
        parse_listing("Explain tides. Use at most 50 words.")
    with pytest.raises(ValueError, match="numbered 3"):
        parse_listing(f"Explain.\n{RULES_HEADER}\n1. One.\n3. Three.")
    with pytest.raises(ValueError, match="no numbered rule"):
        parse_listing(f"Explain.\n{RULES_HEADER}\n")


def test_parse_listing_with_ids_makes_rules_checkable():
    prompt = f"Explain tides.\n{RULES_HEADER}\n1. Do not use commas.\n2. Say moon."
    inst = parse_listing(prompt, ["punctuation:no_comma",
                                  ConstraintSpec(id="keywords:existence",
                                                 kwargs={"keywords": ["moon"]})])
    assert inst.ids == ["punctuation:no_comma", "keywords:existence"]
    assert inst.constraints[1].text == "Say moon."
    assert [c.passed for c in (ch.check("The moon pulls") for ch in inst.checkers())] == \
        [True, True]
    with pytest.raises(ValueError, match="index-aligned"):
        parse_listing(prompt, ["punctuation:no_comma"])


def _numbered_lines(prompt: str) -> list[str]:
    after = re.split(r"the output must follow the following rules\s*:", prompt, flags=re.I)[1]
    block = after.split("\n\n")[0]
    return [re.sub(r"^\s*\d+\.\s*", "", l).strip() for l in block.splitlines()
            if re.match(r"^\s*\d+\.", l)]


def test_every_muldimif_sample_item_parses_and_round_trips():
    items = muldimif_items()
    assert len(items) == 40
    for item in items:
        prompt = item["conversations"][0]["content"]
        inst = from_muldimif(item)
        assert [c.text for c in inst.constraints] == _numbered_lines(prompt), item["id"]
        assert prompt.strip().startswith(inst.task)
        again = parse_listing(inst.render())
        assert (again.task, again.context) == (inst.task, inst.context)
        assert [c.text for c in again.constraints] == [c.text for c in inst.constraints]
        assert Instruction.model_validate_json(inst.model_dump_json()) == inst


def test_muldimif_drop_rules_and_renumber():
    for item in muldimif_items():
        inst = from_muldimif(item)
        if len(inst.constraints) < 3:
            continue
        sub = inst.keep([1, len(inst.constraints) - 1])
        rendered = sub.render()
        assert _numbered_lines(rendered) == [inst.constraints[1].text,
                                             inst.constraints[-1].text]
        assert "\n1. " in rendered and "\n2. " in rendered and "\n3. " not in rendered
        assert inst.constraints[0].text not in rendered.split(RULES_HEADER)[1]


def test_muldimif_data_section_is_kept_as_context():
    items = [i for i in muldimif_items() if "【Data】" in i["conversations"][0]["content"]]
    assert items, "the sample has items with a data section"
    for item in items:
        inst = from_muldimif(item)
        assert inst.context.startswith("【Data】")
        assert inst.render().endswith(inst.context)
        assert "【Data】" not in "".join(c.text for c in inst.constraints)


def test_muldimif_default_ids_follow_the_constraint_types():
    item = next(i for i in muldimif_items() if i["id"] == "3901")
    assert from_muldimif(item).ids == ["text:length_words", "text:length_sentences"]


def test_muldimif_constraint_list_form():
    item = {"conversations": [{"role": "user", "content":
                               "Summarise this. \n    【Constraint List】:[['Length', 'Words', "
                               "'At most 100 words']]"}], "constraints": []}
    inst = from_muldimif(item)
    assert inst.task == "Summarise this."
    assert [(c.id, c.text) for c in inst.constraints] == [("text:length_words",
                                                           "At most 100 words")]
