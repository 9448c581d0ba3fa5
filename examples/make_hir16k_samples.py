"""Build the small HIR-16K-shaped example files from public benchmark items in ../shared.

HIR-16K itself (the HiR authors' training set) cannot be downloaded here, so these rows are built
in its shapes from public items: IFEval (``type1``) and IFBench (``type2``) constraints with their
checkers' sentences as ``criteria``, MulDimIF Listing items (``type3``) with their rules as written,
every task a public MulDimIF question, every ``q_type`` (type1..type6) used. Deterministic: the same
../shared gives the same files.

    .venv/bin/python examples/make_hir16k_samples.py          # writes the two files below

- ``examples/hir16k_sample.jsonl``: HIR-16K JSONL rows (``id``, ``source``, ``question``,
  ``criteria``, ``q_type``, ``ground_truth``).
- ``examples/verl_sample.parquet``: the same rows as the authors' verl trainer reads them
  (``data_source``, ``prompt`` chat messages, ``ability``, ``reward_model`` with the ground truth
  as JSON text, ``extra_info`` with ``question``, ``criteria``, ``q_type``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PER_SOURCE = 4  # rows of each of type1, type2, type3


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _given(kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """Public IFEval/IFBench files pad kwargs with nulls: keep the given ones."""
    return {k: v for k, v in (kwargs or {}).items() if v is not None}


def listing_items() -> list[tuple[dict[str, Any], Any]]:
    """MulDimIF Listing items whose rules align with their constraints, with their parsed
    instruction (task + rules as written)."""
    from hir.instructions import from_muldimif

    out = []
    for item in json.loads((SHARED / "samples/muldimif_listing_sample.json").read_text("utf-8")):
        try:
            inst = from_muldimif(item)
        except ValueError:
            continue
        if len(inst.constraints) == len(item["constraints"]):
            out.append((item, inst))
    return out


def ifeval_like(path: Path) -> Iterator[tuple[list[str], list[dict[str, Any]], list[str]]]:
    """(ids, kwargs, sentences) of public items whose checkers read no prompt (a prompt to
    repeat belongs to the item's own prompt, not to the question it is paired with here)."""
    from constraints import build_all

    for row in _jsonl(path):
        kwargs = [_given(kw) for kw in row["kwargs"]]
        if any("prompt_to_repeat" in kw for kw in kwargs):
            continue
        checkers = build_all(row["instruction_id_list"], kwargs)
        if any(c.uses_prompt for c in checkers) or len(checkers) < 2:
            continue
        yield row["instruction_id_list"], kwargs, [c.describe() for c in checkers]


def hir16k_rows() -> list[dict[str, Any]]:
    items = listing_items()
    questions = iter([inst.task for _, inst in items[PER_SOURCE:]])
    q_types = iter(["type1", "type2", "type4", "type5", "type6", "type1", "type2", "type6"])
    rows = []
    for source, name in (("type1", "ifeval_llama_3b.jsonl"), ("type2", "ifbench_llama_3b.jsonl")):
        found = ifeval_like(SHARED / "conformance" / name)
        for _ in range(PER_SOURCE):
            ids, kwargs, sentences = next(found)
            rows.append({"source": source, "question": next(questions), "criteria": sentences,
                         "q_type": next(q_types),
                         "ground_truth": {"instruction_id_list": ids, "kwargs": kwargs}})
    for item, inst in items[:PER_SOURCE]:
        rows.append({"source": "type3", "question": inst.task,
                     "criteria": [c.text for c in inst.constraints], "q_type": "type3",
                     "ground_truth": {"instruction_id_list": item["constraints"]}})
    return [{"id": f"hir16k-sample-{i}", **row} for i, row in enumerate(rows)]


def verl_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as the authors' verl trainer reads them; the prompt is rendered from the parts."""
    from hir import rows as rowlib

    out = []
    for index, row in enumerate(rows):
        prompt = rowlib.parse(row).instruction.render()
        out.append({"id": row["id"], "data_source": row["source"],
                    "prompt": [{"role": "user", "content": prompt}],
                    "ability": "instruction_following",
                    "reward_model": {"style": "rule",
                                     "ground_truth": json.dumps(row["ground_truth"])},
                    "extra_info": {"index": index, "question": row["question"],
                                   "criteria": row["criteria"], "q_type": row["q_type"]}})
    return out


def main() -> int:
    if not SHARED.is_dir():
        print(f"error: the public items are not at {SHARED}", file=sys.stderr)
        return 2
    from hir.jsonl import dumps
    from hir.tables import write_parquet

    rows = hir16k_rows()
    jsonl_path = REPO / "examples" / "hir16k_sample.jsonl"
    jsonl_path.write_text("".join(dumps(r) + "\n" for r in rows), encoding="utf-8")
    parquet_path = REPO / "examples" / "verl_sample.parquet"
    write_parquet(parquet_path, verl_rows(rows))
    for path in (jsonl_path, parquet_path):
        print(f"{path.relative_to(REPO)}: {len(rows)} rows, {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
