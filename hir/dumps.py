"""Reading rollout dumps into groups: one prompt, its constraints, and the responses sampled for it.

Accepted JSONL rows (the form is detected per row; forms can be mixed in one file):

1. **Native group** (one group per line)::

       {"id": "g1", "instruction": {"task": ..., "constraints": [{"id", "kwargs", "text"?}, ...],
        "template": "inline"}, "responses": ["...", ...],
        "entropies": [...]?, "step": 3?, "prompt": "..."?}

2. **IFEval-style group**: ``prompt``, ``instruction_id_list``, ``kwargs`` (index-aligned; may be
   absent = no parameters) and a ``responses`` list; optional ``task`` (the prompt without its
   constraint sentences) and ``template``. IFEval prompts weave the constraints into the prose, so
   without ``task`` the whole prompt is used as the task and a hindsight prompt still mentions the
   dropped constraints (the summary counts such groups).

3. **One row per response**: ``response`` plus a group key (the first of ``group``, ``group_id``,
   ``uid``, ``prompt_id``, ``source_id``, ``id``, ``key`` present) and the instruction in native or
   IFEval form. Consecutive rows with the same key form one group; a key seen again later starts a
   new group. ``hir relabel``'s own output is in this form (key ``source_id``).

4. **verl rollout dumps** (``trainer.rollout_data_dir`` / ``validation_data_dir``: one row per
   response with ``input`` = the decoded prompt, ``output`` = the decoded response, ``score``,
   ``step``, ``gts`` in recent versions, plus the reward function's extra-info keys). verl writes
   the n samples of a prompt on consecutive rows, so consecutive rows with the same ``input`` (and
   ``step``) form a group unless a group key above is present. The constraint spec is taken from
   the first of ``instruction``, ``gts``, ``ground_truth``, ``reward_model.ground_truth`` present,
   and may be: a native instruction object; ``{"instruction_id_list", "kwargs", "task"?}``; a list
   of ``{"id", "kwargs"}``; or any of these as a JSON string (verl stores ground truths as strings).
   Without a ``task`` in the spec, the task is ``input`` (which includes the chat template).

Entropies (optional, for HiR's diversity term): on group rows, ``entropies`` (one entry per
response: a number, a list of per-token entropies, or null), or ``token_entropies`` or ``logprobs``
(one list per response); on per-response rows, ``entropy``, ``token_entropies`` or ``logprobs``.
Logprobs are turned into the mean surprisal (see ``hir.select.mean_entropy``). ``step`` (an integer
>= 0) sets lambda for the group; rows without one use the caller's default.

Every row is accounted for: a row that cannot be read becomes a ``Reject`` naming file, line and
field, and reading goes on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from pydantic import ValidationError

from .instructions import ConstraintSpec, Instruction
from .jsonl import Line, read_jsonl
from .relabel import Group, Origin, Reject  # noqa: F401  (Reject is part of this API)
from .select import mean_entropy

GROUP_KEYS = ("group", "group_id", "uid", "prompt_id", "source_id", "id", "key")
SPEC_FIELDS = ("instruction", "gts", "ground_truth", "reward_model.ground_truth")


class RowError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        self.message, self.field = message, field
        super().__init__(message)


# -- small validators --------------------------------------------------------------------------

def _get(row: Mapping[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _string(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if not isinstance(value, str):
        got = "missing" if name not in row else f"a {type(value).__name__}"
        raise RowError(f"must be a string, got {got}", name)
    return value


def _step(row: Mapping[str, Any]) -> int | None:
    step = row.get("step")
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, (int, float)) or step != int(step) or step < 0:
        raise RowError(f"must be an integer >= 0, got {step!r}", "step")
    return int(step)


def _numbers(value: Any, name: str) -> list[float]:
    if not isinstance(value, list) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        raise RowError("must be a list of numbers", name)
    if not all(math.isfinite(x) for x in value):
        raise RowError("must hold finite numbers", name)
    return [float(x) for x in value]


def _one_entropy(value: Any, name: str, *, logprobs: bool = False) -> float | None:
    """A per-response entropy from a number, a per-token list, or null."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise RowError("must be finite", name)
        return float(value)
    tokens = _numbers(value, name)
    return mean_entropy(logprobs=tokens) if logprobs else mean_entropy(token_entropies=tokens)


def _one_of(row: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    """The one field of ``names`` the row gives (None: none); two or more is an error."""
    present = [k for k in names if row.get(k) is not None]
    if len(present) > 1:
        raise RowError(f"give one of {', '.join(repr(k) for k in names)}, not "
                       f"{' and '.join(present)}", present[1])
    return present[0] if present else None


def _group_entropies(row: Mapping[str, Any], n: int) -> list[float | None] | None:
    name = _one_of(row, ("entropies", "token_entropies", "logprobs"))
    if name is None:
        return None
    values = row[name]
    if not isinstance(values, list) or len(values) != n:
        size = len(values) if isinstance(values, list) else type(values).__name__
        raise RowError(f"must be a list with one entry per response ({n}), got {size}", name)
    return [_one_entropy(v, f"{name}[{i}]", logprobs=name == "logprobs")
            for i, v in enumerate(values)]


def _row_entropy(row: Mapping[str, Any]) -> float | None:
    name = _one_of(row, ("entropy", "token_entropies", "logprobs"))
    if name is None:
        return None
    if name == "entropy" and isinstance(row[name], list):
        raise RowError("must be a number (use 'token_entropies' for a per-token list)", name)
    return _one_entropy(row[name], name, logprobs=name == "logprobs")


# -- instructions -------------------------------------------------------------------------------

def _native(value: Any, name: str) -> Instruction:
    if not isinstance(value, Mapping):
        raise RowError("must be an object with 'task' and 'constraints'", name)
    try:
        return Instruction.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RowError(first["msg"], f"{name}.{where}" if where else name) from None


def _ifeval(row: Mapping[str, Any], *, task: str | None, prefix: str = "",
            template: Any = None) -> Instruction:
    ids = row.get("instruction_id_list")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RowError("must be a list of constraint ids", f"{prefix}instruction_id_list")
    kwargs = row.get("kwargs")
    if kwargs is None:
        kwargs = [{}] * len(ids)
    if not isinstance(kwargs, list) or len(kwargs) != len(ids):
        raise RowError(f"must be a list with one object per instruction id ({len(ids)})",
                       f"{prefix}kwargs")
    specs = []
    for i, (cid, kw) in enumerate(zip(ids, kwargs)):
        if kw is not None and not isinstance(kw, Mapping):
            raise RowError("must be an object", f"{prefix}kwargs[{i}]")
        specs.append(ConstraintSpec(id=cid, kwargs=dict(kw or {})))
    if task is None:
        raise RowError("no task: give 'task' or 'prompt'", f"{prefix}prompt")
    try:
        return Instruction(task=task, constraints=specs,
                           **({"template": template} if template is not None else {}))
    except ValidationError as exc:
        raise RowError(exc.errors()[0]["msg"], f"{prefix}template") from None


def _spec(value: Any, name: str, *, task: str | None) -> Instruction:
    """An instruction from a verl-style spec field (see the module docstring)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RowError(f"is a string but not JSON: {exc.msg}", name) from None
    if isinstance(value, Mapping) and "task" in value and "constraints" in value:
        return _native(value, name)
    if isinstance(value, Mapping) and "instruction_id_list" in value:
        inner_task = value.get("task", value.get("prompt", task))
        if not isinstance(inner_task, str):
            raise RowError("must be a string", f"{name}.task")
        return _ifeval(value, task=inner_task, prefix=f"{name}.", template=value.get("template"))
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        if task is None:
            raise RowError("no task for the constraint list", name)
        try:
            return Instruction(task=task, constraints=[ConstraintSpec.model_validate(v)
                                                       for v in value])
        except ValidationError as exc:
            raise RowError(exc.errors()[0]["msg"], name) from None
    raise RowError("is not a constraint spec (an instruction object, "
                   "{instruction_id_list, kwargs}, or a list of {id, kwargs})", name)


def _instruction(row: Mapping[str, Any], task: str | None = None) -> tuple[Instruction, bool, str]:
    """The row's instruction, whether a real task was given, and the field it came from."""
    if "instruction_id_list" in row:
        given = row.get("task")
        if given is not None and not isinstance(given, str):
            raise RowError("must be a string", "task")
        prompt = row.get("prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise RowError("must be a string", "prompt")
        inst = _ifeval(row, task=given if given is not None else prompt,
                       template=row.get("template"))
        return inst, given is not None, ""
    for name in SPEC_FIELDS:
        value = _get(row, name)
        if value is None:
            continue
        if name == "instruction" and isinstance(value, Mapping) and "task" in value:
            return _native(value, name), True, name
        inst = _spec(value, name, task=task)
        has_task = isinstance(value, Mapping) and "task" in value or (
            isinstance(value, str) and '"task"' in value)
        return inst, has_task, name
    raise RowError("no constraints: give 'instruction' (hir form), 'instruction_id_list' "
                   "(IFEval form) or a spec in 'gts'/'ground_truth'", "instruction")


def _row_id(row: Mapping[str, Any]) -> str | None:
    for k in GROUP_KEYS:
        if row.get(k) is not None:
            return str(row[k])
    return None


# -- groups -------------------------------------------------------------------------------------

def _group_row(line: Line) -> Group:
    row = line.value or {}
    responses = row["responses"]
    if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
        raise RowError("must be a list of strings", "responses")
    if not responses:
        raise RowError("is empty", "responses")
    inst, has_task, spec_field = _instruction(row, task=row.get("prompt"))
    prompt = row.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise RowError("must be a string", "prompt")
    return Group(
        id=_row_id(row) or line.where(), instruction=inst, responses=list(responses),
        entropies=_group_entropies(row, len(responses)), step=_step(row), prompt=prompt,
        origin=Origin(line.source, (line.number,), spec_field=spec_field, has_task=has_task))


@dataclass
class _Pending:
    key: tuple
    group: Group
    lines: list[int] = field(default_factory=list)
    entropies: list[float | None] = field(default_factory=list)


def _response_row(line: Line) -> tuple[tuple, Group, float | None]:
    """A per-response row: its grouping key, a one-response group, and its entropy."""
    row = line.value or {}
    verl = "response" not in row and "output" in row
    response = _string(row, "output" if verl else "response")
    prompt = row.get("input") if verl and "prompt" not in row else row.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise RowError("must be a string", "input" if verl else "prompt")
    inst, has_task, spec_field = _instruction(row, task=prompt)
    step = _step(row)
    gid = _row_id(row)
    key = ("id", gid) if gid is not None else ("prompt", prompt, inst.model_dump_json())
    key = key + (step,)
    group = Group(id=gid or line.where(), instruction=inst, responses=[response], step=step,
                  prompt=prompt,
                  origin=Origin(line.source, (line.number,), spec_field=spec_field,
                                has_task=has_task))
    return key, group, _row_entropy(row)


def _finish(p: _Pending) -> Group:
    g = p.group
    ents = p.entropies if any(e is not None for e in p.entropies) else None
    return Group(id=g.id, instruction=g.instruction, responses=g.responses, entropies=ents,
                 step=g.step, prompt=g.prompt,
                 origin=Origin(g.origin.source, tuple(p.lines), spec_field=g.origin.spec_field,
                               has_task=g.origin.has_task))


def groups_from_lines(lines: Iterable[Line]) -> Iterator[Group | Reject]:
    """Groups and rejects, in input order (a per-response group is yielded when it ends)."""
    pending: _Pending | None = None
    for line in lines:
        if not line.ok:
            yield Reject(line.source, line.number, line.error or "unreadable", line.field)
            continue
        row = line.value or {}
        try:
            if "responses" in row:
                group = _group_row(line)
                if pending is not None:
                    yield _finish(pending)
                    pending = None
                yield group
                continue
            key, one, entropy = _response_row(line)
        except RowError as exc:
            yield Reject(line.source, line.number, exc.message, exc.field, _row_id(row))
            continue
        if pending is not None and pending.key == key:
            if one.instruction != pending.group.instruction:
                yield Reject(line.source, line.number, "differs from the instruction of the "
                             f"group's first row (line {pending.lines[0]})",
                             one.origin.spec_field or "instruction", one.id)
                continue
            pending.group.responses.append(one.responses[0])
            pending.lines.append(line.number)
            pending.entropies.append(entropy)
            continue
        if pending is not None:
            yield _finish(pending)
        pending = _Pending(key, one, [line.number], [entropy])
    if pending is not None:
        yield _finish(pending)


def read_groups(path: str | Path) -> Iterator[Group | Reject]:
    """Stream the groups of a dump file (``"-"`` is stdin); see the module docstring."""
    return groups_from_lines(read_jsonl(path))
