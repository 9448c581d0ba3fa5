"""Hindsight rewriting that states what a response did (``rewrite="achieved"``, beyond the paper):
``Checker.achieved`` proposes parameters, ``ConstraintSpec.with_kwargs`` rephrases the wording,
``hir.rewrite.hindsight`` and ``hir.relabel`` build replays that still re-check fully satisfied."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli.main import app
from constraints import build
from hir.instructions import ConstraintSpec, Instruction
from hir.knobs import RelabelConfig
from hir.masks import mask
from hir.relabel import relabel
from hir.rewrite import achieved, hindsight

SEMANTICS = ("reference", "corrected")
# every family with achieved parameters, with valid current parameters
ACHIEVABLE = {
    "length_constraints:number_words": {"num_words": 10, "relation": "less than"},
    "length_constraints:number_sentences": {"num_sentences": 3, "relation": "at least"},
    "detectable_format:number_bullet_lists": {"num_bullets": 3},
    "startend:end_checker": {"end_phrase": "thank you"},
}
TEXT = st.text(alphabet=st.sampled_from("ab .,!?*-\n\"'"), max_size=200) | st.text(max_size=100)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_achieved_parameters_pass_their_own_check(response):
    for cid, kwargs in ACHIEVABLE.items():
        for semantics in SEMANTICS:
            got = build(cid, kwargs, semantics=semantics).achieved(response)
            if got is not None:
                assert build(cid, got, semantics=semantics).check(response).passed, (cid, got)


def test_achieved_states_what_the_response_did():
    bullets = "* The sea is calm.\n* Waves roll in."
    assert build("detectable_format:number_bullet_lists", {"num_bullets": 3}
                 ).achieved(bullets) == {"num_bullets": 2}
    assert build("detectable_format:number_bullet_lists", {"num_bullets": 3}
                 ).achieved("No list here.") is None  # "0 bullet points" is no instruction
    words = build("length_constraints:number_words", {"num_words": 3, "relation": "less than"})
    assert words.achieved("one two three four") == {"num_words": 5, "relation": "less than"}
    at_least = build("length_constraints:number_words", {"num_words": 9, "relation": "at least"})
    assert at_least.achieved("one two three four") == {"num_words": 4, "relation": "at least"}
    assert at_least.achieved("...") is None
    end = build("startend:end_checker", {"end_phrase": "thank you"})
    assert end.achieved('"The sea is calm.\nSee you soon."') == {"end_phrase": "you soon."}
    # a phrase never spans lines: the last line's words only
    assert end.achieved("The sea is calm\nbye.") == {"end_phrase": "bye."}
    assert end.achieved('  "" ') is None
    # yes/no families have nothing to state
    assert build("punctuation:no_comma", {}).achieved("a, b") is None


def test_with_kwargs_rephrases_a_written_sentence_or_refuses():
    bullets = ConstraintSpec(id="detectable_format:number_bullet_lists", kwargs={"num_bullets": 3},
                             text="Use exactly 3 bullet points.")
    assert bullets.with_kwargs({"num_bullets": 2}).text == "Use exactly 2 bullet points."
    end = ConstraintSpec(id="startend:end_checker", kwargs={"end_phrase": "peace"},
                         text="End with the words peace.")
    assert end.with_kwargs({"end_phrase": "my friends."}).text == "End with the words my friends.."
    # the old value appears twice, or not as a whole word: the sentence cannot be trusted
    twice = ConstraintSpec(id="detectable_format:number_bullet_lists", kwargs={"num_bullets": 1},
                           text="Use 1 list of 1 bullet.")
    assert twice.with_kwargs({"num_bullets": 2}) is None
    inside = ConstraintSpec(id="detectable_format:number_bullet_lists", kwargs={"num_bullets": 3},
                            text="Use exactly 13 bullet points.")
    assert inside.with_kwargs({"num_bullets": 2}) is None
    # without a written sentence the checker's own sentence follows the parameters
    plain = ConstraintSpec(id="detectable_format:number_bullet_lists", kwargs={"num_bullets": 3})
    moved = plain.with_kwargs({"num_bullets": 2})
    assert moved.text is None and "exactly 2 bullet points" in moved.sentence()


INST = Instruction(task="Write about the sea.", constraints=[
    ConstraintSpec(id="length_constraints:number_words",
                   kwargs={"num_words": 4, "relation": "less than"}, text="Use less than 4 words."),
    ConstraintSpec(id="punctuation:no_comma", text="Do not use commas."),
    ConstraintSpec(id="detectable_format:number_bullet_lists", kwargs={"num_bullets": 3},
                   text="Use exactly 3 bullet points."),
    ConstraintSpec(id="change_case:english_lowercase", text="Use only lowercase letters."),
])
RESPONSE = "* The sea, is calm.\n* Waves roll in."   # 7 words, a comma, 2 bullets, capitals


def test_achieved_families_limits_what_is_stated():
    m = mask(INST, RESPONSE, semantics="corrected")
    only_bullets = achieved(INST, RESPONSE, m.satisfied, semantics="corrected",
                            families={"detectable_format:number_bullet_lists"})
    assert [r.text if r else None for r in only_bullets] == [
        None, None, "Use exactly 2 bullet points.", None]
    config = RelabelConfig(k=1, rewrite="achieved", semantics="corrected",
                           achieved_families=("detectable_format:number_bullet_lists",))
    (s,) = relabel([INST], [[RESPONSE.lower()]], [[mask(INST, RESPONSE.lower(),
                                                        semantics="corrected")]],
                   [None], lambda_=2.0, config=config)
    # the failed word count is dropped, the bullet count stated, lowercase kept
    assert s.instruction.render() == ("Write about the sea. Use exactly 2 bullet points. "
                                      "Use only lowercase letters.")


def test_hindsight_with_replacements_keeps_order_and_drops_the_rest():
    m = mask(INST, RESPONSE, semantics="corrected")
    assert m.satisfied == [False, False, False, False]
    replace = achieved(INST, RESPONSE, m.satisfied, semantics="corrected")
    assert [r.text if r else None for r in replace] == [
        "Use less than 8 words.", None, "Use exactly 2 bullet points.", None]
    h = hindsight(INST, m.satisfied, replace)
    assert h.render() == ("Write about the sea. Use less than 8 words. "
                          "Use exactly 2 bullet points.")
    assert mask(h, RESPONSE, semantics="corrected").ila
    with pytest.raises(ValueError):
        hindsight(INST, m.satisfied, replace[:2])


@pytest.mark.parametrize("rewrite", ["keep", "achieved"])
def test_relabel_replays_recheck_fully_satisfied(rewrite):
    responses = ["* the sea is calm.\n* waves roll in.",      # lowercase, no comma, 2 bullets
                 "* the sea, calm.\n* waves.\n* foam.",       # lowercase, 3 bullets, a comma
                 "The sea."]                                  # no comma and short only
    masks = [mask(INST, r, semantics="corrected") for r in responses]
    config = RelabelConfig(k=3, rewrite=rewrite, semantics="corrected")
    chosen = relabel([INST], [responses], [masks], [None], lambda_=2.0, config=config)
    assert len(chosen) == 3
    for s in chosen:
        response, m = responses[s.response], masks[s.response]
        assert mask(s.instruction, response, semantics="corrected").ila
        kept_satisfied = [i for i in s.kept if m.satisfied[i]]
        assert kept_satisfied == [i for i, ok in enumerate(m.satisfied) if ok]
        assert set(s.rephrased) == set(s.kept) - set(kept_satisfied)
        if rewrite == "keep":
            assert s.rephrased == ()
    if rewrite == "achieved":
        first = next(s for s in chosen if s.response == 0)
        assert first.rephrased == (0, 2)   # 8 words -> "less than 9", 2 bullets
        assert "Use exactly 2 bullet points." in first.instruction.render()


def test_achieved_only_replays_only_responses_that_need_no_drop():
    responses = ["* the sea is calm.\n* waves roll in.",      # fails words, bullets: both stated
                 "* the sea, calm.\n* waves.\n* foam.",       # fails no-comma: cannot be stated
                 "The sea."]                                  # 0 bullets, capitals: cannot be
    masks = [mask(INST, r, semantics="corrected") for r in responses]
    # the two responses that would need a drop have the higher entropy: with one replay per
    # group, "achieved" takes one of them, "achieved_only" the one that needs no drop
    entropies = [[0.0, 1.0, 1.0]]

    def chosen(rewrite):
        config = RelabelConfig(k=1, rewrite=rewrite, semantics="corrected")
        return relabel([INST], [responses], [masks], entropies, lambda_=2.0, config=config)

    assert [s.response for s in chosen("achieved")] == [1]
    (only,) = chosen("achieved_only")
    assert only.response == 0 and only.kept == (0, 1, 2, 3) and only.rephrased == (0, 2)
    assert mask(only.instruction, responses[0], semantics="corrected").ila
    # nothing eligible: no replay rather than one that drops a constraint
    config = RelabelConfig(k=2, rewrite="achieved_only", semantics="corrected")
    assert relabel([INST], [responses[1:]], [masks[1:]], [None], lambda_=2.0,
                   config=config) == []


def test_hir_relabel_rewrite_achieved(tmp_path):
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({"id": "g", "instruction": INST.model_dump(),
                                "responses": [RESPONSE.lower(), "the sea is calm"]}) + "\n")
    out = tmp_path / "replays.jsonl"
    result = CliRunner().invoke(app, ["relabel", str(dump), "-o", str(out), "--rewrite",
                                      "achieved", "--semantics", "corrected", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    replay = next(r for r in rows if r["response_index"] == 0)
    # the comma cannot be stated, the word and bullet counts can, lowercase held
    assert replay["rephrased"] == [0, 2] and replay["dropped"] == [1]
    assert replay["prompt"] == ("Write about the sea. Use less than 8 words. "
                                "Use exactly 2 bullet points. Use only lowercase letters.")
    assert json.loads(result.stdout)["mean_rephrased_constraints"] > 0
    checked = tmp_path / "checked.jsonl"
    assert CliRunner().invoke(app, ["check", str(out), "-o", str(checked), "-q",
                                    "--semantics", "corrected"]).exit_code == 0
    assert all(json.loads(line)["follow_all_strict"] for line in checked.read_text().splitlines())
