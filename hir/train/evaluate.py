"""Held-out evaluation: greedy responses, judged twice.

1. Like training rollouts (``hir.masks`` with the run's ``mode`` and ``semantics``): ``eval_ila``,
   ``eval_cla`` and the pass rate of each constraint id, comparable with the training reward.
2. Exactly as ``hir check`` scores them (``hir.checking.score_row`` and ``Summary``: reference
   semantics, strict and loose): IFEval's four numbers, ``eval_prompt_strict``,
   ``eval_prompt_loose``, ``eval_instruction_strict``, ``eval_instruction_loose``, so an IFEval
   file given as ``--eval-data`` is followed during training as the benchmark reports it. A row
   ``hir check`` would reject (a checker that cannot run) is counted in ``eval_check_rejected``
   and in no denominator, as there.

``EvalResult.records`` are the held-out rows with their ``response``, as the run keeps its rows
(``Row.to_json``: IFEval form for IFEval rows, hir form for the others): the trainer writes them
to ``eval_responses/step_NNNNNN.jsonl``, and ``hir check`` on that file prints the same four
numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import torch

from hir.checking import RowResult, Summary, score_row
from hir.masks import mask as judge
from hir.rows import RowError

from .data import encode_prompt
from .generate import generate
from .precision import use_bf16

# ``hir check``'s counts that make up its accuracies (``hir.checking.Summary``), summed over ranks
CHECK_COUNTS = ("samples", "prompt_strict", "prompt_loose", "instructions", "instruction_strict",
                "instruction_loose", "rejected")
CHECK_SEMANTICS = "reference"  # hir check's default: the published benchmarks' verdicts


@dataclass
class EvalResult:
    """Held-out success at temperature 0: ILA, CLA and the pass rate of each constraint id (the
    run's mode and semantics), and ``check``: ``hir check``'s accuracies of the same responses."""

    n: int
    ila: float
    cla: float
    by_id: dict[str, float]
    counts: dict[str, int]
    seconds: float = 0.0
    check: dict[str, float | None] = field(default_factory=dict)
    check_rejected: int = 0
    records: list[dict] = field(default_factory=list)

    def row(self) -> dict:
        return {"eval_ila": self.ila, "eval_cla": self.cla, "eval_n": self.n,
                "eval_by_id": dict(sorted(self.by_id.items())),
                "eval_n_by_id": dict(sorted(self.counts.items())),
                **{f"eval_{k}": v for k, v in self.check.items()},
                "eval_check_rejected": self.check_rejected}

    @classmethod
    def from_row(cls, row: dict) -> "EvalResult":
        check = {k[len("eval_"):]: row[k] for k in _CHECK_KEYS if k in row}
        return cls(n=row["eval_n"], ila=row["eval_ila"], cla=row["eval_cla"],
                   by_id=dict(row["eval_by_id"]), counts=dict(row.get("eval_n_by_id", {})),
                   seconds=row.get("eval_seconds", 0.0), check=check,
                   check_rejected=row.get("eval_check_rejected", 0))


_CHECK_KEYS = tuple(f"eval_{k}" for k in Summary().accuracy())


def _check(row, text: str) -> RowResult:
    """The response scored as ``hir check`` scores a row (``hir.checking.score_line``)."""
    row = replace(row, responses=(text,), multi=False)
    try:
        return RowResult(0, row.key, row.ids, score_row(row, semantics=CHECK_SEMANTICS))
    except RowError as exc:
        return RowResult(0, row.key, row.ids, reject=row.rejects(exc)[0])


def evaluate(model, tokenizer, items, *, config, device: torch.device, d=None) -> EvalResult:
    """Greedy responses to held-out ``items`` (sharded over ranks when ``d`` is given)."""
    t0 = time.perf_counter()
    mine = d.shard(list(enumerate(items))) if d is not None else list(enumerate(items))
    prompts = [encode_prompt(tokenizer, it.prompt, system=config.system_prompt,
                             max_tokens=config.max_prompt_tokens) for _, it in mine]
    gens = generate(model, tokenizer, prompts, temperature=0.0, top_p=1.0,
                    max_new_tokens=config.max_new_tokens, device=device,
                    bf16=use_bf16(config, device),
                    batch_size=config.generation_batch_size) if prompts else []
    ila = cla = 0.0
    passed: dict[str, float] = {}
    counts: dict[str, float] = {}
    summary = Summary()
    records = []
    for (index, it), g in zip(mine, gens):
        text = tokenizer.decode(g.response_ids, skip_special_tokens=True)
        m = judge(it.instruction, text, mode=config.mode, semantics=config.semantics,
                  prompt=it.prompt)
        ila += float(m.ila)
        cla += m.cla
        for cid, ok in zip(it.instruction.ids, m.satisfied):
            passed[cid] = passed.get(cid, 0.0) + float(ok)
            counts[cid] = counts.get(cid, 0.0) + 1.0
        summary.add(_check(it, text))
        records.append((index, {**it.to_json(), "response": text}))
    n = float(len(mine))
    if d is not None and d.enabled:
        # every rank must reduce the same keys: the union of constraint ids, in sorted order
        import torch.distributed as dist
        ids_all: list = [None] * d.world
        dist.all_gather_object(ids_all, sorted(counts))
        keys = sorted(set().union(*ids_all))
        vals = d.sum_floats(n, ila, cla, *[passed.get(k, 0.0) for k in keys],
                            *[counts.get(k, 0.0) for k in keys],
                            *[getattr(summary, k) for k in CHECK_COUNTS])
        n, ila, cla = vals[:3]
        passed = dict(zip(keys, vals[3:3 + len(keys)]))
        counts = dict(zip(keys, vals[3 + len(keys):3 + 2 * len(keys)]))
        for k, v in zip(CHECK_COUNTS, vals[3 + 2 * len(keys):]):
            setattr(summary, k, int(round(v)))
        gathered: list = [None] * d.world
        dist.all_gather_object(gathered, records)
        records = [r for part in gathered for r in part]
    return EvalResult(n=int(n), ila=ila / max(n, 1), cla=cla / max(n, 1),
                      by_id={k: passed[k] / counts[k] for k in counts if counts[k]},
                      counts={k: int(v) for k, v in counts.items()},
                      seconds=time.perf_counter() - t0,
                      check=summary.accuracy(), check_rejected=summary.rejected,
                      records=[r for _, r in sorted(records, key=lambda x: x[0])])
