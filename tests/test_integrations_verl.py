"""The verl adapter (hir.integrations.verl).

``compute_score`` needs only hir and torch and runs in every environment. ``insert_replays`` and
the trainer need verl, which pins transformers<5.11: they run in `make verl-env`'s .venv-verl
(`make test-integrations`) and skip elsewhere. DataProto objects are real, built from a real
tokenizer constructed locally (the toy task's, with a chat template); nothing is downloaded.
"""

import json
import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from hir.instructions import ConstraintSpec, Instruction  # noqa: E402
from hir.integrations.verl import SCORE_KEYS, compute_score  # noqa: E402
from hir.knobs import RelabelConfig  # noqa: E402
from hir.masks import mask  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

INSTS = [
    Instruction(task="Write about rain.", template="rules", constraints=[
        ConstraintSpec(id="punctuation:no_comma"),
        ConstraintSpec(id="change_case:english_lowercase"),
        ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["river"]})]),
    Instruction(task="Write about the sea.", constraints=[
        ConstraintSpec(id="punctuation:no_comma"),
        ConstraintSpec(id="startend:end_checker", kwargs={"end_phrase": "peace"})]),
]
# per prompt, four responses: partial successes, a full success, a total failure
RESPONSES = [
    ["The river is cold", "the river, the river", "the river is cold", "Rain, Rain"],
    ["Waves and peace", "The sea is calm", "waves, waves", "the waves, peace"],
]


# -- compute_score (no verl needed) --------------------------------------------------------------

def test_compute_score_in_every_ground_truth_form():
    inst = INSTS[0]
    forms = [json.dumps(inst.model_dump()), inst.model_dump(),
             json.dumps({"instruction_id_list": inst.ids, "kwargs": inst.kwargs,
                         "task": inst.task}),
             {"instruction_id_list": inst.ids, "kwargs": inst.kwargs, "task": inst.task}]
    for gt in forms:
        for text in RESPONSES[0]:
            got = compute_score("hir", text, gt)
            m = mask(inst, text, semantics="corrected")
            assert got == {"score": float(m.ila), "cla": float(m.cla), "num_constraints": 3,
                           "mask": "".join("1" if ok else "0" for ok in m.satisfied),
                           "error": ""}
    assert compute_score("hir", "The river is cold", forms[0])["mask"] == "101"


def test_compute_score_never_raises_and_keeps_its_keys():
    bad = [("x", "{not json"), ("x", None), ("x", {"instruction_id_list": ["no:such"],
                                                   "kwargs": [{}], "task": "t"}),
           ("x", [{"id": "punctuation:no_comma"}]),  # a bare list needs the prompt as its task
           (None, json.dumps(INSTS[0].model_dump()))]
    for text, gt in bad:
        got = compute_score("hir", text, gt)
        assert tuple(got) == SCORE_KEYS and got["score"] == 0.0 and got["error"]
    assert "instruction_id_list[0]" in compute_score("hir", "a", bad[2][1])["error"]
    listed = compute_score("hir", "no comma here", [{"id": "punctuation:no_comma"}],
                           extra_info={"prompt": [{"role": "user", "content": "Say hi."}]})
    assert listed["score"] == 1.0 and listed["error"] == ""


def test_the_package_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, hir.integrations, hir.integrations.batch; "
            "print(sorted(m for m in ('torch', 'trl', 'verl', 'transformers', 'ray') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- insert_replays on real DataProto objects ------------------------------------------------------

@pytest.fixture(scope="module")
def verl_mod():
    return pytest.importorskip(
        "verl", reason="verl is not installed (it pins transformers<5.11): `make verl-env`, then "
                       "`.venv-verl/bin/python -m pytest tests/test_integrations_verl.py`")


@pytest.fixture(scope="module")
def tok():
    from hir.toy.tokenizer import build_tokenizer

    words = {w.strip(",.") for rs in RESPONSES for r in rs for w in r.split()}
    return build_tokenizer([i.render() for i in INSTS] + [r for rs in RESPONSES for r in rs],
                           sorted(words))


def _left(rows, pad):
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad)
    att = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r)
        att[i, width - len(r):] = 1
    return ids, att


def _right(rows, pad, width):
    ids = torch.full((len(rows), width), pad)
    att = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        att[i, :len(r)] = 1
    return ids, att


def make_batch(tok, *, raw_prompt=True, ground_truths=None, seed=0, shuffle=True):
    """A verl batch after rollout, reward and log-probs: 2 prompts x 4 responses, uids per prompt,
    rows shuffled (as balance_batch leaves them) unless ``shuffle`` is false (verl's
    ``repeat(interleave=True)`` order: a prompt's responses adjacent)."""
    from verl import DataProto

    rng = random.Random(seed)
    samples = [(p, r) for p in range(len(INSTS)) for r in range(4)]
    if shuffle:
        rng.shuffle(samples)
    gts = ground_truths or [json.dumps(i.model_dump()) for i in INSTS]
    messages = [[{"role": "user", "content": i.render()}] for i in INSTS]
    prompt_rows = [list(tok.apply_chat_template(messages[p], add_generation_prompt=True,
                                                tokenize=True, return_dict=False))
                   for p, _ in samples]
    texts = [RESPONSES[p][r] for p, r in samples]
    response_rows = [tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
                     for t in texts]
    prompts, prompt_mask = _left(prompt_rows, tok.pad_token_id)
    responses, response_mask = _right(response_rows, tok.pad_token_id, 12)
    attention = torch.cat([prompt_mask, response_mask], 1)
    scores = [compute_score("hir", t, gts[p]) for t, (p, _) in zip(texts, samples)]
    last = response_mask.sum(1) - 1
    token_scores = torch.zeros(responses.shape)
    token_scores[torch.arange(len(samples)), last] = torch.tensor([s["score"] for s in scores])
    gen = torch.Generator().manual_seed(seed)
    tensors = {
        "prompts": prompts, "responses": responses, "response_mask": response_mask,
        "input_ids": torch.cat([prompts, responses], 1), "attention_mask": attention,
        "position_ids": torch.clip(torch.cumsum(attention, -1) - 1, min=0),
        "old_log_probs": -torch.rand(responses.shape, generator=gen) * response_mask,
        "ref_log_prob": -torch.rand(responses.shape, generator=gen) * response_mask,
        "token_level_scores": token_scores, "token_level_rewards": token_scores.clone(),
        "advantages": torch.zeros(responses.shape), "returns": torch.zeros(responses.shape)}
    non_tensors = {
        "uid": [f"u{p}" for p, _ in samples], "data_source": ["hir"] * len(samples),
        "reward_model": [{"ground_truth": gts[p], "style": "rule"} for p, _ in samples],
        **{k: [s[k] for s in scores] for k in SCORE_KEYS}}
    if raw_prompt:
        import numpy as np

        raw = np.empty(len(samples), dtype=object)
        for i, (p, _) in enumerate(samples):
            raw[i] = np.array(messages[p], dtype=object)
        non_tensors["raw_prompt"] = raw
    return DataProto.from_dict(tensors=tensors, non_tensors=non_tensors,
                               meta_info={"temperature": 1.0,
                                          "global_token_num": attention.sum(-1).tolist()}), texts


def _valid(ids, att):
    return ids[att.bool()].tolist()


@pytest.mark.parametrize("raw_prompt", [True, False])
def test_replays_sit_beside_their_originals(verl_mod, tok, raw_prompt):
    from hir.integrations.verl import insert_replays

    batch, texts = make_batch(tok, raw_prompt=raw_prompt)
    before = {k: v.clone() for k, v in batch.batch.items()}
    out = insert_replays(batch, tok, step=0, config=RelabelConfig(k=2, semantics="corrected"))
    assert all(torch.equal(before[k], batch.batch[k]) for k in before)  # input untouched
    flags = list(out.non_tensor_batch["hir_replay"])
    n, R = len(batch), sum(flags)
    assert len(out) == n + R and out.meta_info["hir"]["replays"] == R > 0
    assert "advantages" not in out.batch.keys() and "returns" not in out.batch.keys()
    P = out.batch["prompts"].size(1)
    originals = [i for i, f in enumerate(flags) if not f]
    # originals keep their order and their tokens
    for k, row in enumerate(originals):
        assert _valid(out.batch["prompts"][row], out.batch["attention_mask"][row, :P]) == \
            _valid(batch.batch["prompts"][k], batch.batch["attention_mask"][k, :before["prompts"]
                   .size(1)])
        assert torch.equal(out.batch["old_log_probs"][row], batch.batch["old_log_probs"][k])
    for row, f in enumerate(flags):
        if not f:
            continue
        src = max(i for i in originals if i < row)          # right after its original
        nt = out.non_tensor_batch
        assert nt["uid"][row] == nt["uid"][src]
        assert torch.equal(out.batch["responses"][row], out.batch["responses"][src])
        assert torch.equal(out.batch["attention_mask"][row, P:],
                           out.batch["attention_mask"][src, P:])
        hindsight = Instruction.model_validate(json.loads(nt["reward_model"][row]["ground_truth"]))
        original = Instruction.model_validate(json.loads(nt["reward_model"][src]["ground_truth"]))
        assert hindsight.template == original.template and hindsight.task == original.task
        text = texts[originals.index(src)]
        assert 0 < mask(original, text, semantics="corrected").cla < 1
        assert mask(hindsight, text, semantics="corrected").ila
        assert (nt["score"][row], nt["mask"][row]) == (1.0, "1" * len(hindsight.constraints))
        expected = tok.apply_chat_template([{"role": "user", "content": hindsight.render()}],
                                           add_generation_prompt=True, tokenize=True,
                                           return_dict=False)
        assert _valid(out.batch["prompts"][row], out.batch["attention_mask"][row, :P]) == \
            list(expected)
        if raw_prompt:
            assert nt["raw_prompt"][row][-1]["content"] == hindsight.render()
        # reward 1 on the last response token, nothing elsewhere
        scores = out.batch["token_level_scores"][row]
        last = int(out.batch["response_mask"][row].sum()) - 1
        assert scores[last] == 1.0 and scores.sum() == 1.0
        # copied log-probs (the default)
        assert torch.equal(out.batch["old_log_probs"][row], out.batch["old_log_probs"][src])
        assert torch.equal(out.batch["ref_log_prob"][row], out.batch["ref_log_prob"][src])
    # sequences are consistent everywhere
    assert torch.equal(out.batch["input_ids"],
                       torch.cat([out.batch["prompts"], out.batch["responses"]], 1))
    att = out.batch["attention_mask"]
    assert torch.equal(out.batch["position_ids"], torch.clip(att.cumsum(-1) - 1, min=0))
    assert out.meta_info["global_token_num"] == att.sum(-1).tolist()
    info = out.meta_info["hir"]
    assert info["all_fail_groups_before"] == 0 and info["errors"] == []


def test_advantages_with_verls_estimators(verl_mod, tok):
    from verl.trainer.ppo import core_algos
    from verl.trainer.config import AlgoConfig

    from hir.integrations.verl import insert_replays

    batch, _ = make_batch(tok)
    out = insert_replays(batch, tok, step=3, config=RelabelConfig(k=1, semantics="corrected"))
    flags = torch.tensor(list(out.non_tensor_batch["hir_replay"]))
    mask_ = out.batch["response_mask"]
    grpo, _ = core_algos.compute_grpo_outcome_advantage(
        out.batch["token_level_rewards"], mask_, out.non_tensor_batch["uid"])
    rpp, _ = core_algos.compute_reinforce_plus_plus_outcome_advantage(
        out.batch["token_level_rewards"], mask_, config=AlgoConfig(gamma=1.0))
    for adv in (grpo, rpp):
        assert (adv[flags][mask_[flags].bool()] > 0).all()   # a replay is a success
    # GRPO groups by uid: a replay raises its group's mean, so failures there fall further
    failed = (~flags) & (out.batch["token_level_rewards"].sum(1) == 0)
    assert (grpo[failed][mask_[failed].bool()] < 0).all()


def test_recomputed_logprobs_see_the_replays_alone(verl_mod, tok):
    from hir.integrations.verl import insert_replays

    batch, _ = make_batch(tok)
    seen = {}

    def recompute(kind):
        def fn(replays):
            seen[kind] = replays
            assert all(replays.non_tensor_batch["hir_replay"])
            return torch.full(replays.batch["responses"].shape, -7.0 if kind == "old" else -9.0)
        return fn

    out = insert_replays(batch, tok, step=0, config=RelabelConfig(k=2, semantics="corrected"),
                         old_log_probs="recompute", ref_log_probs="recompute",
                         recompute_old=recompute("old"), recompute_ref=recompute("ref"))
    flags = torch.tensor(list(out.non_tensor_batch["hir_replay"]))
    assert len(seen["old"]) == int(flags.sum())
    # the function got the replay rows: the hindsight prompts, not the originals'
    assert torch.equal(seen["old"].batch["input_ids"], out.batch["input_ids"][flags])
    assert (out.batch["old_log_probs"][flags] == -7.0).all()
    assert (out.batch["ref_log_prob"][flags] == -9.0).all()
    assert (out.batch["old_log_probs"][~flags] > -1.0).all()      # originals untouched
    with pytest.raises(ValueError, match="recompute function"):
        insert_replays(batch, tok, step=0, old_log_probs="recompute")


def test_recompute_with_a_real_model(verl_mod, tok):
    from hir.integrations.verl import insert_replays
    from hir.toy.model import ToyModelConfig, build_model

    model = build_model(tok, ToyModelConfig(hidden_size=32, num_layers=1, num_heads=2,
                                            intermediate_size=64), seed=0).eval()

    def logprobs(data):
        ids, att = data.batch["input_ids"], data.batch["attention_mask"]
        R = data.batch["responses"].size(1)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=att,
                           position_ids=data.batch["position_ids"]).logits[:, -R - 1:-1]
        lp = torch.log_softmax(logits.float(), -1)
        return lp.gather(-1, data.batch["responses"].unsqueeze(-1))[..., 0]

    batch, _ = make_batch(tok)
    out = insert_replays(batch, tok, step=0, config=RelabelConfig(k=2, semantics="corrected"),
                         old_log_probs="recompute", recompute_old=logprobs)
    flags = torch.tensor(list(out.non_tensor_batch["hir_replay"]))
    m = out.batch["response_mask"][flags].bool()
    replays = out.select_idxs(flags.nonzero().flatten().tolist())
    assert torch.allclose(out.batch["old_log_probs"][flags][m], logprobs(replays)[m])
    # and under the original prompt the same tokens score differently
    src = [max(i for i in range(r) if not flags[i]) for r in flags.nonzero().flatten().tolist()]
    originals = out.select_idxs(src)
    assert not torch.allclose(logprobs(originals)[m], out.batch["old_log_probs"][flags][m])


def test_bad_rows_get_no_replay_and_say_why(verl_mod, tok):
    from hir.integrations.verl import insert_replays

    gts = [json.dumps(INSTS[0].model_dump()),
           json.dumps({"instruction_id_list": ["no:such"], "kwargs": [{}], "task": "t"})]
    batch, _ = make_batch(tok, ground_truths=gts)
    out = insert_replays(batch, tok, step=0, config=RelabelConfig(k=2, semantics="corrected"))
    flags = list(out.non_tensor_batch["hir_replay"])
    uids = {out.non_tensor_batch["uid"][i] for i, f in enumerate(flags) if f}
    assert uids == {"u0"} and len(out) == len(batch) + sum(flags)
    info = out.meta_info["hir"]
    assert info["unjudged_groups"] == 1 and info["errors"][0].startswith("uid u1: field '")
    assert "ground_truth.instruction_id_list[0]" in info["errors"][0]
    assert "no:such" in info["errors"][0]


def test_multiple_of_trims_the_lowest_scored(verl_mod, tok):
    from hir.integrations.verl import insert_replays

    batch, _ = make_batch(tok)
    config = RelabelConfig(k=2, semantics="corrected")
    full = insert_replays(batch, tok, step=0, config=config)
    trimmed = insert_replays(batch, tok, step=0, config=config, multiple_of=3)
    R_full = full.meta_info["hir"]["replays"]
    assert len(trimmed) % 3 == 0 and len(trimmed) > len(batch)
    assert trimmed.meta_info["hir"]["replays"] == R_full - (len(batch) + R_full) % 3


# -- verl's loaders and the trainer module ---------------------------------------------------------

def test_verl_loads_compute_score_by_its_config(verl_mod):
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config = OmegaConf.create({"reward": {"custom_reward_function": {
        "path": "pkg://hir.integrations.verl", "name": "compute_score", "reward_kwargs": {}}}})
    fn = get_custom_reward_fn(config)
    got = fn(data_source="hir", solution_str="the river is cold",
             ground_truth=json.dumps(INSTS[0].model_dump()), extra_info={"index": 0})
    assert got["score"] == 1.0 and got["mask"] == "111"


def test_trainer_settings_and_entry_point_import(verl_mod):
    pytest.importorskip("ray")
    from hir.integrations.verl_trainer import HiRRayPPOTrainer, hir_settings
    from verl.trainer.ppo.ray_trainer import RayPPOTrainer

    assert issubclass(HiRRayPPOTrainer, RayPPOTrainer)
    assert "_update_actor" in HiRRayPPOTrainer.__dict__
    config, old, ref = hir_settings({"k": 2, "budget": "global", "old_log_probs": "recompute"})
    assert (config.k, config.budget, config.semantics, old, ref) == \
        (2, "global", "corrected", "recompute", "copy")
    with pytest.raises(ValueError, match="unknown hir options"):
        hir_settings({"kk": 1})
    from verl import DataProto

    from hir.integrations.verl_trainer import on_dp_ranks

    seen = []

    def per_row(d):
        seen.append(len(d))
        return d.batch["x"] * 2

    data = DataProto.from_dict(tensors={"x": torch.arange(5.0)})
    assert torch.equal(on_dp_ranks(per_row, 4)(data), torch.arange(5.0) * 2) and seen == [8]
    import hir.integrations.verl_main as main

    assert main.HiRTaskRunner is not None


def _compose(overrides):
    from hydra import compose, initialize_config_module

    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        return compose(config_name="ppo_trainer", overrides=list(overrides))


def _script_overrides():
    text = (ROOT / "examples" / "verl_hir_qwen3_4b.sh").read_text()
    block = text.split("# -- begin overrides\n", 1)[1].split("# -- end overrides", 1)[0]
    values = {"${MODEL}": "Qwen/Qwen3-4B-Instruct-2507", "${NGPUS}": "8"}
    lines = []
    for line in block.splitlines():
        for k, v in values.items():
            line = line.replace(k, v)
        lines.append(line.strip())
    return [x for x in lines if x] + ["data.train_files=train.parquet",
                                      "data.val_files=val.parquet"]


def test_run_script_overrides_compose(verl_mod):
    pytest.importorskip("hydra")
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    from hir.integrations.verl_trainer import hir_settings, mini_batch_count

    cfg = _compose(_script_overrides())
    assert cfg.trainer.use_v1 is False and cfg.algorithm.adv_estimator == "reinforce_plus_plus"
    assert (cfg.data.train_batch_size, cfg.actor_rollout_ref.rollout.n) == (64, 6)
    config, old, ref = hir_settings(cfg.hir)
    assert (config.k, config.budget, old, ref) == (2, "global", "copy", "copy")
    assert cfg.reward.custom_reward_function.path == "pkg://hir.integrations.verl"
    assert not need_critic(cfg)
    validate_config(config=cfg, use_reference_policy=need_reference_policy(cfg),
                    use_critic=need_critic(cfg))
    assert mini_batch_count(cfg, 64 * 6) == 1


def test_update_actor_wiring(verl_mod, tok, monkeypatch):
    """HiRRayPPOTrainer._update_actor with verl's own config and compute_advantage; the parent's
    update (which needs GPU workers) is replaced by a recorder."""
    pytest.importorskip("hydra")
    from verl import DataProto
    from verl.trainer.ppo.ray_trainer import RayPPOTrainer

    from hir.integrations.verl_trainer import HiRRayPPOTrainer, hir_settings

    cfg = _compose(["trainer.use_v1=False", "algorithm.adv_estimator=grpo",
                    "actor_rollout_ref.rollout.n=4",
                    "actor_rollout_ref.actor.ppo_mini_batch_size=1",
                    "+hir.k=2", "+hir.budget=group", "+hir.old_log_probs=recompute"])
    seen = {}

    def parent_update(self, batch):
        actor, rollout = self.config.actor_rollout_ref.actor, self.config.actor_rollout_ref.rollout
        seen["batch"], seen["mini"] = batch, actor.ppo_mini_batch_size * rollout.n
        return DataProto.from_single_dict(data={}, meta_info={"metrics": {"actor/loss": 0.0}})

    monkeypatch.setattr(RayPPOTrainer, "_update_actor", parent_update)
    trainer = object.__new__(HiRRayPPOTrainer)  # no workers on CPU: only what _update_actor reads
    trainer.config, trainer.tokenizer, trainer.global_steps = cfg, tok, 1
    trainer.hir_config, trainer.hir_old, trainer.hir_ref = hir_settings(cfg.hir)
    trainer._get_dp_size = lambda worker_group, role: 2
    trainer.actor_rollout_wg = None
    asked = []

    def old_log_prob(data):  # the parent's worker call, standing in: sees the replays, padded
        asked.append(len(data))
        values = torch.full(data.batch["responses"].shape, -3.0)
        return DataProto.from_dict(tensors={"old_log_probs": values}), 0.0

    trainer._compute_old_log_prob = old_log_prob
    batch, _ = make_batch(tok)
    output = trainer._update_actor(batch)
    sent = seen["batch"]
    R = output.meta_info["metrics"]["hir/replays"]
    assert R > 0 and len(sent) == len(batch) + R
    assert len(sent) % (2 * 2) == 0  # 2 mini-batches (2 prompts / 1 per mini-batch) x dp 2
    assert seen["mini"] == len(sent) // 2
    assert (cfg.actor_rollout_ref.actor.ppo_mini_batch_size, cfg.actor_rollout_ref.rollout.n) == \
        (1, 4)  # restored
    flags = torch.tensor(list(sent.non_tensor_batch["hir_replay"]))
    assert asked and asked[0] % 2 == 0 and asked[0] - R in (0, 1)
    assert (sent.batch["old_log_probs"][flags] == -3.0).all()
    assert (sent.batch["old_log_probs"][~flags] > -1.0).all()
    adv = sent.batch["advantages"]
    assert (adv[flags][sent.batch["response_mask"][flags].bool()] > 0).all()
    assert "actor/loss" in output.meta_info["metrics"]


@pytest.mark.parametrize("shuffle", [False, True])
def test_hir_relabel_reads_verls_rollout_dump(verl_mod, tok, tmp_path, shuffle):
    """The dump verl writes with trainer.rollout_data_dir (its own _log_rollout_data and
    _write_generations), read by `hir relabel`."""
    import subprocess
    import sys
    import types

    import numpy as np
    from verl.trainer.ppo.ray_trainer import RayPPOTrainer

    batch, _ = make_batch(tok, shuffle=shuffle)
    extra = {k: np.array(batch.non_tensor_batch[k]) for k in SCORE_KEYS}
    stand_in = types.SimpleNamespace(tokenizer=tok, _dump_generations=lambda **kw: (
        RayPPOTrainer._write_generations(**kw, global_steps=3)))
    RayPPOTrainer._log_rollout_data(stand_in, batch, extra, {}, str(tmp_path))
    dump = tmp_path / "3.jsonl"
    first = json.loads(dump.read_text().splitlines()[0])
    assert {"input", "output", "gts", "score", "step", "cla", "mask"} <= set(first)
    done = subprocess.run([sys.executable, "-m", "cli.main", "relabel", str(dump), "-o",
                           str(tmp_path / "out.jsonl"), "--json"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["responses"] == 8 and summary["rejected_rows"] == 0
    assert summary["replays"] > 0
    replays = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    for r in replays:
        assert check_replay(r)
    if not shuffle:
        assert summary["groups"] == 2
    else:  # no uid in the dump: rows group only while adjacent, so balance_batch splits groups
        assert summary["groups"] > 2


def check_replay(row):
    inst = Instruction.model_validate(row["instruction"])
    return row["reward"] == 1.0 and mask(inst, row["response"]).ila
