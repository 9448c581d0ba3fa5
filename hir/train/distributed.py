"""Data parallelism through torch.distributed: one process per device, prompts sharded by rank.

Launched by ``torchrun`` (it sets RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT); a plain
``hir train`` is world size 1 and never touches torch.distributed. Backend: NCCL on CUDA, gloo on
CPU.

We do not wrap the model in ``DistributedDataParallel``: each rank accumulates gradients over its
own micro-batches (their count differs between ranks, since replay counts do), then
``all_reduce_grads`` sums them once per optimizer step. Losses are already divided by the
*global* token count, so the sum is exactly the full-batch gradient and every rank stays in
sync without DDP's per-backward hooks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    def shard(self, items: list) -> list:
        """This rank's share of ``items``: every ``world``-th item, starting at ``rank``."""
        return items[self.rank::self.world]

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        """All-reduce (sum) a tensor across ranks; identity on one process.

        The tensor may live anywhere: it is reduced on the backend's device (CUDA for NCCL)
        and returned on its own device.
        """
        if not self.enabled:
            return t
        out = t.detach().to(_reduce_device(), copy=True)
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out.to(t.device)

    def sum_floats(self, *values: float) -> list[float]:
        return self.sum(torch.tensor(values, dtype=torch.float64)).tolist()

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()


def _reduce_device() -> torch.device:
    if dist.is_available() and dist.is_initialized() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def setup(device: str = "auto") -> tuple[Dist, torch.device]:
    """Initialise the process group when launched by torchrun; pick this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", local if dev.index is None else dev.index)
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return Dist(rank=rank, world=world, local_rank=local), dev


def all_reduce_grads(params, d: Dist) -> None:
    """Sum gradients across ranks, flattened into one buffer per dtype (one collective each)."""
    if not d.enabled:
        return
    grads = []
    for p in params:
        if not p.requires_grad:
            continue
        if p.grad is None:  # unused on this rank: every rank must send the same buffer layout
            p.grad = torch.zeros_like(p)
        grads.append(p.grad)
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for g in grads:
        by_dtype.setdefault(g.dtype, []).append(g)
    for group in by_dtype.values():
        flat = torch.cat([g.reshape(-1) for g in group])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        offset = 0
        for g in group:
            n = g.numel()
            g.copy_(flat[offset:offset + n].view_as(g))
            offset += n


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
