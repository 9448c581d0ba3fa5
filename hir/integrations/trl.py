"""HiR in TRL's ``GRPOTrainer`` (``pip install hir[trl]``; tested with trl 1.16.0).

Two pieces, each on a TRL extension point:

- ``ConstraintReward("ila" | "cla")``: a reward function for ``GRPOTrainer(reward_funcs=...)``.
  It reads each sample's constraints from the dataset's columns with ``hir.rows.parse`` (our
  ``instruction`` form, IFEval ``instruction_id_list`` + ``kwargs``, verl/HIR-16K
  ``reward_model.ground_truth``; a column may hold the object or its JSON text) and returns 1/0
  (ILA) or the fraction satisfied (CLA). It logs each constraint id's pass rate as
  ``hir/constraint/<id>`` through TRL's ``log_metric`` hook. A row that cannot be judged gets
  ``None`` (TRL's "unscorable": no advantage) and one warning naming the field at fault.
- ``HiRGRPOTrainer``: ``GRPOTrainer`` plus hindsight replays. It wraps the parent's batch builder
  ``_generate_and_score_completions``: the parent generates, scores and computes advantages as
  usual; the wrapper then judges the batch's groups, selects and rewrites failures
  (``hir.relabel``), and appends one replay per selected completion: the hindsight prompt
  re-tokenised the way the parent tokenises prompts, the *same* completion tokens, reward 1 for
  every HiR reward function, in its original's group. Advantages of the whole batch are then
  recomputed with the parent's own options (``scale_rewards``, ``multi_objective_aggregation``,
  ``reward_weights``) over groups that now include their replays. Old-policy and reference
  log-probs of a replay are recomputed under the hindsight prompt or copied from its original
  (``ReplayOptions``). Metrics: ``hir/replays``, ``hir/all_fail_groups_before`` and ``_after``,
  ``hir/lambda``, ``hir/unjudged_groups``.

What is refused with a clear error rather than done wrongly: reward functions other than
``ConstraintReward`` (a replay's reward under an arbitrary function is unknown), tools and
environments, and vision-language models. Multi-process runs gather the batch so that every
process plans the same replays and appends those of its own completions (tested with two CPU
processes; no GPU run was made).

Replays are added in training mode only; evaluation batches are the parent's, unchanged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from accelerate.utils import gather_object
from trl import GRPOTrainer
from trl.models.utils import disable_gradient_checkpointing
from trl.trainer.utils import nanstd

from hir.knobs import RelabelConfig
from hir.relabel import Selected, group_masks
from hir.rows import Row, RowError

from .batch import DEFAULT_CONFIG, Plan, constraint_rates, describe, plan, row_of, text_of, \
    user_text, with_user_text

logger = logging.getLogger(__name__)

# Keyword arguments TRL passes to every reward function besides the dataset's columns.
TRL_ARGUMENTS = frozenset({"trainer_state", "log_extra", "log_metric", "environments",
                           "completion_ids", "prompt", "completion"})
KINDS = ("ila", "cla")


def _columns(samples: dict[str, Any], n: int, i: int) -> dict[str, Any]:
    return {k: v[i] for k, v in samples.items()
            if k not in TRL_ARGUMENTS and isinstance(v, list) and len(v) == n}


class ConstraintReward:
    """A ``GRPOTrainer`` reward function: each completion's ILA (1/0) or CLA against the
    constraints in its dataset row (module docstring). ``config`` sets the checkers' ``mode``
    and ``semantics`` (default: strict, corrected, as ``hir train``).

    ``dump``: a JSONL file to which every judged group is appended as one row that
    ``hir relabel`` reads (``hir.rows.Row.to_json`` plus ``responses``, ``step`` and a ``group``
    key), the zero-code path to relabel a plain ``GRPOTrainer`` run offline. The function is not
    told whether a batch is for training or evaluation, so evaluation groups are dumped too. In a
    multi-process run give each process its own file.
    """

    def __init__(self, kind: str = "ila", *, config: RelabelConfig = DEFAULT_CONFIG,
                 log_rates: bool = True, dump: str | Path | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind, self.config, self.log_rates = kind, config, log_rates
        self.dump = Path(dump) if dump is not None else None
        self.__name__ = f"hir_{kind}"   # TRL names the reward's metrics after it
        self._warned: set[str] = set()

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any],
                 **kwargs: Any) -> list[float | None]:
        n = len(prompts)
        log_metric = kwargs.get("log_metric")
        out: list[float | None] = [None] * n
        pairs = []
        dumped = []
        state = kwargs.get("trainer_state")
        step = int(getattr(state, "global_step", 0) or 0)
        for start, end, row in self._groups(prompts, completions, kwargs):
            if isinstance(row, RowError):
                self._warn(start, row)
                continue
            try:
                masks = group_masks(row, self.config)
            except RowError as exc:
                self._warn(start, exc)
                continue
            for i, m in zip(range(start, end), masks):
                out[i] = float(m.ila) if self.kind == "ila" else m.cla
                pairs.append((row.ids, m))
            if self.dump is not None:
                dumped.append({**row.to_json(), "group": f"{step}:{start}", "step": step,
                               "responses": list(row.responses)})
        if dumped:
            with open(self.dump, "a", encoding="utf-8") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in dumped)
        if self.log_rates and log_metric is not None:
            for cid, (ok, judged) in constraint_rates(pairs).items():
                log_metric(f"hir/constraint/{cid}", ok / judged)
            log_metric("hir/unscorable", sum(r is None for r in out) / n if n else 0.0)
        return out

    def _groups(self, prompts, completions, kwargs):
        """(start, end, row or RowError) over runs of consecutive samples with the same prompt and
        columns (a GRPO group), so each group's checkers are built once."""
        n = len(prompts)
        start = 0
        while start < n:
            cols = _columns(kwargs, n, start)
            end = start + 1
            while end < n and prompts[end] == prompts[start] and _columns(kwargs, n, end) == cols:
                end += 1
            try:
                row: Row | RowError = row_of(
                    cols, prompt=user_text(prompts[start]),
                    responses=[text_of(c) for c in completions[start:end]],
                    source="<trl batch>", line=start + 1)
            except RowError as exc:
                row = exc
            yield start, end, row
            start = end

    def _warn(self, index: int, exc: RowError) -> None:
        message = describe(exc)
        if message not in self._warned:
            self._warned.add(message)
            logger.warning("%s: sample %d cannot be judged (reward None): %s", self.__name__,
                           index, message)


# ----------------------------------------------------------------------------------------------
# Advantages over groups of any size


def group_advantages(rewards_per_func: torch.Tensor, weights: torch.Tensor,
                     groups: Sequence[int] | torch.Tensor, *,
                     aggregation: str = "sum_then_normalize", scale: str = "group",
                     eps: float = 1e-4) -> torch.Tensor:
    """GRPOTrainer's advantages (its ``multi_objective_aggregation`` and ``scale_rewards``
    options, same formulas and epsilon) for explicit group ids, so a group may hold its
    ``num_generations`` completions plus its replays. Unscorable samples (every reward NaN) are
    left out of the statistics and get 0."""
    groups = torch.as_tensor(groups, device=rewards_per_func.device)
    weights = weights.to(rewards_per_func.device)
    unscorable = torch.isnan(rewards_per_func).all(dim=1)

    def per_group(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, std = torch.empty_like(x), torch.empty_like(x)
        for g in torch.unique(groups):
            idx = groups == g
            mean[idx] = torch.nanmean(x[idx])
            std[idx] = nanstd(x[idx]) if int(idx.sum()) > 1 else 0.0
        return mean, std

    if aggregation == "sum_then_normalize":
        rewards = (rewards_per_func * weights.unsqueeze(0)).nansum(dim=1)
        rewards[unscorable] = torch.nan
        mean, std = per_group(rewards)
        if scale == "batch":
            std = (nanstd(rewards) if rewards.numel() > 1
                   else torch.zeros((), device=rewards.device)).expand_as(rewards)
        elif scale not in ("group", "none"):
            raise ValueError(f"scale_rewards must be 'group', 'batch' or 'none', got {scale!r}")
        advantages = rewards - mean
        if scale != "none":
            advantages = advantages / (std + eps)
    elif aggregation == "normalize_then_sum":
        columns = []
        for k in range(rewards_per_func.size(1)):
            mean, std = per_group(rewards_per_func[:, k])
            columns.append((rewards_per_func[:, k] - mean) / (std + eps))
        rewards = (torch.stack(columns, dim=1) * weights.unsqueeze(0)).nansum(dim=1)
        rewards[unscorable] = torch.nan
        std = nanstd(rewards) if rewards.numel() > 1 else torch.zeros((), device=rewards.device)
        advantages = (rewards - torch.nanmean(rewards)) / (std + eps)
    else:
        raise ValueError(f"unknown multi_objective_aggregation {aggregation!r}")
    return torch.nan_to_num(advantages, nan=0.0)


# ----------------------------------------------------------------------------------------------
# The trainer


LOGPROBS = ("recompute", "copy")
ENTROPY = ("forward", "none")


@dataclass(frozen=True)
class ReplayOptions:
    """HiRGRPOTrainer's knobs.

    - ``relabel``: HiR's selection (k, budget, lambda schedule) and the checkers' mode/semantics.
    - ``old_logprobs`` / ``ref_logprobs``: a replay's old-policy / reference log-probs, when the
      parent computes them for the batch: ``recompute`` (one no-grad forward pass under the
      hindsight prompt: the sequence actually trained on) or ``copy`` (its original's, under the
      original prompt; the authors' released choice). See docs/train.md.
    - ``entropy``: the selection score's mean token entropy: ``forward`` (one no-grad forward pass
      over the batch for the policy's token entropies at the sampling temperature) or ``none``
      (candidates rank by CLA alone).
    """

    relabel: RelabelConfig = DEFAULT_CONFIG
    old_logprobs: str = "recompute"
    ref_logprobs: str = "recompute"
    entropy: str = "forward"

    def __post_init__(self) -> None:
        for name, allowed in (("old_logprobs", LOGPROBS), ("ref_logprobs", LOGPROBS),
                              ("entropy", ENTROPY)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")


# Output keys of the parent's batch that are per-sample rows and that a replay copies from its
# original (the vLLM importance-sampling correction is about how the completion was sampled).
_COPIED = ("sampling_per_token_logps", "importance_sampling_ratio")
_UNSUPPORTED = ("pixel_values", "image_grid_thw", "pixel_attention_mask", "spatial_shapes",
                "image_sizes", "token_type_ids", "mm_token_type_ids", "image_position_ids",
                "num_images", "tool_mask")


class HiRGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` with hindsight instruction replay (module docstring).

    Takes ``GRPOTrainer``'s arguments plus ``replay`` (``ReplayOptions``). After each training
    batch, ``last_replays`` lists this process's replays as (index of the original in the
    parent's batch, ``hir.relabel.Selected``), in the order they were appended.
    """

    def __init__(self, *args: Any, replay: ReplayOptions = ReplayOptions(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replay = replay
        others = [getattr(f, "__name__", type(f).__name__) for f in self.reward_funcs
                  if not isinstance(f, ConstraintReward)]
        if others:
            raise TypeError(f"HiRGRPOTrainer needs every reward function to be a hir "
                            f"ConstraintReward (a replay's reward under {others} is unknown)")
        if self.tools or self.environment_factories is not None or self._is_vlm:
            raise NotImplementedError("HiRGRPOTrainer does not support tools, environments or "
                                      "vision-language models")
        if self.beta != 0.0 and self.ref_model is None and replay.ref_logprobs == "recompute":
            raise NotImplementedError("ReplayOptions(ref_logprobs='recompute') needs a separate "
                                      "reference model (with PEFT there is none): use 'copy'")
        self._scored: tuple | None = None
        self.last_replays: list[tuple[int, Selected]] = []

    # -- the two wrapped methods ----------------------------------------------------------------

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions,
                                                      completion_ids_list)
        self._scored = (inputs, prompts, completions, rewards_per_func)
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):
        self._scored = None
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training or self._scored is None:
            return output
        present = [k for k in _UNSUPPORTED if k in output]
        if present:
            raise NotImplementedError(f"HiRGRPOTrainer cannot replay batches with {present}")
        return self._with_replays(output)

    # -- building the replays -------------------------------------------------------------------

    def _with_replays(self, output: dict[str, Any]) -> dict[str, Any]:
        inputs, prompts, completions, rewards_per_func = self._scored
        acc, G = self.accelerator, self.num_generations
        n_local = len(prompts)
        all_inputs = gather_object(list(inputs))
        all_prompts = gather_object(list(prompts))
        all_completions = gather_object(list(completions))
        n = len(all_prompts)
        entropies = self._entropies(output)
        rows: list[Row | RowError] = []
        for start in range(0, n, G):
            cols = {k: v for k, v in all_inputs[start].items() if k != "prompt"}
            try:
                rows.append(row_of(cols, prompt=user_text(all_prompts[start]),
                                   responses=[text_of(c) for c in all_completions[start:start + G]],
                                   source="<trl batch>", line=start + 1))
            except RowError as exc:
                rows.append(exc)
        ents = [entropies[s:s + G] if entropies is not None else None for s in range(0, n, G)]
        batch_plan = plan(rows, ents, step=self.state.global_step, config=self.replay.relabel)
        kept = self._per_process(batch_plan.selected, n_local)

        # advantages of the global batch, replays in their originals' groups
        replays = [s for per in kept for s in per]
        ones = torch.ones(len(replays), rewards_per_func.size(1), device=rewards_per_func.device)
        advantages = group_advantages(
            torch.cat([rewards_per_func, ones]), self.reward_weights,
            [i // G for i in range(n)] + [s.group for s in replays],
            aggregation=self.multi_objective_aggregation, scale=self.scale_rewards)
        me = acc.process_index
        offset = n + sum(len(per) for per in kept[:me])
        mine = kept[me]
        local = [s.group * G + s.response - me * n_local for s in mine]
        self.last_replays = list(zip(local, mine))
        out = self._append(output, mine, local, rows, all_prompts[me * n_local:(me + 1) * n_local])
        out["advantages"] = torch.cat([advantages[me * n_local:(me + 1) * n_local],
                                       advantages[offset:offset + len(mine)]])
        out["num_items_in_batch"] = acc.gather(out["completion_mask"].sum()).sum()
        self._log(batch_plan, replays)
        return out

    def _per_process(self, selected: list[Selected], n_local: int) -> list[list[Selected]]:
        """The replays each process adds (of its own completions). TRL splits a process's batch
        into ``steps_per_generation`` equal chunks and drops the remainder, so each process keeps
        a multiple of it, dropping its lowest-scored replays first."""
        chunks = self.args.steps_per_generation
        per: list[list[Selected]] = [[] for _ in range(self.accelerator.num_processes)]
        for s in selected:
            per[(s.group * self.num_generations + s.response) // n_local].append(s)
        out = []
        for mine in per:
            best = sorted(mine, key=lambda s: (-s.score, -s.cla, s.group, s.response))
            keep = set(map(id, best[:len(best) // chunks * chunks]))
            out.append([s for s in mine if id(s) in keep])
        return out

    def _entropies(self, output: dict[str, Any]) -> list[float] | None:
        """Each completion's mean token entropy (global batch order), or None."""
        if self.replay.entropy == "none":
            return None
        ids, att = self._sequences(output["prompt_ids"], output["prompt_mask"],
                                   output["completion_ids"], output["completion_mask"])
        with torch.no_grad(), disable_gradient_checkpointing(
                self.model, self.args.gradient_checkpointing_kwargs):
            _, token_entropies, _ = self._get_per_token_logps_and_entropies(
                self.model, ids, att, output["completion_ids"].size(1),
                batch_size=self.args.per_device_train_batch_size, compute_entropy=True)
        mask = output["completion_mask"].float()
        mean = (token_entropies * mask).sum(1) / mask.sum(1).clamp_min(1)
        return self.accelerator.gather(mean).tolist()

    @staticmethod
    def _sequences(prompt_ids, prompt_mask, completion_ids, completion_mask):
        return (torch.cat([prompt_ids, completion_ids], dim=1),
                torch.cat([prompt_mask, completion_mask], dim=1))

    def _append(self, output: dict[str, Any], mine: list[Selected], local: list[int],
                rows: list[Row | RowError], prompts: list[Any]) -> dict[str, Any]:
        """The parent's batch with this process's replays appended (tensors widened to fit)."""
        out = dict(output)
        if not mine:
            return out
        texts = [with_user_text(prompts[i], rows[s.group].instruction.render(),
                                s.instruction.render()) for s, i in zip(mine, local)]
        token_lists, _, _ = self._tokenize_prompts(texts)
        pad_id = self._tokenizer.pad_token_id
        width = max(output["prompt_ids"].size(1), max(len(t) for t in token_lists))
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        device = output["prompt_ids"].device
        new_ids = torch.full((len(mine), width), pad_id, dtype=output["prompt_ids"].dtype,
                             device=device)
        new_mask = torch.zeros((len(mine), width), dtype=output["prompt_mask"].dtype,
                               device=device)
        for j, tokens in enumerate(token_lists):
            new_ids[j, width - len(tokens):] = torch.tensor(list(tokens), device=device)
            new_mask[j, width - len(tokens):] = 1
        grow = width - output["prompt_ids"].size(1)
        old_ids = torch.nn.functional.pad(output["prompt_ids"], (grow, 0), value=pad_id)
        old_mask = torch.nn.functional.pad(output["prompt_mask"], (grow, 0), value=0)
        index = torch.tensor(local, device=device)
        completion_ids = output["completion_ids"][index]
        completion_mask = output["completion_mask"][index]
        out["prompt_ids"] = torch.cat([old_ids, new_ids])
        out["prompt_mask"] = torch.cat([old_mask, new_mask])
        out["completion_ids"] = torch.cat([output["completion_ids"], completion_ids])
        out["completion_mask"] = torch.cat([output["completion_mask"], completion_mask])
        ids, att = self._sequences(new_ids, new_mask, completion_ids, completion_mask)
        for key, how, model in (("old_per_token_logps", self.replay.old_logprobs, self.model),
                                ("ref_per_token_logps", self.replay.ref_logprobs, self.ref_model)):
            if output.get(key) is None:
                continue
            if how == "copy":
                rows_of_key = output[key][index]
            else:
                with torch.no_grad(), disable_gradient_checkpointing(
                        self.model, self.args.gradient_checkpointing_kwargs):
                    rows_of_key, _, _ = self._get_per_token_logps_and_entropies(
                        model, ids, att, completion_ids.size(1),
                        batch_size=self.args.per_device_train_batch_size)
            out[key] = torch.cat([output[key], rows_of_key])
        for key in _COPIED:
            if output.get(key) is not None:
                out[key] = torch.cat([output[key], output[key][index]])
        return out

    def _log(self, batch_plan: Plan, replays: list[Selected]) -> None:
        metrics = self._metrics["train"]
        metrics["hir/replays"].append(float(len(replays)))
        metrics["hir/all_fail_groups_before"].append(float(batch_plan.all_failed_before))
        metrics["hir/all_fail_groups_after"].append(float(batch_plan.all_failed_after(replays)))
        metrics["hir/unjudged_groups"].append(float(sum(e is not None for e in batch_plan.errors)))
        metrics["hir/lambda"].append(batch_plan.lambda_)
