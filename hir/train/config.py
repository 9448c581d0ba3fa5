"""The run configuration: one pydantic model, loaded from TOML and overridden from the CLI.

Precedence: defaults < a named ``preset`` (``hir.train.presets``) < ``--config FILE.toml`` <
explicit CLI options. The resolved config is written to ``<output_dir>/config.json`` at the start
of a run and read back by ``--resume``.
Unknown keys are errors (a typo in a TOML file must not silently fall back to a default).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .presets import PRESETS, preset_values


class TrainConfig(BaseModel):
    """Everything a run needs. Field descriptions double as the docs of the TOML keys."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["paper"] | None = Field(None, description="named settings under the "
                                            "user's own (hir.train.presets); paper = the "
                                            "authors' released run")

    # what to train on
    model: str | None = Field(None, description="transformers causal LM name or path; "
                              "None = the built-in toy model (hir.toy), SFT-warmed")
    data: str | None = Field(None, description="training JSONL (instruction form or IFEval rows); "
                             "None = the built-in toy task")
    eval_data: str | None = Field(None, description="held-out JSONL; None = split off "
                                  "eval_fraction. Every eval also scores it as hir check does "
                                  "(reference semantics, strict and loose)")
    eval_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    eval_max_prompts: int = Field(200, ge=0, description="cap on held-out prompts evaluated")
    trust_remote_code: bool = Field(False, description="let transformers run the model's own "
                                    "Python code (auto_map); never for a run directory")
    output_dir: str = "runs/hir"
    seed: int = 0

    # the step
    max_steps: int = Field(40, ge=0)
    prompts_per_step: int = Field(8, ge=1, description="B: prompts sampled per step (all ranks)")
    responses_per_prompt: int = Field(4, ge=1, description="m: responses sampled per prompt")
    temperature: float = Field(1.0, gt=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_new_tokens: int = Field(64, ge=1)
    generation_batch_size: int = Field(128, ge=1, description="sequences sampled together")
    max_prompt_tokens: int = Field(512, ge=1, description="longer prompts are left-truncated")

    # verification and reward
    reward: Literal["ila", "cla"] = Field("ila", description="ila: 1 if every constraint holds; "
                                          "cla: fraction of constraints that hold")
    mode: Literal["strict", "loose"] = "strict"
    semantics: Literal["reference", "corrected"] = "corrected"

    # hindsight replay
    replay: Literal["hir", "none"] = "hir"
    replay_logprobs: Literal["recompute", "copy"] = Field(
        "recompute", description="old-policy log-probs of a replay: recomputed under the "
        "hindsight prompt, or copied from the original prompt (the authors' choice)")
    lambda0: float = Field(2.0, description="selection score F = entropy + lambda_s * CLA, "
                           "lambda_s = lambda0 * (1 + eta) ** step (hir.knobs.lambda_at)")
    eta: float = Field(0.05, ge=0.0)
    replay_k: int = Field(2, ge=0, description="replays per prompt group (budget 'group') or "
                          "k * groups over the batch (budget 'global')")
    replay_budget: Literal["group", "global"] = Field(
        "global", description="global: top candidates over the whole batch (the authors' "
        "released trainer); group: top k within each prompt's group")
    replay_select: Literal["score", "rarity", "random", "cla"] = Field(
        "score", description="which candidates fill the budget: score = the paper's F = entropy + "
        "lambda_s * CLA; rarity (beyond the paper) = the score with each constraint of the CLA "
        "term weighted by its failure rate in the batch; random = uniform among candidates "
        "(seeded by seed, step, rank); cla = lambda_s * CLA only (no entropy term). random and "
        "cla are ablations")
    replay_rewrite: Literal["keep", "achieved", "achieved_only"] = Field(
        "keep", description="keep: a hindsight instruction keeps the satisfied constraints and "
        "drops the failed ones (the paper); achieved (beyond the paper): a failed constraint whose "
        "family can describe what the response did (word/sentence counts, bullet count, end "
        "phrase) is kept with those parameters instead (hir.rewrite), the others are dropped; "
        "achieved_only (beyond the paper): no constraint is dropped, so only responses whose "
        "every failed constraint can be stated that way are replayed")
    replay_achieved_families: list[str] | None = Field(
        None, description="with replay_rewrite achieved/achieved_only: the constraint ids that "
        "may be stated as achieved (default: every family that can); a failed constraint of "
        "another id is dropped (achieved) or keeps its response out of the replays "
        "(achieved_only)")
    replay_adv: Literal["joint", "fresh"] = Field(
        "joint", description="joint: replays share the advantage statistics of the batch (the "
        "paper); fresh (beyond the paper): fresh rollouts get binary RL's advantages (fresh-only "
        "statistics) and each replay replay_weight * a fresh success's (hir.train.advantages)")
    replay_weight: float = Field(1.0, ge=0.0, description="multiplier of replay advantages "
                                 "(1 = the paper)")
    system_prompt: str | None = Field(None, description="system turn for chat templates")

    # the update
    advantage: Literal["reinforce++", "grpo"] = "reinforce++"
    lr: float = Field(1e-6, gt=0.0, description="peak AdamW learning rate (hir.train.schedule)")
    lr_schedule: Literal["constant", "linear", "cosine"] = Field(
        "constant", description="after warm-up: constant, or linear/cosine decay to "
        "min_lr_ratio * lr at lr_decay_steps")
    warmup_steps: int = Field(0, ge=0, description="training steps of linear warm-up, from "
                              "lr / warmup_steps at the first step to lr")
    lr_decay_steps: int | None = Field(None, ge=1, description="step at which the decay ends "
                                       "(warm-up included); None = max_steps when the run "
                                       "starts (a resume keeps the horizon)")
    min_lr_ratio: float = Field(0.0, ge=0.0, le=1.0, description="final learning rate of the "
                                "linear/cosine decay, as a fraction of lr")
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float = Field(1.0, ge=0.0, description="max global grad norm; 0 = off")
    update_epochs: int = Field(1, ge=1, description="mu: passes over each step's batch")
    micro_batch_size: int = Field(8, ge=1, description="sequences per forward/backward")
    clip_eps: float = Field(0.2, ge=0.0)
    clip_eps_high: float | None = Field(None, description="upper clip (DAPO clip-higher); "
                                        "None = clip_eps")
    kl_coef: float = Field(0.0, ge=0.0, description="weight of the k3 KL to the frozen reference")
    kl_reward_coef: float = Field(0.0, ge=0.0, description="beta of the KL to the frozen "
                                  "reference in the reward: each token's reward -beta * (log "
                                  "pi_old - log pi_ref), per-token REINFORCE++ returns "
                                  "(hir.train.kl_reward; the authors' run: 0.001)")

    # LoRA through peft (pip install 'hir[lora]'; hir.train.lora)
    lora_rank: int = Field(0, ge=0, description="LoRA rank; 0 = train every weight of the model")
    lora_alpha: float = Field(16.0, gt=0.0, description="LoRA scale numerator (the adapter's "
                              "output is scaled by lora_alpha / lora_rank)")
    lora_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout on the adapters' "
                                "input; > 0 runs the update passes in train mode")
    lora_target_modules: str = Field("all-linear", description="comma-separated module names "
                                     "(e.g. q_proj,v_proj), or all-linear: every linear layer "
                                     "but the output layer")
    lora_export_merged: bool = Field(False, description="at the end of the run, also write "
                                     "<run>/merged/: the base with the adapters merged in, a "
                                     "plain transformers model")

    # bookkeeping
    eval_every: int = Field(10, ge=0, description="steps between held-out evals; 0 = only "
                            "before and after")
    save_every: int = Field(10, ge=0, description="steps between checkpoints; 0 = only at the end")
    samples_per_step: int = Field(2, ge=0, description="records written to samples.jsonl per step")
    tensorboard: bool = True
    progress: bool = True

    # hardware
    device: str = Field("auto", description="auto: cuda if available, else cpu")
    bf16: bool | None = Field(None, description="bf16 autocast; None = on for cuda")
    gradient_checkpointing: bool = False
    threads: int | None = Field(None, description="torch CPU threads; None = torch default")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        """Fill the preset's keys that were not given (an unknown name is left to the field's
        own validation, which names the known presets)."""
        if isinstance(data, dict) and data.get("preset") in PRESETS:
            return {**preset_values(data["preset"]), **data}
        return data

    @model_validator(mode="after")
    def _check(self) -> "TrainConfig":
        # ``--reward cla`` is the fraction-satisfied baseline: no replay unless asked for
        if self.reward == "cla" and "replay" not in self.model_fields_set:
            self.replay = "none"
        if self.kl_reward_coef > 0 and (self.advantage != "reinforce++"
                                        or self.replay_adv != "joint"):
            raise ValueError("kl_reward_coef needs advantage 'reinforce++' and replay_adv "
                             "'joint' (per-token returns are whitened over the whole batch)")
        if self.replay_achieved_families is not None:
            from constraints import registry

            known = set(registry.ids())
            unknown = [c for c in self.replay_achieved_families if c not in known]
            if unknown:
                raise ValueError(f"replay_achieved_families: unknown constraint ids {unknown}")
        return self

    @property
    def eps_high(self) -> float:
        return self.clip_eps if self.clip_eps_high is None else self.clip_eps_high

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.model_dump(mode="json"), indent=2) + "\n",
                              encoding="utf-8")


class ConfigFileError(ValueError):
    """A config file or override that cannot be used, with the file and key named."""


def _flatten(table: Mapping[str, Any]) -> dict[str, Any]:
    """TOML sections are cosmetic: ``[replay] eta = 0.1`` means ``eta``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            for sub, subvalue in _flatten(value).items():
                if sub in flat:
                    raise ConfigFileError(f"key {sub!r} is set twice")
                flat[sub] = subvalue
        else:
            if key in flat:
                raise ConfigFileError(f"key {key!r} is set twice")
            flat[key] = value
    return flat


def load_config(path: str | Path | None = None,
                overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Defaults, then the TOML file (if any), then ``overrides`` (None values = not given)."""
    values: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            with open(path, "rb") as f:
                values = _flatten(tomllib.load(f))
        except FileNotFoundError:
            raise ConfigFileError(f"{path}: no such config file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigFileError(f"{path}: invalid TOML: {exc}") from None
        except ConfigFileError as exc:
            raise ConfigFileError(f"{path}: {exc}") from None
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return TrainConfig.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        msg = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigFileError(f"{source}: {field!r}: {msg}") from None


def load_saved(run_dir: str | Path) -> TrainConfig:
    """The resolved config a run saved (for ``--resume``)."""
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise ConfigFileError(f"{run_dir}: not a run directory (no config.json)")
    return TrainConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
