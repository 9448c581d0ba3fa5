"""End to end on a tiny local model: metrics, checkpoints, exact resume, TOML config, plot, CLI."""

import json

import pytest

from tiny_lm import torch, tiny  # noqa: F401 (a fixture); skips without torch
from hir.train import checkpoint as ckpt
from hir.train.config import ConfigFileError, load_config
from hir.train.metrics import read_metrics
from hir.train.trainer import TIMING_KEYS, train



def _config(tiny, out, **kw):
    model, data = tiny
    base = dict(model=str(model), data=str(data), output_dir=str(out), max_steps=2,
                prompts_per_step=4, responses_per_prompt=2, max_new_tokens=8, lr=1e-2,
                eval_fraction=0.25, eval_every=2, save_every=2, micro_batch_size=3,
                tensorboard=False, progress=False, threads=1)
    base.update(kw)
    return load_config(None, base)


def test_two_steps_write_metrics_samples_and_checkpoint(tiny, tmp_path):
    cfg = _config(tiny, tmp_path / "run", advantage="grpo", replay_logprobs="copy")
    result = train(cfg)
    assert result.steps == 2 and result.before is not None and result.after is not None
    rows = read_metrics(tmp_path / "run")
    train_rows = [r for r in rows if not r.get("eval")]
    eval_rows = [r for r in rows if r.get("eval")]
    assert [r["step"] for r in train_rows] == [1, 2]
    assert [r["rollouts"] for r in train_rows] == [8, 16]  # B * m per step, cumulative
    assert [r["step"] for r in eval_rows] == [0, 2]
    for key in ("loss", "reward", "train_ila", "train_cla", "replays", "dead_groups", "lambda",
                "entropy", "tokens_per_s"):
        assert key in train_rows[0]
    assert train_rows[1]["lambda"] > train_rows[0]["lambda"]
    assert 0 <= eval_rows[0]["eval_ila"] <= eval_rows[0]["eval_cla"] <= 1
    assert eval_rows[0]["eval_by_id"]
    # a random model's word salad fails some constraints and satisfies others: replays happen
    assert sum(r["replays"] for r in train_rows) > 0
    samples = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    replay_rows = [s for s in samples if s["kind"] == "replay"]
    assert replay_rows and all(s["hindsight_prompt"] != s["prompt"] for s in replay_rows)
    assert all(not all(s["mask"]) and any(s["mask"]) for s in replay_rows)
    last = ckpt.latest(tmp_path / "run")
    assert last is not None and last.name == "step_000002"
    assert (last / "model" / "model.safetensors").exists()
    assert not list((tmp_path / "run" / "checkpoints").glob("*.tmp"))
    assert json.loads((tmp_path / "run" / "config.json").read_text())["advantage"] == "grpo"


def test_resume_reproduces_the_uninterrupted_run(tiny, tmp_path):
    common = dict(kl_coef=0.05, update_epochs=2, temperature=1.0, top_p=0.9)
    full = train(_config(tiny, tmp_path / "full", max_steps=4, **common))
    part = _config(tiny, tmp_path / "part", max_steps=2, **common)
    train(part)
    resumed = train(load_config(None, {"max_steps": 4}), resume=tmp_path / "part")
    assert resumed.steps == 4
    for mine, theirs in ((resumed.before, full.before), (resumed.after, full.after)):
        assert (mine.ila, mine.cla, mine.by_id, mine.counts) == \
            (theirs.ila, theirs.cla, theirs.by_id, theirs.counts)

    def strip(rows):
        return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]

    a, b = strip(read_metrics(tmp_path / "full")), strip(read_metrics(tmp_path / "part"))
    assert [r["step"] for r in a if not r.get("eval")] == [1, 2, 3, 4]
    assert a == b
    wa = _weights(full.run_dir)
    wb = _weights(resumed.run_dir)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    # and the steps did learn something (equality of two frozen runs would prove nothing)
    w0 = _weights_of(tiny[0])
    assert any(not torch.equal(w0[k], wa[k]) for k in w0)


def _weights(run_dir):
    return _weights_of(ckpt.latest(run_dir) / "model")


def _weights_of(model_dir):
    from safetensors.torch import load_file
    return load_file(str(model_dir / "model.safetensors"))


def test_baselines_binary_rl_and_cla_reward(tiny, tmp_path):
    train(_config(tiny, tmp_path / "none", replay="none", max_steps=1, eval_every=0))
    rows = [r for r in read_metrics(tmp_path / "none") if not r.get("eval")]
    assert rows[0]["replays"] == 0 and rows[0]["reward"] == rows[0]["train_ila"]
    cfg = _config(tiny, tmp_path / "cla", reward="cla", max_steps=1, eval_every=0)
    assert cfg.replay == "none"  # the CLA baseline has no replay unless asked for
    train(cfg)
    rows = [r for r in read_metrics(tmp_path / "cla") if not r.get("eval")]
    assert rows[0]["replays"] == 0
    assert rows[0]["reward"] == pytest.approx(rows[0]["train_cla"])


def test_toml_config_with_cli_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('max_steps = 7\nlr = 3e-5\n[replay_section]\nreplay_logprobs = "copy"\n'
                    'eta = 0.1\n')
    cfg = load_config(path, {"max_steps": 9, "seed": None})
    assert (cfg.max_steps, cfg.lr, cfg.replay_logprobs, cfg.eta, cfg.seed) == (9, 3e-5, "copy",
                                                                               0.1, 0)
    path.write_text("max_step = 7\n")
    with pytest.raises(ConfigFileError, match="max_step.*unknown key"):
        load_config(path)
    path.write_text('advantage = "ppo"\n')
    with pytest.raises(ConfigFileError, match="advantage"):
        load_config(path)
    with pytest.raises(ConfigFileError, match="no such config file"):
        load_config(tmp_path / "missing.toml")


def test_example_config_is_valid():
    from pathlib import Path
    example = Path(__file__).parents[1] / "examples" / "train_config.toml"
    if not example.exists():
        pytest.skip("examples/train_config.toml not present")
    load_config(example)


def test_cli_train_then_plot_two_runs(tiny, tmp_path):
    from typer.testing import CliRunner
    from cli.main import app

    model, data = tiny
    runner = CliRunner()
    for name, extra in (("hir", []), ("none", ["--replay", "none"])):
        res = runner.invoke(app, ["train", "--model", str(model), "--data", str(data),
                                  "-o", str(tmp_path / name), "--max-steps", "1", "-B", "2",
                                  "-m", "2", "--max-new-tokens", "6", "--threads", "1",
                                  "--quiet", *extra])
        assert res.exit_code == 0, res.output
    assert (tmp_path / "hir" / "learning_curve.png").exists()
    out = tmp_path / "cmp.png"
    res = runner.invoke(app, ["plot", str(tmp_path / "hir"), str(tmp_path / "none"), "-o",
                              str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = runner.invoke(app, ["plot", str(tmp_path / "nothing"), "-o", str(out)])
    assert res.exit_code == 2
    res = runner.invoke(app, ["train", "--data", str(data), "-o", str(tmp_path / "x"), "-q"])
    assert res.exit_code == 2 and "--data needs --model" in res.output


def test_bad_rows_are_rejected_and_the_rest_trained_on(tiny, tmp_path):
    from typer.testing import CliRunner
    from cli.main import app

    model, data = tiny
    bad = tmp_path / "bad.jsonl"
    bad.write_text(data.read_text() + '{"instruction": {"task": "x", "constraints": '
                   '[{"id": "no:such"}]}}\nnot json\n')
    res = CliRunner().invoke(app, ["train", "--model", str(model), "--data", str(bad), "-o",
                                   str(tmp_path / "r"), "--max-steps", "1", "-B", "2", "-m", "1",
                                   "--max-new-tokens", "4", "--threads", "1", "-q"])
    assert res.exit_code == 1
    rejects = [json.loads(x) for x in (tmp_path / "r" / "rejects.jsonl").read_text().splitlines()]
    assert [(r["source"], r["line"]) for r in rejects] == [(str(bad), 13), (str(bad), 14)]
    assert "no:such" in rejects[0]["error"]
    assert ckpt.latest(tmp_path / "r") is not None


def test_toy_preset_sits_under_explicit_settings():
    toy = pytest.importorskip("hir.toy")
    from hir.train.trainer import with_toy_preset

    preset = toy.TRAIN_PRESET
    key = next(k for k in preset if k != "max_steps")
    cfg = with_toy_preset(load_config(None, {"max_steps": 3}))
    assert cfg.max_steps == 3 and getattr(cfg, key) == preset[key]
    # with a model and data of their own, the preset does not apply
    mine = load_config(None, {"model": "m", "data": "d"})
    assert with_toy_preset(mine) == mine


def test_gradient_checkpointing_changes_memory_not_results(tiny, tmp_path):
    rows = {}
    for gc in (False, True):
        train(_config(tiny, tmp_path / str(gc), max_steps=2, eval_every=0, save_every=0,
                      gradient_checkpointing=gc))
        rows[gc] = [{k: v for k, v in r.items() if k not in TIMING_KEYS}
                    for r in read_metrics(tmp_path / str(gc)) if not r.get("eval")]
    assert rows[True] == rows[False]


def test_cli_start_up_stays_torch_free():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, cli.main; assert 'train' in [c.name or c.callback.__name__ "
            "for c in cli.main.app.registered_commands]; "
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
