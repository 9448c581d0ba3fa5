"""``--preset paper`` (the authors' released run) and the KL-in-reward it needs."""

import json

import pytest

from tiny_lm import torch, tiny  # noqa: F401 (a fixture); skips without torch
from hir.train import advantages as adv
from hir.train import kl_reward
from hir.train.config import ConfigFileError, TrainConfig, load_config
from hir.train.metrics import read_metrics
from hir.train.presets import PAPER, PRESETS
from hir.train.trainer import train


def test_paper_preset_sets_every_value_it_names():
    cfg = load_config(None, {"preset": "paper"})
    for key, value in PAPER.items():
        got = getattr(cfg, key)
        assert (tuple(got) if isinstance(got, tuple) else got) == value, key
    # the headline settings of the released run
    assert (cfg.advantage, cfg.responses_per_prompt, cfg.replay_k, cfg.replay_budget,
            cfg.replay_logprobs, cfg.lambda0, cfg.eta, cfg.kl_reward_coef, cfg.kl_coef,
            cfg.lr) == ("reinforce++", 6, 2, "global", "copy", 2.0, 0.05, 0.001, 0.0, 1e-6)
    # and they are not simply the defaults: the preset changes the config
    plain = TrainConfig()
    assert [k for k in PAPER if getattr(plain, k) != getattr(cfg, k)]


def test_explicit_options_and_the_toml_file_win_over_the_preset(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('preset = "paper"\nresponses_per_prompt = 4\nlr = 2e-6\n')
    cfg = load_config(toml, {"lr": 5e-6, "eta": None})
    assert cfg.responses_per_prompt == 4       # the file beats the preset
    assert cfg.lr == 5e-6                      # the command line beats both
    assert cfg.eta == PAPER["eta"]             # not given: the preset's
    assert cfg.prompts_per_step == 64
    # the preset given on the command line, a value in the file
    toml.write_text("max_new_tokens = 100\n")
    cfg = load_config(toml, {"preset": "paper"})
    assert cfg.max_new_tokens == 100 and cfg.max_prompt_tokens == PAPER["max_prompt_tokens"]


def test_unknown_preset_is_refused_by_name():
    with pytest.raises(ConfigFileError, match="preset.*paper"):
        load_config(None, {"preset": "papers"})
    assert set(PRESETS) == {"paper"}


def test_preset_values_are_valid_for_the_config():
    # every preset key is a field; pydantic would reject a bad value at load time
    assert set(PAPER) <= set(TrainConfig.model_fields)
    TrainConfig.model_validate(PAPER)


# -- KL in the reward --------------------------------------------------------------------------

def test_token_returns_subtract_the_kl_still_to_come():
    kl = [torch.tensor([0.5, 0.0, 1.0]), torch.tensor([2.0])]
    returns = kl_reward.token_returns([1.0, 0.0], kl, 0.1)
    f64 = torch.float64
    assert torch.allclose(returns[0], torch.tensor([1 - 0.15, 1 - 0.1, 1 - 0.1], dtype=f64))
    assert torch.allclose(returns[1], torch.tensor([-0.2], dtype=f64))


def test_without_kl_the_per_token_advantages_are_reinforce_pp():
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0])
    lengths = torch.tensor([3.0, 1.0, 2.0, 4.0])
    per_seq = adv.reinforce_pp(rewards, lengths)
    kl = [torch.zeros(int(n)) for n in lengths]
    per_token, _ = kl_reward.advantages(rewards.tolist(), kl, 0.0, [False] * 4)
    for a, s, n in zip(per_token, per_seq, lengths):
        assert a.shape == (int(n),) and torch.allclose(a, s.expand(int(n)), atol=1e-6)


def test_replay_weight_scales_only_replays():
    kl = [torch.tensor([0.1, 0.2]), torch.tensor([0.3]), torch.tensor([0.0, 0.4])]
    base, _ = kl_reward.advantages([1.0, 0.0, 1.0], kl, 0.5, [False, False, True])
    half, fresh = kl_reward.advantages([1.0, 0.0, 1.0], kl, 0.5, [False, False, True],
                                       weight=0.5)
    assert torch.equal(half[0], base[0]) and torch.equal(half[1], base[1])
    assert torch.allclose(half[2], base[2] * 0.5)
    assert len(fresh) == 2


def test_kl_in_the_reward_needs_joint_reinforce_pp():
    with pytest.raises(ConfigFileError, match="kl_reward_coef"):
        load_config(None, {"kl_reward_coef": 0.01, "advantage": "grpo"})
    with pytest.raises(ConfigFileError, match="kl_reward_coef"):
        load_config(None, {"kl_reward_coef": 0.01, "replay_adv": "fresh"})



def test_kl_in_the_reward_runs_and_is_logged(tiny, tmp_path):
    model, data = tiny
    cfg = load_config(None, dict(
        model=str(model), data=str(data), output_dir=str(tmp_path / "run"), max_steps=2,
        prompts_per_step=4, responses_per_prompt=2, max_new_tokens=8, lr=1e-2,
        eval_fraction=0.25, eval_every=0, save_every=0, micro_batch_size=3, tensorboard=False,
        progress=False, threads=1, kl_reward_coef=0.5, replay_logprobs="copy"))
    train(cfg)
    rows = [r for r in read_metrics(tmp_path / "run") if not r.get("eval")]
    assert rows[0]["kl"] is None  # no KL in the loss
    # step 1: the policy is the reference, the KL is exactly 0; step 2: it has moved
    assert rows[0]["kl_reward"] == 0.0
    assert rows[1]["kl_reward"] != 0.0
    assert sum(r["replays"] for r in rows) > 0  # copy replays took their original's KL


def test_cli_preset_with_explicit_overrides(tiny, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    model, data = tiny
    run = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "train", "--preset", "paper", "--model", str(model), "--data", str(data), "-o",
        str(run), "--max-steps", "1", "-B", "2", "-m", "2", "--max-new-tokens", "6",
        "--eval-every", "0", "--threads", "1", "--no-gradient-checkpointing", "--lr", "1e-3",
        "--quiet"])
    assert res.exit_code == 0, res.output
    saved = json.loads((run / "config.json").read_text())
    assert saved["preset"] == "paper"
    assert (saved["prompts_per_step"], saved["responses_per_prompt"], saved["max_new_tokens"],
            saved["lr"], saved["gradient_checkpointing"]) == (2, 2, 6, 1e-3, False)
    for key in ("replay_logprobs", "replay_budget", "kl_reward_coef", "semantics",
                "weight_decay", "max_prompt_tokens", "save_every"):
        assert saved[key] == PAPER[key], key
    rows = [r for r in read_metrics(run) if not r.get("eval")]
    assert rows[0]["kl_reward"] == 0.0 and rows[0]["lr"] == 1e-3
