"""Training and held-out prompts: loading, splitting, a resumable prompt stream, tokenization.

Row forms accepted (one JSON object per line):

* hir form: ``{"instruction": {"task", "constraints": [{"id", "kwargs", "text"}], "template"}}``
  or the same three keys at the top level (``hir.instructions.Instruction``). Replayable: the
  prompt is rendered from its parts, so a hindsight rewrite renders as naturally as the original.
* IFEval form: ``{"prompt", "instruction_id_list", "kwargs"}``. The constraint sentences are
  written inside the prompt and cannot be removed from it, so these rows are trained on as fresh
  rollouts only (never replayed) and are fine as held-out data.

A row that cannot be used (bad JSON, missing field, unknown constraint id, invalid parameters) is
rejected with ``file:line: field: message`` and the other rows are kept.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Sequence

from pydantic import ValidationError

from constraints import ConstraintError, Semantics
from hir.instructions import ConstraintSpec, Instruction
from hir.jsonl import read_jsonl


@dataclass(frozen=True)
class Item:
    """One prompt: its instruction, the text shown to the model, and whether it can be replayed."""

    key: str
    instruction: Instruction
    fixed_prompt: str | None = None   # IFEval rows: the prompt as written

    @property
    def replayable(self) -> bool:
        return self.fixed_prompt is None

    @property
    def prompt(self) -> str:
        return self.fixed_prompt if self.fixed_prompt is not None else self.instruction.render()

    def to_row(self) -> dict[str, Any]:
        if self.fixed_prompt is not None:
            return {"key": self.key, "prompt": self.fixed_prompt,
                    "instruction_id_list": self.instruction.ids,
                    "kwargs": self.instruction.kwargs}
        return {"key": self.key, "instruction": self.instruction.model_dump()}


@dataclass(frozen=True)
class Reject:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def parse_row(row: dict[str, Any], key: str, semantics: Semantics = "corrected") -> Item:
    """An ``Item`` from one row; raises ``ValueError`` naming the field at fault."""
    if "instruction" in row or "task" in row:
        raw = row.get("instruction", {k: row[k] for k in ("task", "constraints", "template")
                                      if k in row})
        try:
            inst = Instruction.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"instruction.{field}: {first['msg']}") from None
        fixed = None
    elif "prompt" in row and "instruction_id_list" in row:
        prompt, ids = row["prompt"], row["instruction_id_list"]
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("prompt: must be a non-empty string")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("instruction_id_list: must be a list of strings")
        kwargs = row.get("kwargs")
        if kwargs is None:  # absent: no parameters (as hir check reads it)
            kwargs = [{}] * len(ids)
        if not isinstance(kwargs, list) or len(kwargs) != len(ids):
            raise ValueError(f"kwargs: must be a list of {len(ids)} objects (index-aligned "
                             "with instruction_id_list)")
        specs = [ConstraintSpec(id=i, kwargs={k: v for k, v in (kw or {}).items()
                                               if v is not None})
                 for i, kw in zip(ids, kwargs)]
        inst = Instruction(task=prompt, constraints=specs)
        fixed = prompt
    else:
        raise ValueError("expected an 'instruction' object, 'task'+'constraints', or IFEval "
                         "'prompt'+'instruction_id_list'")
    try:
        inst.checkers(semantics)  # unknown ids and bad parameters are found now, not mid-run
    except ConstraintError as exc:
        raise ValueError(f"constraints: {exc}") from None
    return Item(key=str(row.get("key", key)), instruction=inst, fixed_prompt=fixed)


def load(path: str, semantics: Semantics = "corrected") -> tuple[list[Item], list[Reject]]:
    items, rejects = [], []
    for line in read_jsonl(path):
        if not line.ok:
            rejects.append(Reject(line.where(), line.error or "unreadable"))
            continue
        try:
            items.append(parse_row(line.value, key=f"{line.source}:{line.number}",
                                   semantics=semantics))
        except ValueError as exc:
            rejects.append(Reject(line.where(), str(exc)))
    return items, rejects


def from_instructions(instructions: Sequence[Instruction], prefix: str) -> list[Item]:
    return [Item(key=f"{prefix}{i}", instruction=inst) for i, inst in enumerate(instructions)]


def split(items: list[Item], fraction: float, seed: int) -> tuple[list[Item], list[Item]]:
    """A deterministic held-out split: ``fraction`` of the items (at least one when > 0)."""
    if fraction <= 0 or len(items) < 2:
        return items, []
    order = list(range(len(items)))
    random.Random(f"hir-split-{seed}").shuffle(order)
    n_eval = max(1, int(round(fraction * len(items))))
    held = set(order[:n_eval])
    return ([x for i, x in enumerate(items) if i not in held],
            [x for i, x in enumerate(items) if i in held])


class PromptStream:
    """Endless, reproducible batches: a fresh seeded shuffle per pass over the prompts.

    ``(epoch, pos)`` is the whole state; a checkpoint stores it and ``--resume`` continues from it.
    """

    def __init__(self, n: int, seed: int, epoch: int = 0, pos: int = 0) -> None:
        if n == 0:
            raise ValueError("no training prompts")
        self.n, self.seed, self.epoch, self.pos = n, seed, epoch, pos
        self._order = self._shuffle(epoch)

    def _shuffle(self, epoch: int) -> list[int]:
        order = list(range(self.n))
        random.Random(f"hir-stream-{self.seed}-{epoch}").shuffle(order)
        return order

    def next(self, size: int) -> list[int]:
        out = []
        while len(out) < size:
            if self.pos >= self.n:
                self.epoch, self.pos = self.epoch + 1, 0
                self._order = self._shuffle(self.epoch)
            out.append(self._order[self.pos])
            self.pos += 1
        return out


def encode_prompt(tokenizer, text: str, *, system: str | None = None,
                  max_tokens: int | None = None) -> list[int]:
    """Token ids of a prompt: the chat template when the tokenizer has one, else the plain text.

    Over-long prompts keep their last ``max_tokens`` tokens (the generation prompt must survive).
    """
    if getattr(tokenizer, "chat_template", None):
        messages = ([{"role": "system", "content": system}] if system else []) + \
                   [{"role": "user", "content": text}]
        rendered = tokenizer.apply_chat_template(messages, tokenize=False,
                                                 add_generation_prompt=True)
        ids = tokenizer(rendered, add_special_tokens=False)["input_ids"]
    else:
        ids = tokenizer(text, add_special_tokens=True)["input_ids"]
    if max_tokens is not None and len(ids) > max_tokens:
        ids = ids[-max_tokens:]
    return list(ids)
