"""Training and held-out prompts: loading, splitting, a resumable prompt stream, tokenization.

Rows are parsed by ``hir.rows``, the same parser ``hir check`` and ``hir relabel`` use, into
``hir.rows.Row`` (its ``instruction``, the ``prompt`` the model is shown, ``replayable``):

* hir form (``{"instruction": {...}}``, or ``task`` + ``constraints`` at the top level): the prompt
  is rendered from its parts, so a hindsight rewrite renders as naturally as the original.
* IFEval form (``{"prompt", "instruction_id_list", "kwargs"}``): the constraint sentences are
  written inside the prompt and cannot be removed from it, so these rows are trained on as fresh
  rollouts only (never replayed) and are fine as held-out data. With a ``task`` (the prompt
  without its constraint sentences) such a row is replayable: its replays are rendered from the
  task and the kept constraints' sentences (``describe()``).

A row that cannot be used (bad JSON, missing field, unknown constraint id, invalid parameters) is a
``hir.rows.Reject`` naming file, line and field, and the other rows are kept.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from constraints import Semantics
from hir.instructions import Instruction
from hir.jsonl import SURROGATE
from hir.rows import Reject, Row, RowError, load as load_rows, typed_fields


def load(path: str | Path, semantics: Semantics = "corrected") -> tuple[list[Row], list[Reject]]:
    """The usable prompts of a JSONL file and the rejects; every checker is built once here, so
    unknown ids and bad parameters are found now, not mid-run. A row without ``key`` is named
    ``file:line``."""
    rows, rejects = load_rows(path, need="prompt")
    usable = []
    for row in rows:
        try:
            row.checkers(semantics)
            _encodable(row)
        except RowError as exc:
            rejects += row.rejects(exc)
            continue
        usable.append(replace(row, key=row.where if row.key is None else str(row.key)))
    rejects.sort(key=lambda r: r.line)
    return usable, rejects


def _encodable(row: Row) -> None:
    """A prompt with a lone surrogate (JSON can carry ``"\\ud800"``) is no text a tokenizer can
    encode: reject the row now, naming the field, rather than crash mid-run."""
    if row.prompt.isascii() or not SURROGATE.search(row.prompt):
        return
    inst, spec = row.instruction, row.names.spec
    prefix = f"{spec}." if spec else ""
    typed = typed_fields(row.raw) if row.raw is not None else None
    if typed is not None:  # a HIR-16K or verl row: its task and sentences have their own fields
        fields = [("prompt", row.given_prompt), (typed.question, inst.task)]
        fields += [(f"{typed.criteria}[{i}]", c.text) for i, c in enumerate(inst.constraints)]
    elif spec == "constraints":  # a MulDimIF item: everything is in its prompt
        fields = [("prompt", row.given_prompt)]
    else:
        fields = [("prompt", row.given_prompt), (f"{prefix}task", inst.task),
                  (f"{prefix}context", inst.context)]
        fields += [(f"{prefix}constraints[{i}].text", c.text)
                   for i, c in enumerate(inst.constraints)]
    field = next((name for name, text in fields if text and SURROGATE.search(text)), None)
    raise RowError("holds a lone surrogate, which is not text a tokenizer can encode", field)


def from_instructions(instructions: Sequence[Instruction], prefix: str) -> list[Row]:
    return [Row.of(inst, key=f"{prefix}{i}") for i, inst in enumerate(instructions)]


def split(items: list[Row], fraction: float, seed: int) -> tuple[list[Row], list[Row]]:
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
