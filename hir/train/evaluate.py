"""Held-out evaluation: greedy responses, judged by the constraint engine like training rollouts."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from hir.masks import mask as judge

from .data import encode_prompt
from .generate import generate
from .precision import use_bf16


@dataclass
class EvalResult:
    """Held-out success at temperature 0: ILA, CLA and the pass rate of each constraint id."""

    n: int
    ila: float
    cla: float
    by_id: dict[str, float]
    counts: dict[str, int]
    seconds: float = 0.0

    def row(self) -> dict:
        return {"eval_ila": self.ila, "eval_cla": self.cla, "eval_n": self.n,
                "eval_by_id": dict(sorted(self.by_id.items())),
                "eval_n_by_id": dict(sorted(self.counts.items()))}

    @classmethod
    def from_row(cls, row: dict) -> "EvalResult":
        return cls(n=row["eval_n"], ila=row["eval_ila"], cla=row["eval_cla"],
                   by_id=dict(row["eval_by_id"]), counts=dict(row.get("eval_n_by_id", {})),
                   seconds=row.get("eval_seconds", 0.0))


def evaluate(model, tokenizer, items, *, config, device: torch.device, d=None) -> EvalResult:
    """Greedy responses to held-out ``items`` (sharded over ranks when ``d`` is given)."""
    t0 = time.perf_counter()
    mine = d.shard(list(items)) if d is not None else list(items)
    prompts = [encode_prompt(tokenizer, it.prompt, system=config.system_prompt,
                             max_tokens=config.max_prompt_tokens) for it in mine]
    gens = generate(model, tokenizer, prompts, temperature=0.0, top_p=1.0,
                    max_new_tokens=config.max_new_tokens, device=device,
                    bf16=use_bf16(config, device),
                    batch_size=config.generation_batch_size) if prompts else []
    ila = cla = 0.0
    passed: dict[str, float] = {}
    counts: dict[str, float] = {}
    for it, g in zip(mine, gens):
        text = tokenizer.decode(g.response_ids, skip_special_tokens=True)
        m = judge(it.instruction, text, mode=config.mode, semantics=config.semantics,
                  prompt=it.prompt)
        ila += float(m.ila)
        cla += m.cla
        for cid, ok in zip(it.instruction.ids, m.satisfied):
            passed[cid] = passed.get(cid, 0.0) + float(ok)
            counts[cid] = counts.get(cid, 0.0) + 1.0
    n = float(len(mine))
    if d is not None and d.enabled:
        # every rank must reduce the same keys: the union of constraint ids, in sorted order
        import torch.distributed as dist
        ids_all: list = [None] * d.world
        dist.all_gather_object(ids_all, sorted(counts))
        keys = sorted(set().union(*ids_all))
        vals = d.sum_floats(n, ila, cla, *[passed.get(k, 0.0) for k in keys],
                            *[counts.get(k, 0.0) for k in keys])
        n, ila, cla = vals[:3]
        passed = dict(zip(keys, vals[3:3 + len(keys)]))
        counts = dict(zip(keys, vals[3 + len(keys):]))
    return EvalResult(n=int(n), ila=ila / max(n, 1), cla=cla / max(n, 1),
                      by_id={k: passed[k] / counts[k] for k in counts if counts[k]},
                      counts={k: int(v) for k, v in counts.items()},
                      seconds=time.perf_counter() - t0)
