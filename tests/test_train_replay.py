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
