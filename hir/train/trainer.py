"""``hir train``: RL on verifiable instructions with Hindsight instruction Replay (HiR).

One training step, top to bottom in ``Trainer.step``:

1. Rollout: sample B prompts (this rank's share of the global batch) and generate m responses to
   each at ``temperature``/``top_p`` (``generate.py``), keeping each token's entropy.
2. Verify every response with the constraint engine (``hir.masks``): its mask of satisfied
   constraints and its reward (ILA: 1 if all hold; or CLA, the fraction, for the ``--reward cla``
   baseline).
3. Select failed responses that satisfied some constraints (score = mean token entropy +
   lambda_s * CLA, lambda_s growing with the step) and rewrite each one's instruction to the
   constraints it satisfied, re-checked under the new prompt: ``hir.relabel.relabel``, the same
   code as ``hir relabel``. ``--replay none`` skips steps 3-4 (binary-reward RL).
4. Build replay episodes: the hindsight prompt's tokens + the same response tokens, reward 1, in
   the group of their original (``replay.py``). Old-policy log-probs of the batch
   (``logprobs.py``): a replay's recomputed under the hindsight prompt (default) or copied from
   its original (``--replay-logprobs copy``, the authors' choice).
5. Advantages over fresh rollouts + replays: ``reinforce++`` (rewards whitened over all tokens of
   the global batch; default; per-token returns with the KL in the reward, ``kl_reward.py``) or
   ``grpo`` (normalised within each prompt's group). Replays share the statistics (``replay_adv
   joint``, the paper) or, beyond the paper, fresh rollouts get binary RL's advantages and
   replays a fresh success's (``fresh``); ``replay_weight`` scales replays.
6. Update: PPO-clipped loss, token-mean over the batch, optional k3 KL to the frozen initial
   policy; ``update_epochs`` (mu) AdamW steps per training step at the step's learning rate
   (``schedule.py``: warm-up, then constant/linear/cosine), each accumulating gradients over
   micro-batches; gradient clipping.

Then: one metrics row per step, a held-out greedy eval every ``eval_every`` steps (and at step 0
and the end), checkpoints every ``save_every`` steps (and at the end).

Models: any transformers causal LM (``config.model``), trained in full or, with ``lora_rank > 0``,
through LoRA adapters (``lora.py``); when neither ``model`` nor ``data`` is given the built-in toy
task and model come from ``hir.toy.default_setup(config)`` (SFT-warmed).
"""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from hir.jsonl import dumps
from hir.rows import Row
from hir.relabel import RelabelConfig

from . import advantages as adv
from . import checkpoint as ckpt
from . import data as datalib
from . import kl_reward
from . import lora
from . import replay as replaylib
from . import schedule
from .config import TrainConfig, load_saved
from .distributed import all_reduce_grads, setup as setup_dist, teardown
from .episode import Episode, verify
from .evaluate import EvalResult, evaluate
from .generate import generate
from .logprobs import forward_logprobs, sequence_logprobs
from .loss import ppo_loss
from .metrics import (METRICS, SAMPLES, LogError, RunLog, read_metrics, sum_over_ranks,
                      truncate_after)
from .precision import use_bf16

# The held-out responses of each eval, one JSONL file per step, in a form hir check reads.
EVAL_RESPONSES = "eval_responses"

# Fields of a metrics row that measure time, not learning (they differ between identical runs).
TIMING_KEYS = ("seconds", "tokens_per_s", "update_tokens_per_s", "eval_seconds")


class SetupError(ValueError):
    """A run that cannot start: bad model/data combination, unreadable run dir, ..."""


@dataclass
class TrainResult:
    run_dir: Path
    before: EvalResult | None
    after: EvalResult | None
    rejects: list = field(default_factory=list)
    steps: int = 0


# ----------------------------------------------------------------------------------------------
# Setup: model, tokenizer, data


def _load_pretrained(path: str, device: torch.device, *, run_dir: bool = False,
                     trust_remote_code: bool = False):
    """A model (float32) and tokenizer.

    The model's own Python code (a config's ``auto_map``) runs only with ``trust_remote_code``,
    the user's opt-in. From a run directory (ours, written as safetensors) no code is ever run
    and no other weight format is read, so a planted ``.py`` or pickle-based ``.bin`` is never
    opened.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    trust = trust_remote_code and not run_dir
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust)
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=torch.float32, trust_remote_code=trust,
            **({"use_safetensors": True} if run_dir else {}))
    except ValueError as exc:
        if "trust_remote_code" not in str(exc):
            raise
        why = ("code in a run directory is never run" if run_dir else
               "pass --trust-remote-code (trust_remote_code = true) if you trust it")
        raise SetupError(f"{path}: the model needs its own Python code to load; {why}") from None
    return model.to(device), tokenizer


def _load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def _read_items(path: Path, semantics: str) -> list[Row]:
    items, rejects = datalib.load(path, semantics)
    if rejects:
        raise SetupError(f"{path}: {len(rejects)} unreadable rows, first: "
                         f"{rejects[0].message()}")
    return items


def _write_items(path: Path, items: list[Row]) -> None:
    _write_jsonl(path, [it.to_json() for it in items])


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(dumps(row) + "\n")


def _remove_evals_after(run_dir: Path, step: int) -> None:
    """A resumed run redoes the evals after its checkpoint: their old responses go, as their
    metrics rows do (an eval the new schedule skips must not leave a stale file behind)."""
    for path in (run_dir / EVAL_RESPONSES).glob("step_*.jsonl"):
        if path.stem[len("step_"):].isdigit() and int(path.stem[len("step_"):]) > step:
            path.unlink()


def load_setup(config: TrainConfig, device: torch.device):
    """(model, tokenizer, train items, eval items, rejects) for a fresh run."""
    rejects: list = []
    if config.model is None and config.lora_rank > 0:
        raise SetupError("LoRA needs --model (a base model a resumed run can load again)")
    if config.model is None and config.data is None:
        from hir.toy import default_setup

        model, tokenizer, train_inst, eval_inst = default_setup(config)
        train = datalib.from_instructions(train_inst, "toy-train-")
        held = datalib.from_instructions(eval_inst, "toy-eval-")
        return model.to(device), tokenizer, train, held, rejects
    if config.model is None:
        raise SetupError("--data needs --model: the built-in toy model only knows the toy task")
    if config.data is None:
        raise SetupError("--model needs --data (a JSONL of instructions)")
    model, tokenizer = _load_pretrained(config.model, device,
                                        trust_remote_code=config.trust_remote_code)
    if config.lora_rank > 0:
        try:
            model = lora.wrap(model, config)
        except lora.LoraError as exc:
            raise SetupError(str(exc)) from None
    train, rejects = datalib.load(config.data, config.semantics)
    if config.eval_data is not None:
        held, more = datalib.load(config.eval_data, config.semantics)
        rejects += more
    else:
        train, held = datalib.split(train, config.eval_fraction, config.seed)
    return model, tokenizer, train, held, rejects


def with_toy_preset(config: TrainConfig) -> TrainConfig:
    """The built-in task's tuned settings (``hir.toy.TRAIN_PRESET``) under the user's own.

    Applied only when neither ``model`` nor ``data`` is given; a field the user set (in TOML or
    on the CLI, i.e. in ``model_fields_set``) always wins.
    """
    if config.model is not None or config.data is not None:
        return config
    from hir.toy import TRAIN_PRESET

    unset = {k: v for k, v in TRAIN_PRESET.items() if k not in config.model_fields_set}
    return TrainConfig.model_validate({**config.model_dump(include=config.model_fields_set),
                                       **unset})


def _seed(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------------------------
# The trainer


class Trainer:
    def __init__(self, config: TrainConfig, *, resume: str | Path | None = None) -> None:
        self.d, self.device = setup_dist(config.device)
        if resume is None:
            config = schedule.resolve(with_toy_preset(config))
        else:
            saved = load_saved(resume)
            # what may change on resume: how long to run and how often to report
            keep = {k: getattr(config, k) for k in ("max_steps", "eval_every", "save_every",
                                                    "progress", "tensorboard")
                    if k in config.model_fields_set}
            config = saved.model_copy(update={**keep, "output_dir": str(resume)})
        self.config = config
        self.run_dir = Path(config.output_dir)
        if config.threads:
            torch.set_num_threads(config.threads)
        if config.prompts_per_step % self.d.world:
            raise SetupError(f"prompts_per_step={config.prompts_per_step} must be divisible by "
                             f"the number of processes ({self.d.world})")
        self.bf16 = use_bf16(config, self.device)
        self.rejects: list = []
        latest = ckpt.latest(self.run_dir) if resume is not None else None
        if resume is not None and latest is None:
            raise SetupError(f"{resume}: no complete checkpoint to resume from")
        if latest is not None:
            try:  # refused before anything loads: a pickled RNG state, a missing rank, torn logs
                ckpt.check_resumable(latest, self.d)
                if self.d.main:
                    ckpt.remove_stale(self.run_dir)
                    for name in (METRICS, SAMPLES):
                        truncate_after(self.run_dir / name, ckpt.load_state(latest).step)
                    _remove_evals_after(self.run_dir, ckpt.load_state(latest).step)
            except (ckpt.CheckpointError, LogError) as exc:
                raise SetupError(str(exc)) from None

        if latest is not None:
            self.model, self.tokenizer = self._load_checkpoint_model(latest)
            self.train_items = _read_items(self.run_dir / "train_data.jsonl", config.semantics)
            self.eval_items = _read_items(self.run_dir / "eval_data.jsonl", config.semantics)
            self.state = ckpt.load_state(latest)
        else:
            _seed(config.seed)  # setups that draw randomly (toy SFT) see the same stream
            self.model, self.tokenizer, self.train_items, self.eval_items, self.rejects = \
                load_setup(config, self.device)
            self.state = ckpt.RunState()
            if self.d.main:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                config.save(self.run_dir / "config.json")
                _write_items(self.run_dir / "train_data.jsonl", self.train_items)
                _write_items(self.run_dir / "eval_data.jsonl", self.eval_items)
                with open(self.run_dir / "rejects.jsonl", "w", encoding="utf-8") as f:
                    for r in self.rejects:
                        f.write(dumps(r.to_json()) + "\n")
            self.d.barrier()
        if not self.train_items:
            raise SetupError("no training prompts")
        self.eval_items = self.eval_items[:config.eval_max_prompts]
        tok = self.tokenizer
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token
        if tok.eos_token_id is None:
            raise SetupError("the tokenizer has no eos token: generation could never stop")
        self.pad_id = tok.pad_token_id

        self.model.eval()  # no dropout: rollout, old log-probs and update see the same policy
        if config.gradient_checkpointing:
            # HF checkpoints only in train mode, and disables the KV cache there: the model is
            # switched to train mode for the update passes only (see step 6)
            enable = getattr(self.model, "activation_checkpointing_enable", None) or \
                self.model.gradient_checkpointing_enable  # the older name
            enable()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=config.lr,
                                           betas=tuple(config.adam_betas),
                                           weight_decay=config.weight_decay)
        self.ref = self._reference(latest)
        self.relabel_config = RelabelConfig(k=config.replay_k, budget=config.replay_budget,
                                            lambda0=config.lambda0, eta=config.eta,
                                            mode=config.mode, semantics=config.semantics,
                                            rewrite=config.replay_rewrite,
                                            achieved_families=(
                                                None if config.replay_achieved_families is None
                                                else tuple(config.replay_achieved_families)))
        self.stream = datalib.PromptStream(len(self.train_items), config.seed,
                                           self.state.data_epoch, self.state.data_pos)
        if latest is not None:
            try:
                ckpt.load_into(latest, self.optimizer, self.d, self.device)
            except ckpt.CheckpointError as exc:
                raise SetupError(str(exc)) from None
        else:
            _seed(config.seed + self.d.rank)
        self.resumed_from = latest
        self.log = RunLog(self.run_dir, enabled=self.d.main, tensorboard=config.tensorboard,
                          resume_step=self.state.step if latest is not None else None)

    def _load_checkpoint_model(self, latest: Path):
        """The model and tokenizer of checkpoint ``latest``: its full weights, or for a LoRA run
        the base model the run started from plus the checkpoint's adapters. Either way only
        safetensors weights are read from the run directory."""
        c = self.config
        if c.lora_rank == 0:
            return _load_pretrained(str(latest / "model"), self.device, run_dir=True)
        base, _ = _load_pretrained(c.model, self.device, trust_remote_code=c.trust_remote_code)
        try:
            model = lora.load_adapter(base, c, latest / "model")
        except lora.LoraError as exc:
            raise SetupError(str(exc)) from None
        return model, _load_tokenizer(latest / "model")

    def _reference(self, latest: Path | None):
        """The frozen initial policy for the KL term (saved once so a resume reloads it); a
        LoRA run's is its own base, adapters off (``ref_logprobs``)."""
        if self.config.kl_coef <= 0 and self.config.kl_reward_coef <= 0 \
                or self.config.lora_rank > 0:
            return None
        path = self.run_dir / "reference"
        if latest is not None:
            from transformers import AutoModelForCausalLM
            ref = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32,
                                                       use_safetensors=True,
                                                       trust_remote_code=False)
            ref = ref.to(self.device)
        else:
            ref = copy.deepcopy(self.model)
            if self.d.main:
                ref.save_pretrained(path, safe_serialization=True)
        ref.eval()
        for p in ref.parameters():
            p.requires_grad_(False)
        return ref

    # -- one step -------------------------------------------------------------------------------

    def step(self) -> dict[str, Any]:
        """One training step, steps 1-6 of the module docstring; returns its metrics row."""
        lam = self.relabel_config.lambda_at(self.state.step)
        times = {"start": time.perf_counter()}
        items, groups = self.rollout()                      # 1
        times["generated"] = time.perf_counter()
        self.verify(items, groups)                          # 2
        replays = self.replay(items, groups, lam)           # 3-4
        batch = [e for g in groups for e in g] + replays    # originals before their replays
        old = self.old_logprobs(batch)                      # 4 (None: taken in the update pass)
        ref = self.ref_logprobs(batch)
        advantages = self.advantages(batch, old, ref)       # 5
        times["update"] = time.perf_counter()
        update = self.update(batch, advantages, old, ref)   # 6
        times["done"] = time.perf_counter()
        return self.log_step(groups, replays, update, lam, times)

    def _sequence_logprobs(self, model, batch: list[Episode]) -> list[torch.Tensor]:
        c = self.config
        return sequence_logprobs(model, [(e.prompt_ids, e.response_ids) for e in batch],
                                 temperature=c.temperature, pad_id=self.pad_id,
                                 device=self.device, bf16=self.bf16, micro_batch=c.micro_batch_size)

    def rollout(self) -> tuple[list[Row], list[list[Episode]]]:
        """Step 1: this rank's share of the step's prompts and m sampled responses to each."""
        c, tok = self.config, self.tokenizer
        items = [self.train_items[i] for i in self.d.shard(self.stream.next(c.prompts_per_step))]
        prompts = [datalib.encode_prompt(tok, it.prompt, system=c.system_prompt,
                                         max_tokens=c.max_prompt_tokens) for it in items]
        m = c.responses_per_prompt
        gens = generate(self.model, tok, [p for p in prompts for _ in range(m)],
                        temperature=c.temperature, top_p=c.top_p,
                        max_new_tokens=c.max_new_tokens, device=self.device, bf16=self.bf16,
                        batch_size=c.generation_batch_size)
        groups = [[Episode(group=i, instruction=it.instruction, prompt=it.prompt,
                           prompt_ids=prompts[i], response_ids=g.response_ids,
                           response=tok.decode(g.response_ids, skip_special_tokens=True),
                           entropy=sum(g.entropies) / len(g.entropies))
                   for g in gens[i * m:(i + 1) * m]]
                  for i, it in enumerate(items)]
        return items, groups

    def verify(self, items: list[Row], groups: list[list[Episode]]) -> None:
        """Step 2: every response's mask and reward."""
        c = self.config
        for it, group in zip(items, groups):
            # built once per group; prompt-reading checkers see the prompt the model saw
            checkers = it.checkers(c.semantics)
            for e in group:
                verify(e, mode=c.mode, semantics=c.semantics, reward=c.reward, checkers=checkers)

    def replay(self, items: list[Row], groups: list[list[Episode]], lam: float) -> list[Episode]:
        """Steps 3-4: the hindsight replays of selected failures (none with ``--replay none``)."""
        c = self.config
        if c.replay != "hir":
            return []
        # replay_select=random: a generator per (seed, step, rank), so a resumed run draws alike
        rng = random.Random(f"hir-select-{c.seed}-{self.state.step}-{self.d.rank}") \
            if c.replay_select == "random" else None
        return replaylib.build(groups, items, self.tokenizer, lambda_=lam,
                               config=self.relabel_config, system=c.system_prompt,
                               max_prompt_tokens=c.max_prompt_tokens, select=c.replay_select,
                               rng=rng)

    def old_logprobs(self, batch: list[Episode]) -> list[torch.Tensor] | None:
        """Step 4: old-policy log-probs, by ``replay.old_logprob_sources``.

        None with one update epoch: the policy has not moved when a micro-batch is scored, so
        the update pass's own (detached) log-probs are exactly the old ones, and this no-grad
        pass is skipped (see ``update``); unless the KL is in the reward, which needs them
        before the advantages.
        """
        if self.config.update_epochs == 1 and self.config.kl_reward_coef == 0:
            return None
        own = self._sequence_logprobs(self.model, batch)
        return [own[j] for j in replaylib.old_logprob_sources(batch, self.config.replay_logprobs)]

    def ref_logprobs(self, batch: list[Episode]) -> list[torch.Tensor] | None:
        """The frozen initial policy's log-probs, for the KL terms (None without them)."""
        c = self.config
        if c.kl_coef <= 0 and c.kl_reward_coef <= 0:
            return None
        if c.lora_rank > 0:
            with lora.reference(self.model) as base:
                return self._sequence_logprobs(base, batch)
        return self._sequence_logprobs(self.ref, batch)

    def advantages(self, batch: list[Episode], old: list[torch.Tensor] | None,
                   ref: list[torch.Tensor] | None) -> torch.Tensor | list[torch.Tensor]:
        """Step 5: one advantage per sequence (replays sit in their original's group), by
        ``replay_adv``/``replay_weight`` (``advantages.with_replays``); with the KL in the reward
        one per token (``kl_reward.advantages``). Keeps this rank's sums for the step's
        diagnostics (``_adv_diagnostics``)."""
        c, d = self.config, self.d
        is_replay = [e.original is not None for e in batch]
        self._kl_reward_sum = 0.0
        if c.kl_reward_coef > 0:
            # old is already taken from each sequence's source; the reference follows it
            sources = replaylib.old_logprob_sources(batch, c.replay_logprobs)
            kl = [old[i] - ref[j] for i, j in enumerate(sources)]
            self._kl_reward_sum = float(sum(float(k.sum()) for k in kl))
            per_token, fresh_only = kl_reward.advantages(
                [e.reward for e in batch], kl, c.kl_reward_coef, is_replay,
                weight=c.replay_weight, reduce=d.sum if d.enabled else None)
            self._diag_sums = _adv_diagnostics(batch, _seq_means(per_token),
                                               _seq_means(fresh_only))
            return per_token
        rewards = torch.tensor([e.reward for e in batch])
        lengths = torch.tensor([len(e.response_ids) for e in batch], dtype=torch.float64)
        out, fresh_only = adv.with_replays(c.advantage, rewards, lengths,
                                           [e.group for e in batch], is_replay,
                                           mode=c.replay_adv, weight=c.replay_weight,
                                           reduce=d.sum if d.enabled else None)
        self._diag_sums = _adv_diagnostics(batch, out, fresh_only)
        return out

    def update(self, batch: list[Episode], advantages: torch.Tensor | list[torch.Tensor],
               old: list[torch.Tensor] | None, ref: list[torch.Tensor] | None
               ) -> dict[str, float]:
        """Step 6: ``update_epochs`` AdamW steps, each over all micro-batches; returns sums.

        With ``old`` None (one epoch) each micro-batch's own detached log-probs are its old ones,
        through ``replay.old_logprob_sources``: originals come before their replays in ``batch``,
        so an original's are there before a ``copy`` replay needs them.
        """
        c, d = self.config, self.d
        lr = schedule.lr_at(self.state.step, c)
        schedule.set_lr(self.optimizer, lr)
        tokens = float(sum(len(e.response_ids) for e in batch))
        n_tokens = d.sum_floats(tokens)[0]
        single_pass = old is None
        if single_pass:
            sources = replaylib.old_logprob_sources(batch, c.replay_logprobs)
            own: list[torch.Tensor] = []
            old = []
        if c.gradient_checkpointing or c.lora_dropout > 0:
            self.model.train()
        sums = {"loss": 0.0, "kl": 0.0, "clipped": 0.0, "grad_norm": 0.0}
        for _ in range(c.update_epochs):
            self.optimizer.zero_grad(set_to_none=True)
            for start in range(0, len(batch), c.micro_batch_size):
                mb = batch[start:start + c.micro_batch_size]
                lp, token_mask = forward_logprobs(self.model, [(e.prompt_ids, e.response_ids)
                                                               for e in mb],
                                                  temperature=c.temperature, pad_id=self.pad_id,
                                                  device=self.device, bf16=self.bf16)
                end = start + len(mb)
                if single_pass:
                    own += [lp[i, token_mask[i]].detach().float().cpu() for i in range(len(mb))]
                    old += [own[j] for j in sources[start:end]]
                old_lp = _pad(old[start:end], lp.shape[1], self.device)
                ref_lp = None if ref is None else _pad(ref[start:end], lp.shape[1], self.device)
                adv_mb = _pad(advantages[start:end], lp.shape[1], self.device) \
                    if isinstance(advantages, list) else advantages[start:end].to(self.device)
                parts = ppo_loss(lp, old_lp, adv_mb, token_mask,
                                 n_tokens, clip_eps=c.clip_eps, clip_eps_high=c.clip_eps_high,
                                 kl_coef=c.kl_coef, ref_logprobs=ref_lp)
                parts.loss.backward()
                sums["loss"] += parts.loss.item()
                sums["kl"] += parts.kl
                sums["clipped"] += parts.clipped
            all_reduce_grads(self.params, d)
            norm = torch.nn.utils.clip_grad_norm_(self.params,
                                                  c.grad_clip if c.grad_clip > 0 else float("inf"))
            sums["grad_norm"] += float(norm)
            self.optimizer.step()
        self.model.eval()
        sums["tokens"] = tokens * c.update_epochs
        sums["lr"] = lr
        return sums

    def log_step(self, groups: list[list[Episode]], replays: list[Episode],
                 update: dict[str, float], lam: float, times: dict[str, float]
                 ) -> dict[str, Any]:
        """Advance the run state and write the step's metrics row (sums over ranks) and samples."""
        c = self.config
        fresh = [e for g in groups for e in g]
        replayed = {r.group for r in replays}
        total = sum_over_ranks(self.d, {
            "rollouts": len(fresh), "reward": sum(e.reward for e in fresh),
            "ila": sum(float(e.mask.ila) for e in fresh), "cla": sum(e.mask.cla for e in fresh),
            "replays": len(replays),
            "dead_groups": sum(1 for i, g in enumerate(groups)
                               if not any(e.mask.ila for e in g) and i not in replayed),
            "response_tokens": sum(len(e.response_ids) for e in fresh),
            "entropy": sum(e.entropy * len(e.response_ids) for e in fresh),
            "loss": update["loss"], "kl": update["kl"], "clipped": update["clipped"],
            "update_tokens": update["tokens"], "kl_reward": getattr(self, "_kl_reward_sum", 0.0),
            **getattr(self, "_diag_sums", _EMPTY_DIAG)})
        n = total["rollouts"]
        self.state.step += 1
        self.state.rollouts += int(n)
        self.state.data_epoch, self.state.data_pos = self.stream.epoch, self.stream.pos
        self.state.lam = lam
        self.state.lr = update["lr"]
        row = {
            "step": self.state.step, "rollouts": self.state.rollouts,
            "loss": total["loss"] / c.update_epochs,
            "reward": total["reward"] / n, "train_ila": total["ila"] / n,
            "train_cla": total["cla"] / n,
            "replays": int(total["replays"]), "dead_groups": int(total["dead_groups"]),
            "lambda": lam,
            "lr": update["lr"],
            "entropy": total["entropy"] / max(total["response_tokens"], 1),
            "kl": total["kl"] / c.update_epochs if c.kl_coef > 0 else None,
            "kl_reward": total["kl_reward"] / max(total["update_tokens"] / c.update_epochs, 1)
            if c.kl_reward_coef > 0 else None,
            "clip_frac": total["clipped"] / max(total["update_tokens"], 1),
            "grad_norm": update["grad_norm"] / c.update_epochs,  # the same on every rank
            "response_tokens": total["response_tokens"] / max(n, 1),
            "tokens_per_s": total["response_tokens"] / max(times["generated"] - times["start"],
                                                           1e-9),
            "update_tokens_per_s": total["update_tokens"] / max(times["done"] - times["update"],
                                                                1e-9),
            "seconds": times["done"] - times["start"],
            **_diag_row(total),
        }
        self.log.metrics(row)
        self.log.samples(self._samples(groups, replays))
        return row

    def _samples(self, groups: list[list[Episode]], replays: list[Episode]) -> list[dict]:
        """A few (prompt, hindsight prompt, response, mask) records: replays first."""
        n = self.config.samples_per_step
        out = [_sample_row(self.state.step, r.original, r) for r in replays[:n]]
        for g in groups:
            if len(out) >= n:
                break
            out.append(_sample_row(self.state.step, g[0], None))
        return out

    # -- the run --------------------------------------------------------------------------------

    def eval_row(self) -> tuple[dict, EvalResult]:
        result = evaluate(self.model, self.tokenizer, self.eval_items, config=self.config,
                          device=self.device, d=self.d)
        row = {"step": self.state.step, "rollouts": self.state.rollouts, "eval": True,
               **result.row(), "eval_seconds": result.seconds}
        self.log.metrics(row)
        if self.d.main:  # what hir check reads: `hir check eval_responses/step_N.jsonl`
            out = self.run_dir / EVAL_RESPONSES / f"step_{self.state.step:06d}.jsonl"
            out.parent.mkdir(exist_ok=True)
            _write_jsonl(out, result.records)
        return row, result

    def save(self) -> Path:
        self._check_in_sync()
        return ckpt.save(self.run_dir, self.state, self.model, self.tokenizer, self.optimizer,
                         self.d)

    def _check_in_sync(self) -> None:
        """Data-parallel ranks must hold identical weights; a cheap checksum proves it."""
        if not self.d.enabled:
            return
        with torch.no_grad():
            local = torch.stack([sum(p.double().sum() for p in self.params),
                                 sum((p.double() ** 2).sum() for p in self.params)]).cpu()
        sums = self.d.sum(local)
        if not torch.allclose(sums / self.d.world, local, rtol=0, atol=1e-9):
            raise RuntimeError("data-parallel ranks diverged: their weights differ")

    def run(self, on_step=None) -> TrainResult:
        c = self.config
        before = after = None
        if self.eval_items and self.resumed_from is None:
            _, before = self.eval_row()
            after = before
        elif self.eval_items:  # resumed: the run's own first and latest evals so far
            evals = [r for r in read_metrics(self.run_dir) if r.get("eval")] \
                if self.d.main else []
            if evals:
                before, after = EvalResult.from_row(evals[0]), EvalResult.from_row(evals[-1])
        evaluated_at = self.state.step
        while self.state.step < c.max_steps:
            row = self.step()
            if on_step is not None:
                on_step(row)
            if self.eval_items and c.eval_every and self.state.step % c.eval_every == 0:
                _, after = self.eval_row()
                evaluated_at = self.state.step
            if c.save_every and self.state.step % c.save_every == 0:
                self.save()
        if self.eval_items and evaluated_at != self.state.step:
            _, after = self.eval_row()
        last = ckpt.latest(self.run_dir)
        if last is None or ckpt.load_state(last).step != self.state.step:
            self.save()
        if c.lora_rank > 0 and c.lora_export_merged and self.d.main:
            lora.save_merged(self.model, self.tokenizer, self.run_dir / "merged")
        self.log.close()
        return TrainResult(self.run_dir, before, after, self.rejects, self.state.step)


# Per-step diagnostics of the advantages (the dilution of real successes by replays, see
# docs/sample_efficiency.md): this rank's sums and counts, summed over ranks in log_step.
_DIAG_MEANS = ("adv_succ", "adv_succ_fresh_only", "adv_fail", "adv_fail_fresh_only", "adv_rep",
               "adv_orig", "kept", "rephrased")


def _adv_diagnostics(batch: list[Episode], advantages: torch.Tensor | None,
                     fresh_only: torch.Tensor | None) -> dict[str, float]:
    """Sums (``d_<name>``) and counts (``n_<name>``) behind the diagnostic means of a step."""
    out = {f"{p}_{k}": 0.0 for k in _DIAG_MEANS for p in ("d", "n")}
    out.update({"d_fresh_tokens": 0.0, "d_replay_tokens": 0.0})
    if not batch:
        return out
    a = advantages.tolist()
    fo = iter(fresh_only.tolist())
    originals = {id(e.original) for e in batch if e.original is not None}

    def add(key: str, value: float) -> None:
        out[f"d_{key}"] += value
        out[f"n_{key}"] += 1

    for e, x in zip(batch, a):
        if e.original is not None:
            add("adv_rep", x)
            add("kept", len(e.instruction.constraints))
            # constraints stated with the parameters the response met (replay_rewrite achieved)
            add("rephrased", sum(c not in e.original.instruction.constraints
                                 for c in e.instruction.constraints))
            out["d_replay_tokens"] += len(e.response_ids)
            continue
        f = next(fo)
        out["d_fresh_tokens"] += len(e.response_ids)
        kind = "succ" if e.reward >= 1 else "fail"
        add(f"adv_{kind}", x)
        add(f"adv_{kind}_fresh_only", f)
        if id(e) in originals:
            add("adv_orig", x)
    return out


_EMPTY_DIAG = _adv_diagnostics([], None, None)


def _diag_row(total: dict[str, float]) -> dict[str, Any]:
    """The diagnostic keys of a metrics row from the rank-summed ``_adv_diagnostics``."""
    n_succ = int(total["n_adv_succ"])
    tokens = total["d_fresh_tokens"] + total["d_replay_tokens"]
    row: dict[str, Any] = {
        "n_succ": n_succ,
        "batch_without_success": int(n_succ == 0),
        "rep_token_share": total["d_replay_tokens"] / tokens if tokens else 0.0,
    }
    for k in _DIAG_MEANS:
        n = total[f"n_{k}"]
        row[f"{k}_mean" if k in ("kept", "rephrased") else k] = total[f"d_{k}"] / n if n else None
    return row


def _seq_means(per_token: list[torch.Tensor]) -> torch.Tensor:
    """Each sequence's mean token advantage (for the per-sequence diagnostics)."""
    return torch.tensor([float(a.mean()) if a.numel() else 0.0 for a in per_token])


def _pad(rows, width: int, device) -> torch.Tensor:
    out = torch.zeros((len(rows), width), dtype=torch.float32)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out.to(device)


def _sample_row(step: int, src: Episode, replay: Episode | None) -> dict:
    return {
        "step": step, "kind": "replay" if replay is not None else "rollout",
        "prompt": src.prompt,
        "hindsight_prompt": replay.prompt if replay is not None else None,
        "response": src.response, "reward": src.reward,
        "ids": src.instruction.ids, "mask": list(src.mask.satisfied),
        "explanations": [v.explanation for v in src.mask.verdicts],
    }


def batch_accounting(config: TrainConfig, world: int = 1) -> list[tuple[str, str]]:
    """Rows of the start-up table: what one step generates and trains on."""
    B, m = config.prompts_per_step, config.responses_per_prompt
    fresh = B * m
    if config.replay == "none":
        replays = "0 (--replay none)"
        max_rep = 0
    elif config.replay_budget == "global":
        max_rep = config.replay_k * B
        replays = f"<= {max_rep} (top k*B = {config.replay_k}*{B} over the batch)"
    else:
        max_rep = config.replay_k * B
        replays = f"<= {max_rep} (top {config.replay_k} per group)"
    seqs = fresh + max_rep
    micro = math.ceil(seqs / world / config.micro_batch_size)
    return [
        ("processes", str(world)),
        ("prompts per step (B)", f"{B} ({B // world} per process)"),
        ("responses per prompt (m)", str(m)),
        ("fresh rollouts per step", str(fresh)),
        ("replays per step", replays),
        ("sequences per update", f"<= {seqs}"),
        ("micro-batches per epoch", f"<= {micro} per process (size {config.micro_batch_size})"),
        ("update epochs (mu) = optimizer steps", str(config.update_epochs)),
        ("reward / advantage", f"{config.reward} / {config.advantage}"),
        ("replay log-probs", config.replay_logprobs if config.replay == "hir" else "-"),
        ("total steps / rollouts", f"{config.max_steps} / {config.max_steps * fresh}"),
        ("learning rate", _describe_lr(config)),
        ("trained weights", "all" if config.lora_rank == 0 else
         f"LoRA rank {config.lora_rank}, alpha {config.lora_alpha:g}, "
         f"on {config.lora_target_modules}"),
        ("preset", config.preset or "-"),
    ]


def _describe_lr(config: TrainConfig) -> str:
    text = f"{config.lr:g}"
    if config.warmup_steps:
        text += f", warm-up {config.warmup_steps} steps"
    if config.lr_schedule != "constant":
        decay = config.lr_decay_steps or config.max_steps
        text += f", {config.lr_schedule} decay to {config.min_lr_ratio:g} x lr by step {decay}"
    return text


def train(config: TrainConfig, *, resume: str | Path | None = None,
          on_step=None) -> TrainResult:
    """Run (or resume) training; returns before/after held-out results."""
    trainer = Trainer(config, resume=resume)
    try:
        return trainer.run(on_step=on_step)
    finally:
        teardown()
