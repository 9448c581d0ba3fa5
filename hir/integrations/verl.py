"""HiR in verl (``pip install hir[verl]``; tested with verl 0.9.1 on CPU, see docs/integrations.md).

- ``compute_score``: a verl reward function (``reward.custom_reward_function.path`` =
  ``pkg://hir.integrations.verl``, ``.name`` = ``compute_score``). The constraints come from the row's ground truth in any form
  ``hir.rows`` reads (a hir instruction object, ``{"instruction_id_list", "kwargs", "task"}``, a
  list of ``{"id", "kwargs"}``, or any of these as JSON text). It returns the same keys for every
  row and never raises: a row that cannot be judged scores 0 and says why in ``error``.
- ``insert_replays``: a pure ``DataProto -> DataProto`` transform. It groups a generated batch by
  ``uid``, judges each response, selects and rewrites failures (``hir.relabel``: the row's own
  template), re-tokenises the hindsight prompt, and puts each replay right after its original with
  the same ``uid``: the same response tokens, reward 1 on its last token, old/reference log-probs
  copied from the original or recomputed by the caller's function.

The trainer that uses them is ``hir.integrations.verl_trainer`` (it imports verl's Ray stack).
This module imports torch and numpy; ``verl.DataProto`` only when ``insert_replays`` builds one,
so ``compute_score`` works (and is tested) without verl installed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
import torch

from hir.knobs import RelabelConfig
from hir.relabel import Selected, group_masks
from hir.rows import Row, RowError
from hir.select import mean_entropy

from .batch import DEFAULT_CONFIG, describe, plan, row_of, user_text, with_user_text

if TYPE_CHECKING:
    from verl import DataProto

logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------------------------------
# The reward function

SCORE_KEYS = ("score", "cla", "num_constraints", "mask", "error")


def _plain(value: Any) -> Any:
    """A value from a parquet row as plain JSON-like Python (numpy arrays become lists)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _prompt_of(extra_info: Any) -> str | None:
    prompt = extra_info.get("prompt") if isinstance(extra_info, Mapping) else None
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple, np.ndarray)):
        try:
            return user_text(_plain(prompt))
        except TypeError:
            return None
    return None


def score_row(solution_str: str, ground_truth: Any, *, prompt: str | None = None,
              config: RelabelConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """``compute_score``'s result for one response (see ``compute_score``)."""
    try:
        row = row_of({"ground_truth": _plain(ground_truth)}, prompt=prompt,
                     responses=[solution_str], source="<verl row>")
        m = group_masks(row, config)[0]
    except RowError as exc:
        return {"score": 0.0, "cla": 0.0, "num_constraints": 0, "mask": "",
                "error": describe(exc)}
    except Exception as exc:  # a bug of ours, not a bad row: said so, and logged with its trace
        logger.exception("compute_score crashed")
        return {"score": 0.0, "cla": 0.0, "num_constraints": 0, "mask": "",
                "error": f"internal error (a bug in hir, not a bad row): "
                         f"{type(exc).__name__}: {exc}"}
    return {"score": float(m.ila), "cla": float(m.cla), "num_constraints": len(m.satisfied),
            "mask": "".join("1" if ok else "0" for ok in m.satisfied), "error": ""}


def compute_score(data_source: Any, solution_str: str, ground_truth: Any,
                  extra_info: Any = None, **kwargs: Any) -> dict[str, Any]:
    """verl's custom reward function: ``score`` (ILA: 1.0 if every constraint holds, else 0.0),
    ``cla`` (fraction held), ``num_constraints``, ``mask`` (one 0/1 character per constraint, in
    order) and ``error`` ("" or why the row could not be judged, naming its field; then score 0;
    a crash of hir's own code also scores 0 and says "internal error", with its trace logged).

    ``extra_info["prompt"]`` (text or chat messages), when present, is the prompt that
    prompt-reading checkers see and the task of a bare constraint list. Checkers run in strict
    mode with the corrected semantics, as ``hir train`` judges. Never raises.
    """
    if not isinstance(solution_str, str):
        return {"score": 0.0, "cla": 0.0, "num_constraints": 0, "mask": "",
                "error": f"solution_str must be a string, got {type(solution_str).__name__}"}
    return score_row(solution_str, ground_truth, prompt=_prompt_of(extra_info))


# ----------------------------------------------------------------------------------------------
# Replays as a DataProto transform

LOGPROBS = ("copy", "recompute")
# Per-token reward tensors: a replay's reward is 1 on its last response token.
REWARD_KEYS = ("token_level_scores", "token_level_rewards", "rm_scores")
# Recomputed by the caller after the transform (verl's compute_advantage), so dropped here.
STALE_KEYS = ("advantages", "returns")
SEQUENCE_KEYS = ("prompts", "input_ids", "attention_mask", "position_ids")

Recompute = Callable[["DataProto"], torch.Tensor]


@dataclass(frozen=True)
class _Replay:
    source: int            # row of the original in the batch
    selected: Selected
    prompt_ids: list[int]
    raw_prompt: Any        # the hindsight chat (or None without ``raw_prompt``)
    ground_truth: str      # the hindsight instruction, as JSON text


def _response_texts(batch: DataProto, tokenizer) -> list[str]:
    prompt_len = batch.batch["prompts"].size(1)
    valid = batch.batch["attention_mask"][:, prompt_len:].bool()
    return [tokenizer.decode(batch.batch["responses"][i][valid[i]].tolist(),
                             skip_special_tokens=True) for i in range(len(batch))]


def _prompt_texts(batch: DataProto, tokenizer) -> list[str]:
    raw = batch.non_tensor_batch.get("raw_prompt")
    if raw is not None:
        return [user_text(_plain(r)) for r in raw]
    prompt_len = batch.batch["prompts"].size(1)
    valid = batch.batch["attention_mask"][:, :prompt_len].bool()
    return [tokenizer.decode(batch.batch["prompts"][i][valid[i]].tolist(),
                             skip_special_tokens=True) for i in range(len(batch))]


def _columns(batch: DataProto, i: int) -> dict[str, Any]:
    """The row's constraints as ``hir.rows`` reads them: its ``reward_model`` ground truth (or
    hir/IFEval columns carried through the dataset)."""
    out = {}
    for key in ("reward_model", "instruction", "instruction_id_list", "kwargs", "task",
                "template"):
        if key in batch.non_tensor_batch:
            out[key] = _plain(batch.non_tensor_batch[key][i])
    return out


def _entropies(batch: DataProto) -> list[float | None]:
    """A response's mean surprisal under the old policy (a one-sample estimate of its mean token
    entropy, ``hir.select.mean_entropy``), from ``old_log_probs`` else ``rollout_log_probs``."""
    key = next((k for k in ("old_log_probs", "rollout_log_probs") if k in batch.batch.keys()),
               None)
    if key is None:
        return [None] * len(batch)
    mask = batch.batch["response_mask"] if "response_mask" in batch.batch.keys() else \
        batch.batch["attention_mask"][:, batch.batch["prompts"].size(1):]
    out = []
    for lp, m in zip(batch.batch[key], mask.bool()):
        out.append(mean_entropy(logprobs=lp[m].tolist()))
    return out


def _hindsight_prompt(batch: DataProto, i: int, tokenizer, original: str, rewritten: str,
                      chat_template_kwargs: Mapping[str, Any]) -> tuple[list[int], Any]:
    """Token ids of row ``i``'s prompt with its instruction rewritten (and the rewritten chat)."""
    raw = batch.non_tensor_batch.get("raw_prompt")
    if raw is not None:
        messages = with_user_text(_plain(raw[i]), original, rewritten)
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                            return_dict=False, **chat_template_kwargs)
        return list(ids), np.array(messages, dtype=object)
    prompt_len = batch.batch["prompts"].size(1)
    valid = batch.batch["attention_mask"][i, :prompt_len].bool()
    text = tokenizer.decode(batch.batch["prompts"][i][valid].tolist(), skip_special_tokens=False)
    if original not in text:
        raise RowError("the rendered instruction is not in the decoded prompt, so it cannot be "
                       "rewritten (give the batch a 'raw_prompt')", "raw_prompt")
    return tokenizer(text.replace(original, rewritten, 1), add_special_tokens=False)[
        "input_ids"], None


def _trim(replays: list[_Replay], batch_size: int, multiple_of: int) -> list[_Replay]:
    """Drop the lowest-scored replays until the batch with replays divides by ``multiple_of``."""
    if multiple_of <= 1:
        return replays
    keep_n = max(0, len(replays) - (batch_size + len(replays)) % multiple_of)
    best = sorted(replays, key=lambda r: (-r.selected.score, -r.selected.cla, r.selected.group,
                                          r.selected.response))[:keep_n]
    kept = set(map(id, best))
    return [r for r in replays if id(r) in kept]


def insert_replays(batch: DataProto, tokenizer, *, step: int,
                   config: RelabelConfig = DEFAULT_CONFIG, old_log_probs: str = "copy",
                   ref_log_probs: str = "copy", recompute_old: Recompute | None = None,
                   recompute_ref: Recompute | None = None, multiple_of: int = 1,
                   chat_template_kwargs: Mapping[str, Any] | None = None) -> DataProto:
    """``batch`` with hindsight replays inserted beside their originals (module docstring).

    ``batch``: a generated, scored batch (``prompts``, ``responses``, ``attention_mask``,
    ``input_ids``, ``position_ids``; ``uid`` and the constraints, usually
    ``reward_model.ground_truth``, in ``non_tensor_batch``; ``raw_prompt`` when the dataset keeps
    it). ``step`` sets lambda_s. ``old_log_probs`` / ``ref_log_probs``: ``copy`` the original's
    row or ``recompute`` it by calling ``recompute_old`` / ``recompute_ref`` on the replays alone
    (a ``DataProto`` of them; return a ``(replays, response_length)`` tensor). ``multiple_of``:
    drop the lowest-scored replays until the batch size divides by it (data-parallel size).

    The result has every key of ``batch`` except ``advantages`` and ``returns`` (recompute them,
    e.g. with ``verl.trainer.ppo.ray_trainer.compute_advantage``), a boolean ``hir_replay``
    column, and ``meta_info["hir"]``: replays, all-fail groups before/after, lambda, unjudged
    groups. ``batch`` itself is not modified. Rows whose constraints cannot be read are kept and
    get no replay (their reason is in ``meta_info["hir"]["errors"]``).
    """
    for name, how, fn in (("old_log_probs", old_log_probs, recompute_old),
                          ("ref_log_probs", ref_log_probs, recompute_ref)):
        if how not in LOGPROBS:
            raise ValueError(f"{name} must be one of {LOGPROBS}, got {how!r}")
        if how == "recompute" and fn is None:
            raise ValueError(f"{name}='recompute' needs a recompute function")
    if "values" in batch.batch.keys():
        raise ValueError("insert_replays does not support a critic (values): use an "
                         "outcome-reward estimator such as reinforce_plus_plus or grpo")
    if batch.batch["position_ids"].dim() != 2:
        raise ValueError("insert_replays supports text models only (2-D position_ids)")
    if "uid" not in batch.non_tensor_batch:
        raise ValueError("the batch has no 'uid' column: replays join their original's group")

    n = len(batch)
    uids = [str(u) for u in batch.non_tensor_batch["uid"]]
    members: dict[str, list[int]] = {}
    for i, u in enumerate(uids):
        members.setdefault(u, []).append(i)
    groups = list(members.values())
    responses = _response_texts(batch, tokenizer)
    prompts = _prompt_texts(batch, tokenizer)
    entropies = _entropies(batch)
    rows: list[Row | RowError] = []
    for idx in groups:
        try:
            rows.append(row_of(_columns(batch, idx[0]), prompt=prompts[idx[0]],
                               responses=[responses[i] for i in idx], source="<verl batch>",
                               line=idx[0] + 1))
        except RowError as exc:
            rows.append(exc)
    batch_plan = plan(rows, [[entropies[i] for i in idx] for idx in groups], step=step,
                      config=config)

    replays: list[_Replay] = []
    def where(g: int) -> str:
        return f"uid {uids[groups[g][0]]}"

    errors = [f"{where(g)}: {describe(e)}" for g, e in enumerate(batch_plan.errors) if e]
    kwargs = dict(chat_template_kwargs or {})
    for s in batch_plan.selected:
        source = groups[s.group][s.response]
        row = rows[s.group]
        try:
            ids, raw = _hindsight_prompt(batch, source, tokenizer, row.instruction.render(),
                                         s.instruction.render(), kwargs)
        except RowError as exc:
            errors.append(f"{where(s.group)}: {describe(exc)}")
            continue
        replays.append(_Replay(source, s, ids, raw, json.dumps(s.instruction.model_dump())))
    replays = _trim(replays, n, multiple_of)
    out = _assemble(batch, replays, tokenizer)
    replay_rows = [i for i, flag in enumerate(out.non_tensor_batch["hir_replay"]) if flag]
    for key, how, fn in (("old_log_probs", old_log_probs, recompute_old),
                         ("ref_log_prob", ref_log_probs, recompute_ref)):
        if key in out.batch.keys() and how == "recompute" and replay_rows:
            values = fn(out.select_idxs(replay_rows))
            out.batch[key][torch.tensor(replay_rows)] = values.to(out.batch[key].dtype)
    out.meta_info["hir"] = {
        "replays": len(replays), "all_fail_groups_before": batch_plan.all_failed_before,
        "all_fail_groups_after": batch_plan.all_failed_after([r.selected for r in replays]),
        "lambda": batch_plan.lambda_, "unjudged_groups": sum(e is not None
                                                             for e in batch_plan.errors),
        "errors": errors}
    return out


def _assemble(batch: DataProto, replays: list[_Replay], tokenizer) -> DataProto:
    """The output DataProto: each original followed by its replays."""
    by_source: dict[int, list[_Replay]] = {}
    for r in replays:
        by_source.setdefault(r.source, []).append(r)
    order: list[tuple[int, _Replay | None]] = []
    for i in range(len(batch)):
        order.append((i, None))
        order += [(i, r) for r in by_source.get(i, [])]
    index = torch.tensor([i for i, _ in order])
    is_replay = torch.tensor([r is not None for _, r in order])
    rows = is_replay.nonzero().flatten()

    t = batch.batch
    prompt_len = t["prompts"].size(1)
    width = max([prompt_len] + [len(r.prompt_ids) for r in replays])
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    prompts = torch.nn.functional.pad(t["prompts"], (width - prompt_len, 0), value=pad)[index]
    prompt_mask = torch.nn.functional.pad(t["attention_mask"][:, :prompt_len],
                                          (width - prompt_len, 0), value=0)[index]
    for row, (_, r) in zip(rows.tolist(), [o for o in order if o[1] is not None]):
        ids = torch.tensor(r.prompt_ids, dtype=prompts.dtype)
        prompts[row] = pad
        prompts[row, width - len(ids):] = ids
        prompt_mask[row] = 0
        prompt_mask[row, width - len(ids):] = 1
    responses = t["responses"][index]
    attention = torch.cat([prompt_mask, t["attention_mask"][:, prompt_len:][index]], dim=1)
    tensors: dict[str, torch.Tensor] = {
        "prompts": prompts, "input_ids": torch.cat([prompts, responses], dim=1),
        "attention_mask": attention,
        # verl's compute_position_id_with_mask: positions count the attended tokens
        "position_ids": torch.clip(torch.cumsum(attention, dim=-1) - 1, min=0)}
    response_mask = (t["response_mask"] if "response_mask" in t.keys()
                     else t["attention_mask"][:, prompt_len:])[index]
    # the last response token: where the running count of valid tokens reaches their total
    last = (response_mask.cumsum(-1) == response_mask.sum(-1, keepdim=True)) & response_mask.bool()
    for key in t.keys():
        if key in SEQUENCE_KEYS or key in STALE_KEYS:
            continue
        value = t[key][index].clone()
        if key in REWARD_KEYS:
            value[rows] = last[rows].to(value.dtype)
        tensors[key] = value

    order_np = index.numpy()
    non_tensors: dict[str, np.ndarray] = {}
    for key, values in batch.non_tensor_batch.items():
        column = values[order_np].copy()
        non_tensors[key] = column
    replay_at = [(row, r) for row, (_, r) in zip(rows.tolist(),
                                                  [o for o in order if o[1] is not None])]
    for row, r in replay_at:
        if "raw_prompt" in non_tensors and r.raw_prompt is not None:
            non_tensors["raw_prompt"][row] = r.raw_prompt
        if "reward_model" in non_tensors:
            reward_model = dict(_plain(non_tensors["reward_model"][row]) or {})
            reward_model["ground_truth"] = r.ground_truth
            non_tensors["reward_model"][row] = reward_model
        present = [k for k in SCORE_KEYS if k in non_tensors]
        if present:
            response = tokenizer.decode(
                responses[row][attention[row, width:].bool()].tolist(), skip_special_tokens=True)
            scored = score_row(response, r.ground_truth)
            for k in present:
                non_tensors[k][row] = scored[k]
    non_tensors["hir_replay"] = is_replay.numpy().astype(bool)
    meta = dict(batch.meta_info)
    if "global_token_num" in meta:  # per-sequence token counts (verl's throughput metrics)
        meta["global_token_num"] = attention.sum(-1).tolist()
    from verl import DataProto

    return DataProto.from_dict(tensors=tensors, non_tensors=non_tensors, meta_info=meta)
