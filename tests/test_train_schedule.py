"""Learning-rate warm-up and schedules: the formula, the ``lr`` metric, and exact resume."""

import json
import math

import pytest

from tiny_lm import torch, tiny  # noqa: F401 (a fixture); skips without torch
from hir.train import checkpoint as ckpt
from hir.train.config import ConfigFileError, load_config
from hir.train.metrics import read_metrics
from hir.train.schedule import lr_factor
from hir.train.trainer import TIMING_KEYS, train

LR = 1e-2


def _f(step, schedule, warmup=0, decay=10, floor=0.0):
    return lr_factor(step, schedule=schedule, warmup_steps=warmup, decay_steps=decay,
                     min_lr_ratio=floor)


def test_warmup_is_linear_and_starts_above_zero():
    assert [_f(s, "constant", warmup=4) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_linear_and_cosine_decay_from_the_end_of_warmup_to_the_floor():
    # warm-up 2, decay until step 10: progress (s - 2) / 8
    assert _f(2, "linear", warmup=2) == 1.0 and _f(2, "cosine", warmup=2) == 1.0
    assert _f(6, "linear", warmup=2) == pytest.approx(0.5)
    assert _f(6, "cosine", warmup=2) == pytest.approx(0.5)
    assert _f(4, "cosine", warmup=2) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))
    assert _f(10, "linear", warmup=2, floor=0.1) == pytest.approx(0.1)
    # past the horizon the rate stays at the floor
    assert _f(50, "cosine", warmup=2, floor=0.1) == pytest.approx(0.1)
    assert _f(50, "linear") == 0.0
    # monotone non-increasing after warm-up
    for kind in ("linear", "cosine"):
        values = [_f(s, kind, warmup=2, floor=0.2) for s in range(2, 14)]
        assert all(a >= b for a, b in zip(values, values[1:])), kind


def test_bad_schedule_settings_are_refused():
    with pytest.raises(ValueError, match="unknown lr schedule"):
        _f(0, "step")
    with pytest.raises(ConfigFileError, match="lr_schedule"):
        load_config(None, {"lr_schedule": "exponential"})
    with pytest.raises(ConfigFileError, match="min_lr_ratio"):
        load_config(None, {"min_lr_ratio": 1.5})



def _config(tiny, out, **kw):
    model, data = tiny
    base = dict(model=str(model), data=str(data), output_dir=str(out), max_steps=4,
                prompts_per_step=4, responses_per_prompt=2, max_new_tokens=8, lr=LR,
                eval_fraction=0.25, eval_every=0, save_every=2, micro_batch_size=3,
                tensorboard=False, progress=False, threads=1, lr_schedule="cosine",
                warmup_steps=2, min_lr_ratio=0.1)
    base.update(kw)
    return load_config(None, base)


def _train_rows(run):
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS}
            for r in read_metrics(run) if not r.get("eval")]


def _weights(run):
    from safetensors.torch import load_file
    return load_file(str(ckpt.latest(run) / "model" / "model.safetensors"))


def test_lr_is_logged_per_step_and_follows_the_schedule(tiny, tmp_path):
    train(_config(tiny, tmp_path / "run"))
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["lr_decay_steps"] == 4  # the horizon is fixed when the run starts
    lrs = [r["lr"] for r in _train_rows(tmp_path / "run")]
    # warm-up 2 steps (lr/2, lr), then cosine over steps 2..4: progress 0, 1/2
    expected = [LR / 2, LR, LR, LR * (0.1 + 0.9 * 0.5)]
    assert lrs == pytest.approx(expected)
    state = ckpt.load_state(ckpt.latest(tmp_path / "run"))
    assert state.lr == pytest.approx(expected[-1])


def test_constant_default_keeps_lr(tiny, tmp_path):
    train(_config(tiny, tmp_path / "run", lr_schedule="constant", warmup_steps=0, max_steps=2,
                  save_every=0))
    assert [r["lr"] for r in _train_rows(tmp_path / "run")] == [LR, LR]


def test_resumed_scheduled_run_is_identical_to_the_uninterrupted_one(tiny, tmp_path):
    full = tmp_path / "full"
    train(_config(tiny, full, lr_decay_steps=6, max_steps=4))
    part = tmp_path / "part"
    train(_config(tiny, part, lr_decay_steps=6, max_steps=2))
    resumed = train(load_config(None, {"max_steps": 4}), resume=part)
    assert resumed.steps == 4
    a, b = _train_rows(full), _train_rows(part)
    assert [r["step"] for r in b] == [1, 2, 3, 4]
    assert a == b  # lr column included
    # warm-up over 2 steps, then cosine from step 2 to 6: the resumed steps decay
    assert [r["lr"] for r in a] == pytest.approx(
        [LR / 2, LR, LR, LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4)))])
    wa, wb = _weights(full), _weights(part)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_extending_a_finished_run_keeps_its_horizon(tiny, tmp_path):
    run = tmp_path / "run"
    train(_config(tiny, run, max_steps=2, warmup_steps=0, lr_schedule="linear", save_every=0))
    train(load_config(None, {"max_steps": 3}), resume=run)
    # decay ended at step 2 (the first launch's max_steps): step 3 runs at the floor
    assert [r["lr"] for r in _train_rows(run)] == pytest.approx([LR, LR * 0.55, LR * 0.1])
