"""Replay building: hindsight prompt + same response tokens, reward 1; old log-probs recompute/copy."""

import pytest

from tiny_lm import load, torch  # skips this module without torch / transformers
from hir.instructions import ConstraintSpec, Instruction
from hir.relabel import RelabelConfig
from hir.rows import Row
from hir.train import data as datalib
from hir.train import replay as replaylib
from hir.train.episode import Episode, verify
from hir.train.logprobs import sequence_logprobs


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load(tmp_path_factory.mktemp("tiny"))


INST = Instruction(task="Write about rain.", constraints=[
    ConstraintSpec(id="punctuation:no_comma"),
    ConstraintSpec(id="change_case:english_lowercase"),
    ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["river"]})])


def _episode(tok, text, group=0):
    prompt = datalib.encode_prompt(tok, INST.render())
    e = Episode(group=group, instruction=INST, prompt=INST.render(), prompt_ids=prompt,
                response=text,
                response_ids=tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id],
                entropy=1.0)
    verify(e, mode="strict", semantics="corrected", reward="ila")
    return e


def _build(groups, items, tok):
    config = RelabelConfig(k=2, budget="group", semantics="corrected")
    return replaylib.build(groups, items, tok, lambda_=2.0, config=config, system=None,
                           max_prompt_tokens=512)


def _group(tok):
    # satisfies lowercase + river (no comma fails); satisfies nothing; satisfies everything
    return [_episode(tok, "the river is cold, so"), _episode(tok, "The Water, Fish,"),
            _episode(tok, "the river is cold")]


def test_only_partial_failures_are_chosen_and_rewritten(tiny):
    _, tok = tiny
    group = _group(tok)
    assert [e.reward for e in group] == [0.0, 0.0, 1.0]
    items = [Row.of(INST, key="a")]
    [rep] = _build([group], items, tok)
    assert rep.original is group[0] and rep.group == 0 and rep.reward == 1.0
    assert rep.response_ids == group[0].response_ids
    assert rep.instruction.ids == ["change_case:english_lowercase", "keywords:existence"]
    hindsight_text = rep.instruction.render()
    assert "comma" not in hindsight_text and "river" in hindsight_text
    assert rep.prompt_ids == datalib.encode_prompt(tok, hindsight_text)
    assert rep.prompt_ids != group[0].prompt_ids
    # a replay is a success by construction: its response follows the rewritten instruction
    verify(rep, mode="strict", semantics="corrected", reward="ila")
    assert rep.mask.ila


def test_rows_whose_constraints_cannot_be_removed_are_never_replayed(tiny):
    _, tok = tiny
    group = _group(tok)
    ifeval = Row.of(INST, given_prompt=INST.render(), has_task=False, key="b")
    assert _build([group], [ifeval], tok) == []


@pytest.mark.parametrize("how", ["recompute", "copy"])
def test_replay_old_logprobs(tiny, how):
    model, tok = tiny
    group = _group(tok)
    items = [Row.of(INST, key="a")]
    replays = _build([group], items, tok)
    batch = group + replays
    own = sequence_logprobs(model, [(e.prompt_ids, e.response_ids) for e in batch],
                            temperature=1.0, pad_id=tok.pad_token_id,
                            device=torch.device("cpu"), bf16=False, micro_batch=2)
    sources = replaylib.old_logprob_sources(batch, how)
    assert sources[:3] == [0, 1, 2]  # fresh rollouts: their own
    old = [own[j] for j in sources]
    rep = replays[0]
    alone = sequence_logprobs(model, [(rep.prompt_ids, rep.response_ids)], temperature=1.0,
                              pad_id=tok.pad_token_id, device=torch.device("cpu"), bf16=False,
                              micro_batch=1)[0]
    original = old[0]
    assert old[3].shape == original.shape == (len(rep.response_ids),)
    # under the hindsight prompt the same tokens have other probabilities
    assert not torch.allclose(alone, original)
    if how == "recompute":
        assert sources[3] == 3 and torch.allclose(old[3], alone, atol=1e-5)
    else:
        assert sources[3] == 0 and torch.equal(old[3], original)
    with pytest.raises(ValueError):
        replaylib.old_logprob_sources(batch, "reuse")


# -- replay_select: score (the paper) | cla | random -----------------------------------------------

import random  # noqa: E402


def _pool(tok):
    # group 0: two partial failures; group 1: two partial failures
    return [[_episode(tok, "the river is cold, so"), _episode(tok, "The River, is cold")],
            [_episode(tok, "the river, cold", group=1), _episode(tok, "The River, Fish", group=1)]]


def _build_k(groups, tok, **kw):
    config = RelabelConfig(k=1, budget="global", total=2, semantics="corrected")
    items = [Row.of(INST, key="a"), Row.of(INST, key="b")]
    return replaylib.build(groups, items, tok, lambda_=2.0, config=config, system=None,
                           max_prompt_tokens=512, **kw)


def test_select_cla_ignores_entropy_and_score_uses_it(tiny):
    _, tok = tiny
    groups = _pool(tok)
    # the lower-CLA response of group 0 has a huge entropy: the score picks it, cla does not
    for e in groups[0] + groups[1]:
        e.entropy = 0.0
    low = min(groups[0], key=lambda e: e.mask.cla)
    low.entropy = 100.0
    assert low.mask.cla < max(e.mask.cla for e in groups[0])
    by_score = {id(r.original) for r in _build_k(groups, tok)}
    by_cla = {id(r.original) for r in _build_k(groups, tok, select="cla")}
    assert id(low) in by_score and id(low) not in by_cla


def test_select_random_is_seeded_and_uniform_among_candidates(tiny):
    _, tok = tiny
    groups = _pool(tok)
    pick = lambda seed: [(r.group, r.original.response) for r in  # noqa: E731
                         _build_k(groups, tok, select="random", rng=random.Random(seed))]
    assert pick(3) == pick(3)
    seen = {tuple(pick(s)) for s in range(40)}
    assert len(seen) > 2  # different seeds choose different subsets
    with pytest.raises(ValueError, match="rng"):
        _build_k(groups, tok, select="random")
    with pytest.raises(ValueError, match="replay_select"):
        _build_k(groups, tok, select="best")


# -- per-step diagnostics in metrics.jsonl ---------------------------------------------------------

DIAG_KEYS = ("n_succ", "rep_token_share", "adv_succ", "adv_succ_fresh_only", "adv_fail",
             "adv_fail_fresh_only", "adv_rep", "adv_orig", "kept_mean", "batch_without_success")


def test_diagnostics_of_a_batch(tiny):
    from hir.train.advantages import with_replays
    from hir.train.trainer import _adv_diagnostics, _diag_row

    _, tok = tiny
    group = _group(tok)  # partial failure, failure, success
    replays = _build([group], [Row.of(INST, key="a")], tok)
    batch = group + replays
    rewards = torch.tensor([e.reward for e in batch])
    lengths = torch.tensor([len(e.response_ids) for e in batch], dtype=torch.float64)
    adv, fresh_only = with_replays("reinforce++", rewards, lengths, [0] * len(batch),
                                   [e.original is not None for e in batch])
    row = _diag_row(_adv_diagnostics(batch, adv, fresh_only))
    assert set(DIAG_KEYS) <= set(row)
    assert row["n_succ"] == 1 and row["batch_without_success"] == 0
    assert row["adv_succ"] == pytest.approx(float(adv[2]))
    assert row["adv_succ_fresh_only"] == pytest.approx(float(fresh_only[2]))
    assert row["adv_fail"] == pytest.approx(float(adv[:2].mean()))
    assert row["adv_rep"] == pytest.approx(float(adv[3])) and row["adv_orig"] == \
        pytest.approx(float(adv[0]))
    assert row["kept_mean"] == 2
    n_rep = len(batch[3].response_ids)
    assert row["rep_token_share"] == pytest.approx(n_rep / float(lengths.sum()))
    # the replay dilutes the success: its advantage is smaller with the replay in the stats
    assert row["adv_succ"] < row["adv_succ_fresh_only"]


def test_metrics_rows_carry_the_diagnostics(tmp_path):
    from tiny_lm import write
    from hir.train.config import load_config
    from hir.train.metrics import read_metrics
    from hir.train.trainer import train

    model, data = write(tmp_path / "tiny")
    for mode in ("joint", "fresh"):
        cfg = load_config(None, dict(model=str(model), data=str(data),
                                     output_dir=str(tmp_path / mode), max_steps=1,
                                     prompts_per_step=4, responses_per_prompt=2, max_new_tokens=8,
                                     eval_fraction=0.25, eval_every=0, save_every=0,
                                     tensorboard=False, progress=False, threads=1,
                                     replay_adv=mode, replay_weight=0.5,
                                     replay_select="random"))
        train(cfg)
        [row] = [r for r in read_metrics(tmp_path / mode) if not r.get("eval")]
        assert set(DIAG_KEYS) <= set(row)
        assert row["batch_without_success"] == int(row["n_succ"] == 0)


def test_select_rarity_weights_constraints_by_their_failure_rate_in_the_batch(tiny):
    _, tok = tiny
    # keyword "river" is satisfied by 3 of 4 responses, lowercase by 1: a lowercase-keeping
    # replay ranks above a keyword-keeping one of the same CLA under rarity, not under score
    groups = [[_episode(tok, "The River, is cold"), _episode(tok, "The River, Fish")],
              [_episode(tok, "the sea, cold", group=1), _episode(tok, "The River, Cold", group=1)]]
    items = [Row.of(INST, key="a"), Row.of(INST, key="b")]
    weights = replaylib.failure_weights(groups, items)
    assert weights[0] == weights[1] == [1.0, 0.75, 0.25]  # no_comma, lowercase, keyword
    for e in groups[0] + groups[1]:
        e.entropy = 0.0
    assert {e.mask.cla for e in groups[0] + groups[1]} == {1 / 3}
    config = RelabelConfig(k=1, budget="global", total=1, semantics="corrected")
    pick = lambda select: [r.original.response for r in replaylib.build(  # noqa: E731
        groups, items, tok, lambda_=2.0, config=config, system=None, max_prompt_tokens=512,
        select=select)]
    assert pick("score") == ["The River, is cold"]  # ties: lower group, lower response
    assert pick("rarity") == ["the sea, cold"]      # kept lowercase, the rarely met constraint


def test_achieved_rewrite_states_what_the_replayed_response_did(tiny):
    from hir.train.advantages import with_replays
    from hir.train.trainer import _adv_diagnostics, _diag_row

    _, tok = tiny
    inst = Instruction(task="Write about rain.", constraints=[
        ConstraintSpec(id="punctuation:no_comma"),
        ConstraintSpec(id="detectable_format:number_bullet_lists", kwargs={"num_bullets": 3})])
    text = "* the river is cold\n* so"  # no comma, 2 bullets where 3 were asked
    e = Episode(group=0, instruction=inst, prompt=inst.render(),
                prompt_ids=datalib.encode_prompt(tok, inst.render()), response=text,
                response_ids=tok(text, add_special_tokens=False)["input_ids"], entropy=1.0)
    verify(e, mode="strict", semantics="corrected", reward="ila")
    assert e.mask.satisfied == [True, False]
    build = lambda rewrite: replaylib.build(  # noqa: E731
        [[e]], [Row.of(inst, key="a")], tok, lambda_=2.0, max_prompt_tokens=512, system=None,
        config=RelabelConfig(k=1, semantics="corrected", rewrite=rewrite))
    [dropped] = build("keep")
    assert dropped.instruction.ids == ["punctuation:no_comma"]
    [stated] = build("achieved")
    assert stated.instruction.ids == inst.ids
    assert stated.instruction.constraints[1].kwargs == {"num_bullets": 2}
    assert "exactly 2 bullet points" in stated.prompt
    verify(stated, mode="strict", semantics="corrected", reward="ila")
    assert stated.mask.ila
    [only] = build("achieved_only")        # nothing had to be dropped: the same replay
    assert only.prompt == stated.prompt
    lower = Instruction(task=inst.task, constraints=[
        *inst.constraints, ConstraintSpec(id="change_case:english_lowercase")])
    text = "* the river, is cold\n* so"  # lowercase; a comma and 2 bullets: both failed
    comma = Episode(group=0, instruction=lower, prompt=lower.render(),
                    prompt_ids=datalib.encode_prompt(tok, lower.render()), response=text,
                    response_ids=tok(text, add_special_tokens=False)["input_ids"], entropy=1.0)
    verify(comma, mode="strict", semantics="corrected", reward="ila")
    assert comma.mask.satisfied == [False, False, True]
    build3 = lambda rewrite: replaylib.build(  # noqa: E731
        [[comma]], [Row.of(lower, key="b")], tok, lambda_=2.0, max_prompt_tokens=512,
        system=None, config=RelabelConfig(k=1, semantics="corrected", rewrite=rewrite))
    # a failed "no commas" cannot be stated as achieved: achieved drops it, achieved_only
    # replays nothing rather than drop it
    [partial] = build3("achieved")
    assert partial.instruction.ids == lower.ids[1:]
    assert build3("achieved_only") == []
    batch = [e, stated]
    rewards = torch.tensor([x.reward for x in batch])
    lengths = torch.tensor([len(x.response_ids) for x in batch], dtype=torch.float64)
    adv, fresh_only = with_replays("reinforce++", rewards, lengths, [0, 0], [False, True])
    row = _diag_row(_adv_diagnostics(batch, adv, fresh_only))
    assert row["kept_mean"] == 2 and row["rephrased_mean"] == 1


def test_achieved_families_must_be_known_constraint_ids():
    from hir.train.config import ConfigFileError, load_config

    with pytest.raises(ConfigFileError, match="replay_achieved_families.*nope:x"):
        load_config(None, {"replay_rewrite": "achieved",
                           "replay_achieved_families": ["nope:x"]})
    cfg = load_config(None, {"replay_rewrite": "achieved", "replay_achieved_families":
                             ["detectable_format:number_bullet_lists"]})
    assert cfg.replay_achieved_families == ["detectable_format:number_bullet_lists"]
