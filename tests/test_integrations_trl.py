"""The TRL adapter (hir.integrations.trl): reward functions, HiRGRPOTrainer's replays and
advantages, and the example run short. Needs trl (`make trl-install`); skips without it."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="trl is not installed: `make trl-install` (pip install hir[trl])")
from tiny_lm import torch, write  # noqa: E402  (skips without torch / transformers)

from hir.instructions import ConstraintSpec, Instruction  # noqa: E402
from hir.knobs import RelabelConfig  # noqa: E402
from hir.masks import mask  # noqa: E402
from hir.integrations.trl import (ConstraintReward, HiRGRPOTrainer, ReplayOptions,  # noqa: E402
                                  group_advantages)

ROOT = Path(__file__).resolve().parent.parent
INST = Instruction(task="Write about rain.", constraints=[
    ConstraintSpec(id="punctuation:no_comma"),
    ConstraintSpec(id="change_case:english_lowercase"),
    ConstraintSpec(id="keywords:existence", kwargs={"keywords": ["river"]})])
GOOD = "the river is cold"            # all three
PARTIAL = "The river is cold"         # not lowercase
BAD = "Rain, Rain"                    # none


# -- reward functions ----------------------------------------------------------------------------

def _call(reward, prompts, completions, **columns):
    logged = {}
    out = reward(prompts=prompts, completions=completions, completion_ids=None,
                 trainer_state=None, log_extra=lambda *a: None,
                 log_metric=lambda name, value: logged.setdefault(name, value), **columns)
    return out, logged


@pytest.mark.parametrize("column", ["json", "object", "verl", "ifeval"])
def test_rewards_read_every_row_form(column):
    texts = [GOOD, PARTIAL, BAD]
    prompt = [{"role": "user", "content": INST.render()}]
    if column == "json":
        cols = {"instruction": [json.dumps(INST.model_dump())] * 3}
    elif column == "object":
        cols = {"instruction": [INST.model_dump()] * 3}
    elif column == "verl":
        gt = json.dumps({"instruction_id_list": INST.ids, "kwargs": INST.kwargs,
                         "task": INST.task})
        cols = {"reward_model": [{"ground_truth": gt, "style": "rule"}] * 3}
    else:  # IFEval columns as Arrow stores them: every kwargs object has every key, None if unset
        kw = [{"keywords": None}, {"keywords": None}, {"keywords": ["river"]}]
        cols = {"instruction_id_list": [INST.ids] * 3, "kwargs": [kw] * 3}
    ila, logged = _call(ConstraintReward("ila"), [prompt] * 3,
                        [[{"role": "assistant", "content": t}] for t in texts], **cols)
    cla, _ = _call(ConstraintReward("cla"), [prompt] * 3, texts, **cols)
    expected = [mask(INST, t, semantics="corrected") for t in texts]
    assert ila == [float(m.ila) for m in expected] == [1.0, 0.0, 0.0]
    assert cla == pytest.approx([m.cla for m in expected])
    assert cla[1] == pytest.approx(2 / 3)
    assert logged["hir/constraint/change_case:english_lowercase"] == pytest.approx(1 / 3)
    assert logged["hir/constraint/punctuation:no_comma"] == pytest.approx(2 / 3)
    assert logged["hir/unscorable"] == 0.0


def test_a_bad_row_is_unscorable_and_named(caplog):
    cols = {"instruction_id_list": [["punctuation:no_comma"], ["no:such_checker"]],
            "kwargs": [[{}], [{}]]}
    with caplog.at_level(logging.WARNING):
        out, logged = _call(ConstraintReward("ila"), ["Say hi.", "Say hi."], ["hi", "hi"], **cols)
    assert out == [1.0, None]
    assert "instruction_id_list[0]" in caplog.text and "no:such_checker" in caplog.text
    assert logged["hir/unscorable"] == 0.5


# -- advantages ------------------------------------------------------------------------------------

def test_group_advantages_with_a_replay_in_its_group():
    # group 0: three fresh failures and one replay (reward 1); group 1: one success in four
    r = torch.tensor([[0.0], [0.0], [0.0], [0.0], [0.0], [1.0], [0.0], [1.0]])
    adv = group_advantages(r, torch.ones(1), [0, 0, 0, 1, 1, 1, 1, 0])
    std = 0.5  # unbiased std of (0, 0, 0, 1), both groups
    assert adv[7] == pytest.approx(0.75 / (std + 1e-4))
    assert adv[0] == pytest.approx(-0.25 / (std + 1e-4))
    assert adv[5] == pytest.approx(0.75 / (std + 1e-4))
    none = group_advantages(r, torch.ones(1), [0, 0, 0, 1, 1, 1, 1, 0], scale="none")
    assert none[7] == pytest.approx(0.75)


# -- HiRGRPOTrainer ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    directory = tmp_path_factory.mktemp("trl")
    model_dir, data = write(directory, hidden=32, layers=2)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    return directory, model_dir, rows


class Recording(HiRGRPOTrainer):
    """Keeps the parent's batch (before replays) for comparison."""

    def _with_replays(self, output):
        self.parent_output = {k: (v.clone() if isinstance(v, torch.Tensor) else v)
                              for k, v in output.items()}
        return super()._with_replays(output)


def _trainer(tiny, *, replay=ReplayOptions(), weights=(1.0, 0.5), **options):
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig

    directory, model_dir, rows = tiny
    dataset = Dataset.from_list([
        {"prompt": [{"role": "user", "content": Instruction.model_validate(r["instruction"])
                     .render()}],
         "instruction": json.dumps(r["instruction"])} for r in rows])
    settings = dict(output_dir=str(directory / "out"), max_steps=1, seed=0,
                    per_device_train_batch_size=16, num_generations=4, max_completion_length=12,
                    logging_steps=1, save_strategy="no", report_to="none", use_cpu=True,
                    reward_weights=list(weights))
    settings.update(options)
    model = (str(model_dir) if settings.get("beta") else
             AutoModelForCausalLM.from_pretrained(model_dir))
    trainer = Recording(model=model, processing_class=AutoTokenizer.from_pretrained(model_dir),
                        train_dataset=dataset, args=GRPOConfig(**settings),
                        reward_funcs=[ConstraintReward("ila"), ConstraintReward("cla")],
                        replay=replay)
    trainer.model.train()
    return trainer


def _batch(trainer, seed=1):
    torch.manual_seed(seed)
    inputs = next(iter(trainer.get_train_dataloader()))
    return trainer._generate_and_score_completions(inputs)


@pytest.mark.parametrize("aggregation,scale", [("sum_then_normalize", "group"),
                                                ("sum_then_normalize", "batch"),
                                                ("normalize_then_sum", "group")])
def test_without_replays_the_advantages_are_the_parents(tiny, aggregation, scale):
    trainer = _trainer(tiny, replay=ReplayOptions(relabel=RelabelConfig(k=0)),
                       multi_objective_aggregation=aggregation, scale_rewards=scale)
    out = _batch(trainer)
    assert trainer.last_replays == []
    assert out["completion_ids"].shape == trainer.parent_output["completion_ids"].shape
    assert torch.allclose(out["advantages"], trainer.parent_output["advantages"], atol=1e-5)
    assert torch.count_nonzero(out["advantages"]) > 0


def test_replays_are_hindsight_prompts_with_the_same_completion(tiny):
    trainer = _trainer(tiny, replay=ReplayOptions(entropy="forward"))
    out = _batch(trainer)
    parent = trainer.parent_output
    n = parent["completion_ids"].size(0)
    tok = trainer.processing_class
    replays = trainer.last_replays
    assert replays, "a random model's word salad leaves partial successes to replay"
    assert out["completion_ids"].size(0) == n + len(replays)
    width = out["prompt_ids"].size(1)
    # originals are unchanged, left-padded to the (possibly wider) prompt width
    for i in range(n):
        keep = parent["prompt_mask"][i].bool()
        assert out["prompt_ids"][i][out["prompt_mask"][i].bool()].tolist() == \
            parent["prompt_ids"][i][keep].tolist()
    inputs, prompts, completions, _ = trainer._scored
    for j, (orig, sel) in enumerate(replays):
        row = n + j
        assert torch.equal(out["completion_ids"][row], parent["completion_ids"][orig])
        assert torch.equal(out["completion_mask"][row], parent["completion_mask"][orig])
        expected = tok.apply_chat_template([{"role": "user", "content": sel.instruction.render()}],
                                           add_generation_prompt=True, tokenize=True,
                                           return_dict=False)
        got = out["prompt_ids"][row][out["prompt_mask"][row].bool()].tolist()
        assert got == list(expected) and len(got) <= width
        text = completions[orig][-1]["content"]
        original = Instruction.model_validate(json.loads(inputs[orig]["instruction"]))
        assert 0 < mask(original, text, semantics="corrected").cla < 1
        assert mask(sel.instruction, text, semantics="corrected").ila  # a success, reward 1
    # advantages: the batch's rewards plus ones for the replays, grouped with their originals
    rpf = torch.cat([trainer._scored[3], torch.ones(len(replays), 2)])
    groups = [i // 4 for i in range(n)] + [orig // 4 for orig, _ in replays]
    assert torch.allclose(out["advantages"],
                          group_advantages(rpf, torch.tensor([1.0, 0.5]), groups), atol=1e-6)
    assert all(out["advantages"][n + j] > 0 for j in range(len(replays)))
    assert int(out["num_items_in_batch"]) == int(out["completion_mask"].sum())
    metrics = trainer._metrics["train"]
    assert metrics["hir/replays"][-1] == len(replays)
    assert metrics["hir/all_fail_groups_after"][-1] <= metrics["hir/all_fail_groups_before"][-1]


def _logps(model, prompt_ids, prompt_mask, completion_ids, completion_mask):
    ids = torch.cat([prompt_ids, completion_ids], 1)
    att = torch.cat([prompt_mask, completion_mask], 1)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=att).logits[:, -completion_ids.size(1) - 1:-1]
    return torch.log_softmax(logits.float(), -1).gather(-1, completion_ids.unsqueeze(-1))[..., 0]


@pytest.mark.parametrize("how", ["recompute", "copy"])
def test_old_and_reference_logprobs_of_replays(tiny, how):
    # steps_per_generation 2 with one accumulation step: the parent computes old log-probs;
    # beta > 0: it computes reference log-probs with a reference model loaded from the path
    trainer = _trainer(tiny, replay=ReplayOptions(old_logprobs=how, ref_logprobs=how),
                       steps_per_generation=2, per_device_train_batch_size=8, beta=0.1)
    out = _batch(trainer)
    parent = trainer.parent_output
    n = parent["completion_ids"].size(0)
    assert trainer.last_replays and len(trainer.last_replays) % 2 == 0  # split in 2 chunks evenly
    for key, model in (("old_per_token_logps", trainer.model),
                       ("ref_per_token_logps", trainer.ref_model)):
        assert out[key].shape == out["completion_ids"].shape
        rows = torch.arange(n, out["completion_ids"].size(0))
        mask_ = out["completion_mask"][rows].bool()
        origs = torch.tensor([o for o, _ in trainer.last_replays])
        if how == "copy":
            assert torch.equal(out[key][rows], parent[key][origs])
        else:
            expected = _logps(model, out["prompt_ids"][rows], out["prompt_mask"][rows],
                              out["completion_ids"][rows], out["completion_mask"][rows])
            # TRL scores with a fused lm-head kernel: agreement to float32 noise, far below how much
            # the hindsight prompt moves the log-probs of the same tokens
            error = (out[key][rows][mask_] - expected[mask_]).abs().max()
            moved = (out[key][rows][mask_] - parent[key][origs][mask_]).abs().max()
            assert error < 2e-3 and moved > 10 * error


def test_only_hir_rewards_are_accepted(tiny):
    with pytest.raises(TypeError, match="ConstraintReward"):
        from datasets import Dataset
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from trl import GRPOConfig

        directory, model_dir, _ = tiny
        HiRGRPOTrainer(model=AutoModelForCausalLM.from_pretrained(model_dir),
                       processing_class=AutoTokenizer.from_pretrained(model_dir),
                       train_dataset=Dataset.from_list([{"prompt": "x"}]),
                       args=GRPOConfig(output_dir=str(directory / "o2"), use_cpu=True,
                                       report_to="none", per_device_train_batch_size=8,
                                       num_generations=8),
                       reward_funcs=[lambda completions, **kw: [0.0] * len(completions)])


# -- two processes ---------------------------------------------------------------------------------

DDP_WORKER = '''
import json, os, sys
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import GRPOConfig
from hir.instructions import Instruction
from hir.integrations.trl import ConstraintReward, HiRGRPOTrainer, ReplayOptions

model_dir, data, out = sys.argv[1:4]
torch.set_num_threads(1)
rows = [json.loads(line) for line in open(data)]
dataset = Dataset.from_list([
    {"prompt": [{"role": "user", "content": Instruction.model_validate(r["instruction"]).render()}],
     "instruction": json.dumps(r["instruction"])} for r in rows])
trainer = HiRGRPOTrainer(
    model=AutoModelForCausalLM.from_pretrained(model_dir),
    processing_class=AutoTokenizer.from_pretrained(model_dir), train_dataset=dataset,
    args=GRPOConfig(output_dir=out, max_steps=1, seed=0, per_device_train_batch_size=6,
                    num_generations=4, max_completion_length=12, use_cpu=True, report_to="none",
                    save_strategy="no"),
    reward_funcs=[ConstraintReward("ila")], replay=ReplayOptions(entropy="none"))
trainer.model.train()
rank = trainer.accelerator.process_index
torch.manual_seed(1 + rank)
batch = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
inputs, prompts, completions, rewards = trainer._scored
json.dump({"world": trainer.accelerator.num_processes,
           "instructions": [x["instruction"] for x in inputs], "prompts": prompts,
           "completions": completions, "rewards": rewards.tolist(),
           "replays": [[o, s.group, s.response] for o, s in trainer.last_replays],
           "advantages": batch["advantages"].tolist(), "size": batch["completion_ids"].size(0)},
          open(os.path.join(out, f"rank{rank}.json"), "w"))
'''


def test_two_processes_plan_the_same_replays(tiny, tmp_path):
    """torchrun, 2 CPU processes (gloo), 6 completions each in groups of 4: a group spans both
    processes. Every process adds the replays of its own completions, and together they are the
    plan of the whole gathered batch, with the advantages of the whole batch."""
    from hir.integrations.batch import plan, row_of, text_of, user_text

    _, model_dir, _ = tiny
    data = tiny[0] / "data.jsonl"
    script = tmp_path / "worker.py"
    script.write_text(DDP_WORKER)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                           str(script), str(model_dir), str(data), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{i}.json").read_text()) for i in range(2)]
    assert [r["world"] for r in ranks] == [2, 2]
    G, n_local = 4, 6
    insts = [i for r in ranks for i in r["instructions"]]
    prompts = [p for r in ranks for p in r["prompts"]]
    completions = [c for r in ranks for c in r["completions"]]
    rows = [row_of({"instruction": insts[s]}, prompt=user_text(prompts[s]),
                   responses=[text_of(c) for c in completions[s:s + G]])
            for s in range(0, len(insts), G)]
    expected = plan(rows, [None] * len(rows), step=0)
    got = []
    for rank, r in enumerate(ranks):
        for local, group, response in r["replays"]:
            assert local == group * G + response - rank * n_local and 0 <= local < n_local
            got.append((group, response))
        assert r["size"] == n_local + len(r["replays"])
    assert sorted(got) == [(s.group, s.response) for s in expected.selected] and got
    rewards = torch.tensor(ranks[0]["rewards"])
    assert ranks[1]["rewards"] == ranks[0]["rewards"]  # gathered: the whole batch on each rank
    replays = [(g, resp) for r in ranks for _, g, resp in r["replays"]]
    advantages = group_advantages(torch.cat([rewards, torch.ones(len(replays), 1)]),
                                  torch.ones(1),
                                  [i // G for i in range(2 * n_local)] + [g for g, _ in replays])
    first = 2 * n_local + len(ranks[0]["replays"])   # rank 0's replays end here
    ordered = [*advantages[:n_local], *advantages[2 * n_local:first],
               *advantages[n_local:2 * n_local], *advantages[first:]]
    assert torch.allclose(torch.tensor(ranks[0]["advantages"] + ranks[1]["advantages"]),
                          torch.stack(ordered), atol=1e-6)


# -- the example -----------------------------------------------------------------------------------

def test_example_runs_short_and_logs_replays(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "trl_grpo_hir.py"), "--max-steps", "2",
         "--output-dir", str(out), "--warmup-steps", "0", "--prompts-per-step", "4",
         "--generations", "4"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    logs = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in logs] == [1, 2]
    assert all("hir/replays" in e and "hir/all_fail_groups_after" in e for e in logs)
    assert sum(e["hir/replays"] for e in logs) > 0
    assert "replays=" in done.stdout
    # the reward's rollout dump: one row per group, read by `hir relabel`
    dump = out / "rollouts.jsonl"
    rows = [json.loads(line) for line in dump.read_text().splitlines()]
    assert len(rows) == 2 * 4 and all(len(r["responses"]) == 4 for r in rows)
    assert {r["step"] for r in rows} == {0, 1}
    relabeled = subprocess.run(
        [sys.executable, "-m", "cli.main", "relabel", str(dump), "-o", str(tmp_path / "r.jsonl"),
         "--json"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert relabeled.returncode == 0, relabeled.stderr[-2000:]
    summary = json.loads(relabeled.stdout)
    assert summary["groups"] == 8 and summary["rejected_rows"] == 0
    assert summary["responses"] == 32 and summary["replays"] > 0
