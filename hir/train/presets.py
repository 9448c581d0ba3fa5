"""Named presets: sets of TrainConfig values selected with ``preset = NAME`` (``--preset NAME``).

A preset sits between the defaults and the user's own settings: ``TrainConfig`` fills every key
of the preset that the TOML file or the command line did not set (``TrainConfig._apply_preset``),
so an explicit option always wins. The resolved values are what ``config.json`` records.

``paper``: the released HiR run, ``HIR/examples/reinforce_plus_plus_trainer/run_qwen3_rf_replay.sh``
of github.com/sastpg/HIR with verl's defaults for what the script leaves unset and the replay
logic of its ``HIR/verl/trainer/ppo/ray_trainer.py``. docs/train.md maps every value to its line;
the differences that remain (mini-batches, re-sampling, ...) are listed there.
"""

from __future__ import annotations

from typing import Any

PAPER: dict[str, Any] = {
    # the step: data.train_batch_size=64, rollout.n=8 of which 6 fresh (indeed_n) + 2 replays
    "prompts_per_step": 64,
    "responses_per_prompt": 6,
    "max_prompt_tokens": 2048,          # data.max_prompt_length
    "max_new_tokens": 4096,             # data.max_response_length
    "temperature": 1.0,                 # verl rollout default
    "top_p": 1.0,                       # verl rollout default
    # verification: if_score's "score" is the strict, all-constraints (sparse) reward of the
    # reference IFEval/IFBench checkers
    "reward": "ila",
    "mode": "strict",
    "semantics": "reference",
    # hindsight replay: top 2B of the batch by lambda * CLA + entropy, old log-probs copied
    "replay": "hir",
    "replay_k": 2,
    "replay_budget": "global",
    "replay_select": "score",
    "replay_rewrite": "keep",
    "replay_logprobs": "copy",
    "replay_adv": "joint",
    "replay_weight": 1.0,
    "lambda0": 2.0,
    "eta": 0.05,
    # the update: REINFORCE++, KL in the reward (not the loss), verl's optimizer defaults
    "advantage": "reinforce++",
    "kl_reward_coef": 0.001,            # algorithm.use_kl_in_reward, kl_ctrl.kl_coef default
    "kl_coef": 0.0,                     # actor.use_kl_loss=False
    "lr": 1e-6,
    "lr_schedule": "constant",          # verl optim.warmup_style default
    "warmup_steps": 0,                  # verl optim.lr_warmup_steps_ratio default 0
    "weight_decay": 0.01,               # verl optim.weight_decay default
    "adam_betas": (0.9, 0.999),
    "grad_clip": 1.0,                   # verl actor.grad_clip default
    "clip_eps": 0.2,                    # verl actor.clip_ratio default
    "clip_eps_high": None,
    "update_epochs": 1,                 # verl actor.ppo_epochs default
    "micro_batch_size": 8,              # actor.ppo_micro_batch_size_per_gpu
    "gradient_checkpointing": True,     # model.enable_gradient_checkpointing
    "lora_rank": 0,                     # full fine-tuning (verl model.lora_rank default 0)
    # bookkeeping
    "eval_every": 10,                   # trainer.test_freq
    "save_every": 100,                  # trainer.save_freq
}

PRESETS: dict[str, dict[str, Any]] = {"paper": PAPER}


def preset_values(name: str) -> dict[str, Any]:
    """The values of preset ``name`` (a copy); ValueError naming the known presets otherwise."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r} (known: {', '.join(sorted(PRESETS))})")
    return dict(PRESETS[name])
