"""Checkpoints: everything needed to continue a run exactly where it stopped.

Layout of ``<run>/checkpoints/step_000012/``: ``model/`` (``save_pretrained``, safetensors, plus the
tokenizer), ``optimizer.pt``, ``state.json`` (step, lambda, data position, cumulative counters) and
``rng_rank{r}.pt`` (python, torch CPU and CUDA generator states of every rank). A checkpoint is
written into a temporary sibling directory and moved into place with ``os.replace``, so a run
killed mid-write leaves the previous checkpoint intact and never a half-written one. ``latest``
is simply the highest complete step directory.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from .distributed import Dist

PREFIX = "step_"


@dataclass
class RunState:
    """The loop's counters; saved in every checkpoint."""

    step: int = 0                  # steps completed
    rollouts: int = 0              # fresh responses generated so far (all ranks)
    data_epoch: int = 0            # passes over the training prompts started
    data_pos: int = 0              # prompts consumed in the current pass
    lam: float = 0.0               # lambda used at the last completed step
    extra: dict[str, Any] = field(default_factory=dict)


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_dir(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"{PREFIX}{step:06d}"


def latest(run_dir: str | Path) -> Path | None:
    """The most recent complete checkpoint of a run, or None."""
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return None
    done = sorted(p for p in root.iterdir()
                  if p.is_dir() and p.name.startswith(PREFIX) and (p / "state.json").exists())
    return done[-1] if done else None


def save(run_dir: str | Path, state: RunState, model, tokenizer, optimizer, d: Dist) -> Path:
    """Write a checkpoint atomically (collective: every rank must call it)."""
    final = checkpoint_dir(run_dir, state.step)
    tmp = final.with_name(final.name + ".tmp")
    if d.main:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    d.barrier()
    torch.save(rng_state(), tmp / f"rng_rank{d.rank}.pt")
    if d.main:
        model.save_pretrained(tmp / "model", safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp / "model")
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        (tmp / "state.json").write_text(json.dumps(asdict(state), indent=2) + "\n",
                                        encoding="utf-8")
    d.barrier()
    if d.main:
        if final.exists():  # re-saving the same step (e.g. the final save after a periodic one)
            shutil.rmtree(final)
        os.replace(tmp, final)
    d.barrier()
    return final


def load_state(ckpt: Path) -> RunState:
    return RunState(**json.loads((ckpt / "state.json").read_text(encoding="utf-8")))


def load_into(ckpt: Path, optimizer, d: Dist, device: torch.device) -> None:
    """Restore optimizer and this rank's RNG states (the model is loaded from ``ckpt/model``)."""
    optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", map_location=device,
                                         weights_only=True))
    rng_file = ckpt / f"rng_rank{d.rank}.pt"
    if not rng_file.exists():
        raise FileNotFoundError(f"{ckpt}: no RNG state for rank {d.rank} (was the run started "
                                "with a different number of processes?)")
    set_rng_state(torch.load(rng_file, weights_only=False))
