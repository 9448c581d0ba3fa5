"""The toy task: deterministic instructions that build and render, demonstrations whose real
verdicts match the designed satisfaction rates."""

from __future__ import annotations

import random
import re

import pytest

from constraints.engine import score
from hir.instructions import Instruction
from hir.toy import task as T


@pytest.fixture(scope="module")
def splits():
    return T.make_prompts(0, T.ToyTaskConfig(n_train=300, n_eval=60))


def test_same_seed_same_instructions_other_seed_other_instructions(splits):
    train, held_out = splits
    again = T.make_prompts(0, T.ToyTaskConfig(n_train=300, n_eval=60))
    assert [p.key for p in train] == [p.key for p in again[0]]
    assert [p.key for p in held_out] == [p.key for p in again[1]]
    other = T.make_prompts(1, T.ToyTaskConfig(n_train=300, n_eval=60))
    assert [p.key for p in train] != [p.key for p in other[0]]


def test_eval_split_is_held_out_and_does_not_depend_on_train_size(splits):
    train, held_out = splits
    assert len({p.key for p in held_out}) == len(held_out) == 60
    assert not {p.key for p in train} & {p.key for p in held_out}
    bigger = T.make_prompts(0, T.ToyTaskConfig(n_train=900, n_eval=60))
    assert [p.key for p in bigger[1]] == [p.key for p in held_out]


def test_every_instruction_builds_and_renders_with_real_checkers(splits):
    for p in splits[0] + splits[1]:
        assert 3 <= len(p.ids) <= 4 and len(set(p.ids)) == len(p.ids)
        assert not any(frozenset({a, b}) in T.INCOMPATIBLE for a in p.ids for b in p.ids)
        inst = p.instruction()
        assert isinstance(inst, Instruction)
        checkers = inst.checkers()
        assert [c.id for c in checkers] == list(p.ids)
        text = inst.render()
        assert text.startswith(f"Write about {p.topic}.")
        for c, sentence in zip(checkers, inst.sentences()):
            assert c.describe().strip() and sentence in text
        assert Instruction.model_validate_json(inst.model_dump_json()) == inst


def test_ifeval_phrasing_uses_the_checkers_own_sentences():
    _, held_out = T.make_prompts(0, T.ToyTaskConfig(n_train=1, n_eval=20, phrasing="ifeval"))
    for p in held_out:
        inst = p.instruction()
        assert all(c.text is None for c in inst.constraints)
        text = inst.render()
        for c in inst.checkers():
            assert c.describe() in text


def test_short_sentences_name_the_parameters(splits):
    for p in splits[0][:100]:
        for cid, kw, sentence in zip(p.ids, p.kwargs, p.instruction().sentences()):
            for value in kw.values():
                shown = value[0] if isinstance(value, list) else value
                assert str(shown) in sentence, (cid, kw, sentence)


def test_families_and_parameters_all_occur(splits):
    train = splits[0]
    assert {i for p in train for i in p.ids} == set(T.FAMILIES)
    relations = {k["relation"] for p in train for i, k in zip(p.ids, p.kwargs) if i == T.LENGTH}
    assert relations == {"less than", "at least"}


def test_keywords_are_not_found_by_accident():
    # reference keywords:existence is a case-insensitive regex search: a keyword inside another
    # response word would count as included
    others = [w for w in T.response_words() if w not in T.KEYWORDS]
    for kw in T.KEYWORDS:
        assert not any(re.search(kw, w, re.IGNORECASE) for w in others), kw


def _rates(prompts, p_satisfy, n_rounds=1, seed=0):
    rng = random.Random(seed)
    per, n, all_ok, count = 0, 0, 0, 0
    for _ in range(n_rounds):
        for p in prompts:
            text, verdicts = T.demonstration(p, rng, p_satisfy)
            # the returned verdicts are the real checkers' strict verdicts
            real = [v.passed for v in score(p.checkers(), text, modes=("strict",)).strict]
            assert verdicts == real
            per += sum(real)
            n += len(real)
            all_ok += all(real)
            count += 1
    return per / n, all_ok / count


@pytest.mark.parametrize("p_satisfy", [0.5, 0.8])
def test_demonstrations_satisfy_constraints_at_the_designed_rate(splits, p_satisfy):
    prompts = splits[0][:250]
    single, every = _rates(prompts, p_satisfy)
    n = sum(len(p.ids) for p in prompts)
    tolerance = 4 * (p_satisfy * (1 - p_satisfy) / n) ** 0.5  # 4 standard errors
    assert abs(single - p_satisfy) < tolerance
    # independent targets: all of k constraints with probability p**k
    expected = sum(p_satisfy ** len(p.ids) for p in prompts) / len(prompts)
    assert abs(every - expected) < 4 * (expected * (1 - expected) / len(prompts)) ** 0.5


def test_perfect_and_hopeless_demonstrations(splits):
    rng = random.Random(3)
    for p in splits[1][:40]:
        _, verdicts = T.demonstration(p, rng, 1.0)
        assert all(verdicts), p
        _, verdicts = T.demonstration(p, rng, 0.0)
        assert not any(verdicts), p


def test_demonstrations_use_only_known_words(splits):
    known = set(T.response_words())
    rng = random.Random(0)
    for p in splits[0][:100]:
        text, _ = T.demonstration(p, rng)
        assert {w.lower() for w in re.findall(r"[A-Za-z]+", text)} <= known, text


def test_a_config_no_prompt_can_satisfy_is_refused_not_drawn_forever():
    # quotes and bullets are incompatible, so at most 6 of the 7 families fit one prompt
    assert T.max_compatible(tuple(T.FAMILIES)) == len(T.FAMILIES) - 1
    with pytest.raises(ValueError, match="<= 6"):
        T.ToyTaskConfig(min_constraints=7, max_constraints=7)
    with pytest.raises(ValueError):
        T.ToyTaskConfig(min_constraints=4, max_constraints=3)
    six = T.ToyTaskConfig(n_train=20, n_eval=5, min_constraints=6, max_constraints=6)
    train, _ = T.make_prompts(0, six)
    assert {len(p.ids) for p in train} == {6}
