"""Checkpoints: everything needed to continue a run exactly where it stopped.

Layout of ``<run>/checkpoints/step_000012/``: ``model/`` (``save_pretrained``, safetensors, plus the
tokenizer; for a LoRA run peft's adapter files, ``lora.py``), ``optimizer.pt`` (the AdamW state
dict: tensors and numbers, read back with ``torch.load(weights_only=True)``), ``state.json`` (step,
lambda, learning rate, data position, cumulative counters), ``rng_rank{r}.json`` (python, torch
CPU and CUDA generator states of every rank, as JSON: no pickle) and, written last,
``manifest.json`` (every file of the checkpoint with its size).

A checkpoint is written into ``step_000012.tmp/``, flushed to disk, and moved into place with
``os.replace``, so a run killed mid-write leaves the previous checkpoint intact. ``latest`` is the
highest step directory that is *complete*: its manifest parses, every file it lists is there with
the listed size, and ``state.json`` parses and names that step. ``*.tmp`` directories are never
candidates (``remove_stale`` deletes them, on every save and on resume); a torn or corrupt
checkpoint is skipped, with a warning, in favour of the previous complete one.

Nothing here unpickles: checkpoints of older versions, whose RNG state was a pickle
(``rng_rank{r}.pt``), are refused by ``check_resumable`` rather than loaded.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import shutil
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from .distributed import Dist

PREFIX = "step_"
STEP_DIR = re.compile(rf"{PREFIX}(\d+)")
MANIFEST = "manifest.json"
FORMAT = 2  # 1: the unversioned layout with pickled rng_rank{r}.pt files (refused)


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from (the message names the file)."""


class CheckpointWarning(UserWarning):
    """A checkpoint skipped because it is incomplete or corrupt."""


@dataclass
class RunState:
    """The loop's counters; saved in every checkpoint."""

    step: int = 0                  # steps completed
    rollouts: int = 0              # fresh responses generated so far (all ranks)
    data_epoch: int = 0            # passes over the training prompts started
    data_pos: int = 0              # prompts consumed in the current pass
    lam: float = 0.0               # lambda used at the last completed step
    lr: float = 0.0                # learning rate of the last completed step (hir.train.schedule)
    extra: dict[str, Any] = field(default_factory=dict)


# -- RNG states as JSON -------------------------------------------------------------------------

def _b64(t: torch.Tensor) -> str:
    return base64.b64encode(t.cpu().contiguous().numpy().tobytes()).decode("ascii")


def _unb64(s: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(s, validate=True)), dtype=torch.uint8)


def rng_state() -> dict[str, Any]:
    """This process's generator states, JSON-ready (byte states as base64)."""
    version, internal, gauss_next = random.getstate()
    state: dict[str, Any] = {"python": [version, list(internal), gauss_next],
                             "torch": _b64(torch.get_rng_state())}
    if torch.cuda.is_available():
        state["cuda"] = [_b64(s) for s in torch.cuda.get_rng_state_all()]
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    torch.set_rng_state(_unb64(state["torch"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([_unb64(s) for s in state["cuda"]])


# -- finding the checkpoint to resume from -------------------------------------------------------

def checkpoint_dir(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"{PREFIX}{step:06d}"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"{path}: unreadable ({exc})") from None


def load_state(ckpt: Path) -> RunState:
    data = _read_json(ckpt / "state.json")
    names = {f.name for f in fields(RunState)}
    if not isinstance(data, dict) or not set(data) <= names or "step" not in data:
        raise CheckpointError(f"{ckpt / 'state.json'}: not a run state")
    return RunState(**data)


def _legacy_rng(ckpt: Path) -> list[Path]:
    return sorted(ckpt.glob("rng_rank*.pt"))


def problem(ckpt: Path) -> str | None:
    """Why ``ckpt`` is not a complete checkpoint, or None when it is. A checkpoint of the old
    pickled-RNG layout (no manifest, ``rng_rank*.pt``) counts as complete here, so that resuming
    from it is refused by name (``check_resumable``) instead of silently skipped."""
    m = STEP_DIR.fullmatch(ckpt.name)
    if m is None or not ckpt.is_dir():
        return f"{ckpt}: not a checkpoint directory"
    try:
        if (ckpt / MANIFEST).exists() or not _legacy_rng(ckpt):
            manifest = _read_json(ckpt / MANIFEST)
            files = manifest.get("files") if isinstance(manifest, dict) else None
            if not isinstance(files, dict) or not files:
                return f"{ckpt / MANIFEST}: no file list"
            for rel, size in files.items():
                path = ckpt / rel
                if ".." in Path(rel).parts or Path(rel).is_absolute():
                    return f"{ckpt / MANIFEST}: lists {rel!r} outside the checkpoint"
                if not path.is_file():
                    return f"{path}: missing"
                if path.stat().st_size != size:
                    return f"{path}: {path.stat().st_size} bytes, {size} written (torn)"
        state = load_state(ckpt)
    except CheckpointError as exc:
        return str(exc)
    if state.step != int(m.group(1)):
        return f"{ckpt / 'state.json'}: step {state.step}, not {int(m.group(1))}"
    return None


def latest(run_dir: str | Path) -> Path | None:
    """The most recent complete checkpoint of a run, or None. ``*.tmp`` directories are never
    returned; an incomplete or corrupt newer checkpoint is skipped with a ``CheckpointWarning``."""
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return None
    steps = sorted(((int(m.group(1)), p) for p in root.iterdir()
                    if (m := STEP_DIR.fullmatch(p.name)) and p.is_dir()), reverse=True)
    for _, p in steps:
        why = problem(p)
        if why is None:
            return p
        warnings.warn(f"skipping incomplete checkpoint {p.name}: {why}", CheckpointWarning,
                      stacklevel=2)
    return None


def remove_stale(run_dir: str | Path) -> list[Path]:
    """Delete the ``*.tmp`` checkpoint directories left by a run stopped while saving."""
    root = Path(run_dir) / "checkpoints"
    stale = [p for p in root.glob(f"{PREFIX}*.tmp") if p.is_dir()] if root.is_dir() else []
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale


def check_resumable(ckpt: Path, d: Dist) -> None:
    """Raise ``CheckpointError`` unless this rank can resume from ``ckpt`` without unpickling."""
    legacy = _legacy_rng(ckpt)
    if legacy and not (ckpt / MANIFEST).exists():
        raise CheckpointError(
            f"{legacy[0]}: RNG state saved by an older hir as a pickle; it will not be unpickled "
            "(loading a pickle can run code). This checkpoint cannot be resumed exactly: start "
            "a new run (its model/ can be used as --model)")
    if not (ckpt / f"rng_rank{d.rank}.json").is_file():
        raise CheckpointError(f"{ckpt}: no RNG state for rank {d.rank} (was the run started "
                              "with a different number of processes?)")


# -- writing ------------------------------------------------------------------------------------

def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory
        pass
    finally:
        os.close(fd)


def save(run_dir: str | Path, state: RunState, model, tokenizer, optimizer, d: Dist) -> Path:
    """Write a checkpoint atomically (collective: every rank must call it)."""
    final = checkpoint_dir(run_dir, state.step)
    tmp = final.with_name(final.name + ".tmp")
    if d.main:
        remove_stale(run_dir)
        tmp.mkdir(parents=True)
    d.barrier()
    _write_json(tmp / f"rng_rank{d.rank}.json", rng_state())
    if d.main:
        model.save_pretrained(tmp / "model", safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp / "model")
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        _write_json(tmp / "state.json", asdict(state))
    d.barrier()
    if d.main:
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        for p in files:
            _fsync(p)
        _write_json(tmp / MANIFEST, {"format": FORMAT, "world": d.world, "files": {
            p.relative_to(tmp).as_posix(): p.stat().st_size for p in files}})
        _fsync(tmp / MANIFEST)
        for p in sorted({p.parent for p in files} | {tmp}):
            _fsync(p)
        if final.exists():  # re-saving the same step (e.g. the final save after a periodic one)
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync(final.parent)
    d.barrier()
    return final


# -- loading ------------------------------------------------------------------------------------

def load_into(ckpt: Path, optimizer, d: Dist, device: torch.device) -> None:
    """Restore optimizer and this rank's RNG states (the model is loaded from ``ckpt/model``)."""
    check_resumable(ckpt, d)
    opt_file = ckpt / "optimizer.pt"
    try:  # weights_only: tensors, numbers and containers only, never arbitrary objects
        opt_state = torch.load(opt_file, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to read it is a refusal to resume
        raise CheckpointError(f"{opt_file}: not a plain optimizer state ({exc})") from None
    optimizer.load_state_dict(opt_state)
    rng_file = ckpt / f"rng_rank{d.rank}.json"
    rng = _read_json(rng_file)
    try:
        set_rng_state(rng)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{rng_file}: not an RNG state ({exc})") from None
