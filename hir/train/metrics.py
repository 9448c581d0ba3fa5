"""Run outputs: ``metrics.jsonl`` (a row per step, plus eval rows), ``samples.jsonl``, TensorBoard.

Every metrics row has ``step`` and ``rollouts`` (cumulative fresh responses generated, the x axis
of sample-efficiency plots). Train rows carry the step's statistics; eval rows (``"eval": true``)
carry ``eval_ila``, ``eval_cla`` and per-constraint pass rates ``eval_by_id``. TensorBoard events
(``tb/``: every numeric key of a row as ``train/KEY`` or ``eval/KEY`` at its step) are written only
when ``torch.utils.tensorboard`` imports (``pip install 'hir[tb]'``; not installed by default).
On resume, rows of steps after the checkpoint are dropped so the file reads as one run, and so is
a torn last line (a run killed mid-write), with a warning; a line that is not a JSON object
anywhere else is an error naming the file and line (``LogError``), and the file is left as it is.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from hir.jsonl import dumps

METRICS = "metrics.jsonl"
SAMPLES = "samples.jsonl"


def sum_over_ranks(d, sums: dict[str, float]) -> dict[str, float]:
    """``sums`` summed across data-parallel ranks (``d``: a ``distributed.Dist``), in one
    collective; on one process the values come back as floats."""
    return dict(zip(sums, d.sum_floats(*sums.values())))


class LogError(ValueError):
    """A line of ``metrics.jsonl``/``samples.jsonl``, other than the last, that is not a row."""


class TornLineWarning(UserWarning):
    """The last line of a log was cut short (a run stopped while writing it) and is ignored."""


def _rows(path: Path, data: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(text, row) of every non-blank line of ``data`` (the bytes of ``path``); a torn last line
    is dropped with a warning."""
    lines = [(n, raw) for n, raw in enumerate(data.split(b"\n"), start=1)
             if raw.strip()]
    rows = []
    for i, (n, raw) in enumerate(lines):
        try:
            text = raw.decode("utf-8")
            row = json.loads(text)
            if not isinstance(row, dict) or not isinstance(row.get("step", 0), (int, float)):
                raise ValueError("not a row object with a numeric step")
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError too
            if i == len(lines) - 1:
                warnings.warn(f"{path}:{n}: torn last line ignored ({exc})", TornLineWarning,
                              stacklevel=2)
                break
            raise LogError(f"{path}:{n}: not a JSON row ({exc}); only the last line of a "
                           "log may be torn") from None
        rows.append((text, row))
    return rows


def truncate_after(path: Path, step: int) -> None:
    """Keep only rows with ``step <= step`` (a resumed run rewrites what came after), and drop a
    torn last line. The file is replaced atomically, and only when something changes."""
    if not path.exists():
        return
    data = path.read_bytes()
    kept = "".join(text + "\n" for text, row in _rows(path, data) if row.get("step", 0) <= step)
    if data == kept.encode("utf-8"):
        return
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(kept)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
                # on resume, TensorBoard discards the events the stopped run wrote after the
                # checkpoint (purge_step), as truncate_after does for the JSONL logs
                self._tb = SummaryWriter(str(self.dir / "tb"), purge_step=None
                                         if resume_step is None else resume_step + 1)

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
    """The rows of a run's ``metrics.jsonl``; a torn last line is skipped with a warning."""
    path = Path(run_dir) / METRICS
    if not path.exists():
        raise FileNotFoundError(f"{run_dir}: no {METRICS} (is this a run directory?)")
    return [row for _, row in _rows(path, path.read_bytes())]
