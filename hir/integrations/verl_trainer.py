"""``HiRRayPPOTrainer``: verl's ``RayPPOTrainer`` with hindsight replays before each actor update.

verl's ``fit`` generates, scores (``compute_score``), computes old and reference log-probs and
advantages, then calls ``_update_actor(batch)``. The subclass wraps that one method: it inserts
the replays (``hir.integrations.verl.insert_replays``), recomputes the advantages of the batch
with replays using verl's own ``compute_advantage`` and the run's ``algorithm`` config (so a
replay joins its original's ``uid`` group for GRPO, and the REINFORCE++ whitening covers it),
and calls the parent's update, cutting the batch with replays into as many actor mini-batches as
the fresh batch would have made (``samples_per_mini_batch``). Everything else in ``fit`` (metrics
of the fresh batch, rollout dumps, validation, checkpoints) is the parent's.

HiR's knobs are the config's ``hir`` section (``+hir.k=2 +hir.budget=global`` on verl's command
line): ``k``, ``budget``, ``total``, ``lambda0``, ``eta``, ``mode``, ``semantics``
(``hir.knobs.RelabelConfig``), and ``old_log_probs`` / ``ref_log_probs`` (``copy`` or
``recompute``, the latter through the parent's own ``_compute_old_log_prob`` /
``_compute_ref_log_prob`` on the replays). Metrics ``hir/replays``,
``hir/all_fail_groups_before``/``_after``, ``hir/lambda``, ``hir/unjudged_groups`` join the
actor's.

verl 0.9 marks ``RayPPOTrainer`` (``trainer.use_v1=False``) as its legacy trainer; the V1
TransferQueue trainer is not supported here. Needs GPUs to run; on CPU only its construction
paths are importable (docs/integrations.md).
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch
from verl import DataProto
from verl.protocol import pad_dataproto_to_divisor
from verl.trainer.ppo.ray_trainer import RayPPOTrainer, compute_advantage

from hir.knobs import RelabelConfig

from .batch import DEFAULT_CONFIG
from .verl import insert_replays


def hir_settings(section: Any) -> tuple[RelabelConfig, str, str]:
    """(RelabelConfig, old_log_probs, ref_log_probs) from a config's ``hir`` section."""
    options = dict(section or {})
    old = options.pop("old_log_probs", "copy")
    ref = options.pop("ref_log_probs", "copy")
    known = {f.name for f in dataclasses.fields(RelabelConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown hir options {unknown}; known: {sorted(known)}, "
                         "old_log_probs, ref_log_probs")
    return dataclasses.replace(DEFAULT_CONFIG, **options), old, ref


def on_dp_ranks(compute: Callable[[DataProto], torch.Tensor], dp: int
                ) -> Callable[[DataProto], torch.Tensor]:
    """``compute`` on a batch of any size: padded to a multiple of the data-parallel size with
    verl's ``pad_dataproto_to_divisor`` (workers split a batch evenly), the padding cut off."""
    def run(data: DataProto) -> torch.Tensor:
        padded, _ = pad_dataproto_to_divisor(data, dp)
        return compute(padded)[:len(data)]
    return run


def mini_batch_count(config: Any, fresh: int) -> int:
    """How many actor mini-batches the run's config makes of a fresh batch of ``fresh``
    sequences (``ppo_mini_batch_size`` prompts x ``rollout.n`` each)."""
    per = config.actor_rollout_ref.actor.ppo_mini_batch_size * config.actor_rollout_ref.rollout.n
    return max(1, fresh // per)


@contextmanager
def samples_per_mini_batch(config: Any, size: int) -> Iterator[None]:
    """Make the parent's ``_update_actor`` cut mini-batches of ``size`` sequences.

    verl 0.9's ``_update_actor`` sizes a mini-batch as ``ppo_mini_batch_size * rollout.n`` and its
    workers require the batch to divide by it; with replays a prompt has more than n sequences
    (the authors' 64 x (6 + 2) = 512 is no multiple of 6). For the duration of the call the two
    values read ``size`` and 1, so the batch with replays is cut into as many mini-batches as the
    fresh batch would have been; both are restored afterwards.
    """
    actor, rollout = config.actor_rollout_ref.actor, config.actor_rollout_ref.rollout
    saved = (actor.ppo_mini_batch_size, rollout.n)
    actor.ppo_mini_batch_size, rollout.n = size, 1
    try:
        yield
    finally:
        actor.ppo_mini_batch_size, rollout.n = saved


class HiRRayPPOTrainer(RayPPOTrainer):
    """``RayPPOTrainer`` with hindsight instruction replay (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.use_critic or self.config.algorithm.get("use_kl_in_reward", False):
            raise ValueError("HiRRayPPOTrainer needs an outcome-reward estimator without a critic "
                             "or in-reward KL (e.g. reinforce_plus_plus, grpo)")
        self.hir_config, self.hir_old, self.hir_ref = hir_settings(self.config.get("hir", None))

    def _update_actor(self, batch: DataProto) -> DataProto:
        mini_batches = mini_batch_count(self.config, len(batch))
        dp = self._get_dp_size(self.actor_rollout_wg, "actor")
        batch = insert_replays(
            batch, self.tokenizer, step=max(self.global_steps - 1, 0), config=self.hir_config,
            old_log_probs=self.hir_old, ref_log_probs=self.hir_ref,
            recompute_old=on_dp_ranks(
                lambda d: self._compute_old_log_prob(d)[0].batch["old_log_probs"], dp),
            recompute_ref=on_dp_ranks(
                lambda d: self._compute_ref_log_prob(d).batch["ref_log_prob"], dp),
            multiple_of=mini_batches * dp,
            chat_template_kwargs=self.config.data.get("apply_chat_template_kwargs", None) or {})
        algorithm = self.config.algorithm
        batch = compute_advantage(
            batch, adv_estimator=algorithm.adv_estimator, gamma=algorithm.gamma,
            lam=algorithm.lam, num_repeat=self.config.actor_rollout_ref.rollout.n,
            norm_adv_by_std_in_grpo=algorithm.get("norm_adv_by_std_in_grpo", True),
            config=algorithm)
        with samples_per_mini_batch(self.config, len(batch) // mini_batches):
            output = super()._update_actor(batch)
        output.meta_info["metrics"].update(
            {f"hir/{k}": v for k, v in batch.meta_info["hir"].items() if k != "errors"})
        return output
