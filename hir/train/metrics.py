"""Run outputs: ``metrics.jsonl`` (a row per step, plus eval rows), ``samples.jsonl``, TensorBoard.

Every metrics row has ``step`` and ``rollouts`` (cumulative fresh responses generated, the x axis
of sample-efficiency plots). Train rows carry the step's statistics; eval rows (``"eval": true``)
carry ``eval_ila``, ``eval_cla`` and per-constraint pass rates ``eval_by_id``. TensorBoard events
are written only when ``torch.utils.tensorboard`` imports (tensorboard is not a dependency).
On resume, rows of steps after the checkpoint are dropped so the file reads as one run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hir.jsonl import dumps

METRICS = "metrics.jsonl"
SAMPLES = "samples.jsonl"


def sum_over_ranks(d, sums: dict[str, float]) -> dict[str, float]:
    """``sums`` summed across data-parallel ranks (``d``: a ``distributed.Dist``), in one
    collective; on one process the values come back as floats."""
    return dict(zip(sums, d.sum_floats(*sums.values())))


def truncate_after(path: Path, step: int) -> None:
    """Keep only rows with ``step <= step`` (a resumed run rewrites what came after)."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and json.loads(line).get("step", 0) <= step:
            kept.append(line)
    path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")


class RunLog:
    """Appends metrics and samples rows (rank 0 only) and mirrors scalars to TensorBoard."""

    def __init__(self, run_dir: str | Path, *, enabled: bool = True, tensorboard: bool = True,
                 resume_step: int | None = None) -> None:
        self.dir = Path(run_dir)
        self.enabled = enabled
        self._tb = None
        if not enabled:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        if resume_step is not None:
            truncate_after(self.dir / METRICS, resume_step)
            truncate_after(self.dir / SAMPLES, resume_step)
        else:
            for name in (METRICS, SAMPLES):
                (self.dir / name).write_text("", encoding="utf-8")
        self._metrics = open(self.dir / METRICS, "a", encoding="utf-8")
        self._samples = open(self.dir / SAMPLES, "a", encoding="utf-8")
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except Exception:  # tensorboard not installed: skip silently, it is optional
                SummaryWriter = None
            if SummaryWriter is not None:
                self._tb = SummaryWriter(str(self.dir / "tb"))

    @property
    def tensorboard(self) -> bool:
        return self._tb is not None

    def metrics(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self._metrics.write(dumps(row) + "\n")
        self._metrics.flush()
        if self._tb is not None:
            prefix = "eval" if row.get("eval") else "train"
            for key, value in row.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) \
                        and key not in ("step",):
                    self._tb.add_scalar(f"{prefix}/{key}", value, row["step"])
            self._tb.flush()

    def samples(self, rows: list[dict[str, Any]]) -> None:
        if not self.enabled:
            return
        for row in rows:
            self._samples.write(dumps(row) + "\n")
        self._samples.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        self._metrics.close()
        self._samples.close()
        if self._tb is not None:
            self._tb.close()


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / METRICS
    if not path.exists():
        raise FileNotFoundError(f"{run_dir}: no {METRICS} (is this a run directory?)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
