"""LoRA through peft: adapters only are trained, checkpoints load in peft and transformers, a
resumed LoRA run is exact, and the merged export is a plain model computing the same."""

import json
import shutil

import pytest

from tiny_lm import torch, tiny  # noqa: F401 (a fixture); skips without torch

pytest.importorskip("peft", reason="LoRA needs peft: pip install 'hir[lora]'")

from hir.train import checkpoint as ckpt  # noqa: E402
from hir.train import lora  # noqa: E402
from hir.train.config import load_config  # noqa: E402
from hir.train.metrics import read_metrics  # noqa: E402
from hir.train.trainer import TIMING_KEYS, SetupError, Trainer, train  # noqa: E402



def _config(tiny, out, **kw):
    model, data = tiny
    base = dict(model=str(model), data=str(data), output_dir=str(out), max_steps=2,
                prompts_per_step=4, responses_per_prompt=2, max_new_tokens=8, lr=5e-2,
                eval_fraction=0.25, eval_every=0, save_every=2, micro_batch_size=3,
                tensorboard=False, progress=False, threads=1, lora_rank=4, lora_alpha=8.0)
    base.update(kw)
    return load_config(None, base)


def _logits(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits


@pytest.fixture(scope="module")
def lora_run(tiny, tmp_path_factory):
    """A 4-step LoRA run with the KL in the reward, checkpointed at 2 and 4, merged export on."""
    out = tmp_path_factory.mktemp("lora") / "run"
    train(_config(tiny, out, max_steps=4, kl_reward_coef=0.1, lora_export_merged=True))
    return out


def test_only_the_adapters_train_and_the_base_is_frozen(tiny, tmp_path):
    trainer = Trainer(_config(tiny, tmp_path / "run", max_steps=1))
    names = [n for n, p in trainer.model.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n for n in names)
    assert len(trainer.params) == len(names)
    # all-linear: every projection of the block, not the (tied) output layer
    assert any("q_proj" in n for n in names) and any("down_proj" in n for n in names)
    assert not any("lm_head" in n or "embed" in n for n in names)
    frozen = {n: p.detach().clone() for n, p in trainer.model.named_parameters()
              if not p.requires_grad}
    trainer.run()
    after = dict(trainer.model.named_parameters())
    assert all(torch.equal(frozen[n], after[n]) for n in frozen)


def test_target_modules_option(tiny, tmp_path):
    trainer = Trainer(_config(tiny, tmp_path / "run", lora_target_modules="q_proj, v_proj"))
    mods = {n.split(".lora_")[0].rsplit(".", 1)[-1] for n, _ in
            trainer.model.named_parameters() if "lora_" in n}
    assert mods == {"q_proj", "v_proj"}
    with pytest.raises(SetupError, match="cannot put LoRA"):
        Trainer(_config(tiny, tmp_path / "bad", lora_target_modules="no_such_proj"))
    with pytest.raises(lora.LoraError, match="empty"):
        lora.target_modules(" , ")


def test_checkpoint_is_an_adapter_that_peft_and_transformers_load(tiny, lora_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model_dir = ckpt.latest(lora_run) / "model"
    files = {p.name for p in model_dir.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json"} <= files
    assert "model.safetensors" not in files and not any(f.endswith(".bin") for f in files)
    adapter = json.loads((model_dir / "adapter_config.json").read_text())
    assert (adapter["r"], adapter["lora_alpha"], adapter["base_model_name_or_path"]) == \
        (4, 8.0, str(tiny[0]))
    ids = torch.tensor([[1, 5, 7, 9, 11, 3]])
    base = AutoModelForCausalLM.from_pretrained(tiny[0])
    base_logits = _logits(base, ids)
    via_peft = PeftModel.from_pretrained(base, model_dir).eval()
    via_transformers = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    a, b = _logits(via_peft, ids), _logits(via_transformers, ids)
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a, base_logits, atol=1e-4)  # the adapters learned something


def test_merged_export_is_a_plain_model_computing_the_same(tiny, lora_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    merged_dir = lora_run / "merged"
    assert (merged_dir / "model.safetensors").exists()
    assert not (merged_dir / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    assert not any("lora_" in n for n, _ in merged.named_parameters())
    base = AutoModelForCausalLM.from_pretrained(tiny[0])
    adapted = PeftModel.from_pretrained(base, ckpt.latest(lora_run) / "model").eval()
    ids = torch.tensor([[1, 5, 7, 9, 11, 3]])
    assert torch.allclose(_logits(merged, ids), _logits(adapted, ids), atol=1e-5)


def test_kl_reference_of_a_lora_run_is_its_base(lora_run):
    rows = [r for r in read_metrics(lora_run) if not r.get("eval")]
    assert rows[0]["kl_reward"] == 0.0 and rows[-1]["kl_reward"] != 0.0
    assert not (lora_run / "reference").exists()  # no second copy of the model


def test_resumed_lora_run_is_identical(lora_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(lora_run, run)
    shutil.rmtree(run / "checkpoints" / "step_000004")
    shutil.rmtree(run / "merged")
    train(load_config(None, {}), resume=run)

    def strip(rows):
        return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]

    assert strip(read_metrics(run)) == strip(read_metrics(lora_run))
    from safetensors.torch import load_file
    a = load_file(str(ckpt.latest(run) / "model" / lora.ADAPTER_WEIGHTS))
    b = load_file(str(ckpt.latest(lora_run) / "model" / lora.ADAPTER_WEIGHTS))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (run / "merged" / "model.safetensors").exists()


def test_a_missing_adapter_is_refused_and_a_pickle_never_read(tiny, lora_run, tmp_path):
    from transformers import AutoModelForCausalLM

    run = tmp_path / "run"
    shutil.copytree(lora_run, run)
    model_dir = ckpt.latest(run) / "model"
    weights = model_dir / lora.ADAPTER_WEIGHTS
    size = weights.stat().st_size
    weights.unlink()
    # a planted pickle of the same size, under the name peft would fall back to
    (model_dir / "adapter_model.bin").write_bytes(b"\x80" * size)
    cfg = load_config(None, json.loads((run / "config.json").read_text()))
    with pytest.raises(lora.LoraError, match="adapter_model.safetensors: missing"):
        lora.load_adapter(AutoModelForCausalLM.from_pretrained(tiny[0]), cfg, model_dir)
    # resuming skips the torn checkpoint (its manifest lists the missing file) for step 2
    with pytest.warns(ckpt.CheckpointWarning, match="step_000004"):
        result = train(load_config(None, {}), resume=run)
    assert result.steps == 4 and ckpt.problem(ckpt.latest(run)) is None
    assert not (ckpt.latest(run) / "model" / "adapter_model.bin").exists()


def test_lora_needs_a_model_and_peft(monkeypatch, tmp_path):
    with pytest.raises(SetupError, match="LoRA needs --model"):
        Trainer(load_config(None, {"lora_rank": 4, "output_dir": str(tmp_path / "r"),
                                   "max_steps": 1}))
    import sys
    monkeypatch.setitem(sys.modules, "peft", None)  # as if not installed
    with pytest.raises(lora.LoraError, match=r"pip install 'hir\[lora\]'"):
        lora.wrap(None, load_config(None, {"lora_rank": 4}))


def test_gradient_checkpointing_with_lora_changes_memory_not_results(tiny, tmp_path):
    rows = {}
    for gc in (False, True):
        train(_config(tiny, tmp_path / str(gc), save_every=0, gradient_checkpointing=gc))
        rows[gc] = [{k: v for k, v in r.items() if k not in TIMING_KEYS}
                    for r in read_metrics(tmp_path / str(gc)) if not r.get("eval")]
    assert rows[True] == rows[False]
    assert rows[True][1]["grad_norm"] > 0  # gradients reached the adapters through the blocks


def test_lora_dropout_is_recorded_and_active_in_the_update(tiny, tmp_path):
    rows = {}
    for p in (0.0, 0.5):
        run = tmp_path / str(p)
        train(_config(tiny, run, max_steps=1, save_every=0, lora_dropout=p))
        adapter = json.loads((ckpt.latest(run) / "model" / "adapter_config.json").read_text())
        assert adapter["lora_dropout"] == p
        rows[p] = [{k: v for k, v in r.items() if k not in TIMING_KEYS}
                   for r in read_metrics(run) if not r.get("eval")]
    # same rollouts (the policy is the same before the first update), other gradients
    assert rows[0.0][0]["reward"] == rows[0.5][0]["reward"]
    assert rows[0.0][0]["grad_norm"] != rows[0.5][0]["grad_norm"]
