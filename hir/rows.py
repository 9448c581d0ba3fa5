"""Input rows: every form ``hir check``, ``hir relabel`` and ``hir train`` read, parsed in one place.

A row becomes a ``Row``: one ``Instruction`` (task + constraints + template), the prompt text the
row carries, and the responses to judge (none for training prompts). A row that cannot be used
becomes a ``Reject`` naming file, line and the field at fault *as the row spells it*
(``instruction.constraints[0].kwargs.num_words`` in a hir-form row, ``kwargs[0].num_words`` in an
IFEval row, ``reward_model.ground_truth.kwargs[0].num_words`` inside a verl ground truth); the
three commands write the same ``Reject`` records.

Row forms (detected per row; a file may mix them):

1. **IFEval form**: ``instruction_id_list``, ``kwargs`` (index-aligned; absent = no parameters),
   ``prompt``, and optionally ``task`` (the prompt without its constraint sentences) and
   ``template``. IFEval prompts weave the constraints into the prose: without ``task`` the whole
   prompt stands in for the task, and such a row is not replayable (``Row.replayable``).
2. **hir form**: ``instruction`` = ``{"task", "constraints": [{"id", "kwargs", "text"}],
   "template", "context"}`` (``hir.instructions.Instruction``), or ``task`` and ``constraints``
   at the top level (training files). Optional ``prompt``: the prompt the responses were generated
   from, when it is not the rendered instruction.
3. **verl rows**: the constraints in ``gts``, ``ground_truth`` or ``reward_model.ground_truth``, as
   a hir instruction object, ``{"instruction_id_list", "kwargs", "task"?}`` or a list of
   ``{"id", "kwargs"}``, or any of these as a JSON string (verl stores ground truths as strings);
   rollout dumps give the decoded prompt as ``input`` and the response as ``output``.
4. **MulDimIF items**: ``constraints`` as ``[type, subtype, sentence]`` triples (each becomes
   ``muldimif:<checker>`` via ``constraints.muldimif.spec``), the prompt as ``prompt`` or the first
   user turn of ``conversations``, the answer as ``response`` or a final assistant turn;
   ``constraint_pattern`` and ``difficulty`` are kept for MulDimIF's metrics. A Listing prompt whose
   rules align with the constraints is replayable (the rules keep their wording).
5. **HIR-16K rows** (``source`` ``type1``..``type3``, ``question``, ``criteria``, ``q_type``,
   ``ground_truth``) and the **verl rows of the HiR authors' trainer** (``data_source``,
   ``prompt`` chat turns, ``reward_model.ground_truth``, ``extra_info.question`` / ``criteria`` /
   ``q_type``): the task, the constraint sentences (index-aligned with the ground truth, whose
   ``instruction_id_list`` holds ids or MulDimIF triples) and the template (``Q_TYPES``) kept apart.

``type4`` rows (VerIF-style: Python checker functions or ``[llm]`` judge constraints in the data)
are rejected naming the field; nothing from data is ever executed. A ``prompt`` may be text or
chat turns (its last user turn is the prompt).

Responses: ``response`` (one), ``responses`` (a list: one group of samples) or verl's ``output``.
Entropies for HiR's selection score: ``entropies`` / ``token_entropies`` / ``logprobs`` (one entry
per response) on a ``responses`` row, ``entropy`` / ``token_entropies`` / ``logprobs`` on a
one-response row; ``step`` (an integer >= 0) sets lambda.

Rollout dumps (``read_groups``) also accept one row per response: consecutive rows with the same
group key (the first of ``GROUP_KEYS`` present) or, without one, the same prompt and instruction
(verl writes a prompt's n samples on consecutive rows) form one group.

The two-file form of the IFEval reference (prompt rows, and ``{"prompt", "response"}`` rows joined
on the prompt text) is ``load_responses`` + ``attach_responses``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from pydantic import ValidationError

from constraints import Checker, ConstraintError, Semantics, build_all

from .instructions import TEMPLATES, ConstraintSpec, Instruction, from_muldimif
from .jsonl import Line
from .select import mean_entropy
from .tables import read_rows

GROUP_KEYS = ("group", "group_id", "uid", "prompt_id", "source_id", "id", "key")
SPEC_FIELDS = ("instruction", "gts", "ground_truth", "reward_model.ground_truth")


# ----------------------------------------------------------------------------------------------
# Errors and rejects


class RowError(ValueError):
    """A row that cannot be used; ``field`` is the path at fault as the row spells it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.message, self.field = message, field
        super().__init__(message)


@dataclass(frozen=True)
class Reject:
    """An input row that was not used, and why: the one reject record of every command."""

    source: str
    line: int
    error: str
    field: str | None = None
    key: Any = None

    def message(self) -> str:
        """``file:line: [key K: ][field 'F': ]error``, the line printed on stderr."""
        key = f"key {self.key!r}: " if self.key is not None else ""
        at = f"field '{self.field}': " if self.field else ""
        return f"{self.source}:{self.line}: {key}{at}{self.error}"

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "key": self.key, "field": self.field,
                "error": self.error}


def reject_of(line: Line, exc: RowError | None = None) -> Reject:
    """The reject of an unreadable line (``exc`` None) or of a row that raised ``exc``."""
    key = row_key(line.value) if line.value is not None else None
    if exc is None:
        return Reject(line.source, line.number, line.error or "unreadable", line.field, key)
    return Reject(line.source, line.number, exc.message, exc.field, key)


# ----------------------------------------------------------------------------------------------
# The parsed row


# Where each parameter of a MulDimIF checker comes from in a ``[type, subtype, sentence]`` triple.
TRIPLE_POSITION = {"type": 0, "subtype": 1, "constraint": 2}


@dataclass(frozen=True)
class FieldNames:
    """How a row spells its constraints, to name a constraint's field in an error."""

    id: str      # format string with {i}: "instruction_id_list[{i}]", "instruction.constraints[{i}].id"
    param: str   # format string with {i} and {name}
    spec: str    # the field holding the constraints ("" for IFEval rows: several top-level fields)
    triples: frozenset[int] = frozenset()  # constraints given as MulDimIF triples at ``id``

    def of(self, exc: ConstraintError) -> str | None:
        if exc.index is None:
            return exc.field if exc.field else (self.spec or None)
        if exc.index in self.triples:  # a triple's sentence is ``[2]``, not a named parameter
            at = self.id.format(i=exc.index)
            position = TRIPLE_POSITION.get(exc.field or "")
            return at if position is None else f"{at}[{position}]"
        if exc.field is None:
            return self.id.format(i=exc.index)
        return self.param.format(i=exc.index, name=exc.field)


def _ifeval_names(prefix: str = "") -> FieldNames:
    return FieldNames(prefix + "instruction_id_list[{i}]", prefix + "kwargs[{i}].{name}",
                      prefix.rstrip("."))


def _hir_names(path: str) -> FieldNames:
    return FieldNames(path + "[{i}].id", path + "[{i}].kwargs.{name}",
                      path.rsplit(".", 1)[0] if path.endswith(".constraints") else path)


HIR_NAMES = _hir_names("instruction.constraints")


@dataclass(frozen=True)
class Row:
    """One parsed row (or the consecutive per-response rows of one group).

    ``instruction`` is the row's ``Instruction``: given as parsed (hir form, ``Row.of``), or built
    on first use from ``ids``/``kwargs``/``task``/``template`` (IFEval form), since ``hir check``
    only needs the ids and parameters of the rows it scores.
    """

    ids: tuple[str, ...]
    kwargs: tuple[dict[str, Any], ...]
    task: str = ""
    template: str = "inline"
    parsed: Instruction | None = None
    responses: tuple[str, ...] = ()
    given_prompt: str | None = None   # the prompt text the row carries; None = the rendered one
    has_task: bool = True             # False: the task is a whole prompt with constraints woven in
    key: Any = None                   # the row's name in ``hir check`` output
    group: str | None = None          # the group key (``GROUP_KEYS``), for rollout dumps
    multi: bool = False               # the row gave a ``responses`` list
    entropies: tuple[float | None, ...] | None = None
    step: int | None = None
    names: FieldNames = HIR_NAMES
    source: str = "<rows>"
    lines: tuple[int, ...] = ()
    pattern: str | None = None        # MulDimIF's ``constraint_pattern`` (for its metrics)
    difficulty: str | None = None     # MulDimIF's ``difficulty``
    # the input row of a HIR-16K or verl row: its other columns are written back with its replays
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, instruction: Instruction, **fields: Any) -> "Row":
        """A row holding ``instruction`` (a training prompt, a test's group)."""
        return cls(ids=tuple(instruction.ids), kwargs=tuple(instruction.kwargs),
                   task=instruction.task, template=instruction.template, parsed=instruction,
                   **fields)

    @cached_property
    def instruction(self) -> Instruction:
        if self.parsed is not None:
            return self.parsed
        specs = [ConstraintSpec.model_construct(id=cid, kwargs=kw, text=None)
                 for cid, kw in zip(self.ids, self.kwargs)]
        return Instruction.model_construct(task=self.task, constraints=specs,
                                           template=self.template, context=None)

    @cached_property
    def prompt(self) -> str | None:
        """The prompt the model sees: the row's own, else the rendered instruction (None for an
        IFEval row with neither prompt nor task)."""
        if self.given_prompt is not None:
            return self.given_prompt
        return self.instruction.render() if self.has_task else None

    @property
    def replayable(self) -> bool:
        """Whether a hindsight rewrite can drop constraints from the prompt (a real task)."""
        return self.has_task

    @property
    def where(self) -> str:
        return f"{self.source}:{self.lines[0]}" if self.lines else self.source

    def error(self, exc: ConstraintError) -> RowError:
        """A checker-building error as a ``RowError`` naming the row's own field."""
        message = exc.message if exc.index is not None else str(exc)
        if exc.index is not None and exc.field is not None and exc.constraint_id:
            message = f"{exc.constraint_id!r}: {message}"  # which checker the parameter is of
        return RowError(message, self.names.of(exc))

    def rejects(self, exc: RowError) -> list[Reject]:
        """The row rejected for ``exc``: one record per input line it came from."""
        return [Reject(self.source, n, exc.message, exc.field, self.key)
                for n in (self.lines or (0,))]

    def checkers(self, semantics: Semantics = "reference") -> list[Checker]:
        """The row's checkers, index-aligned; prompt-reading ones see ``prompt``.

        ``RowError`` names the row's own field for an unknown id or invalid parameters, and the
        ``prompt`` field when a checker reads the prompt and the row has none to give.
        """
        try:
            if self.parsed is not None:
                return self.parsed.checkers(semantics, prompt=self.given_prompt)
            built = build_all(self.ids, self.kwargs, prompt=self.given_prompt,
                              semantics=semantics)
            readers = [i for i, c in enumerate(built) if c.uses_prompt]
            if not readers or self.given_prompt is not None:
                return built
            if self.has_task:
                return self.instruction.checkers(semantics)
        except ConstraintError as exc:
            raise self.error(exc) from None
        raise RowError(f"constraint {readers[0]} {self.ids[readers[0]]!r} needs the prompt, and "
                       "the row has no 'prompt'", "prompt")

    def unavailable(self, index: int, explanation: str) -> RowError:
        """A constraint whose checker could not run: the row is rejected, never judged."""
        return RowError(f"constraint {index} {self.ids[index]!r} could "
                        f"not be checked: {explanation}", self.names.id.format(i=index))

    def to_json(self) -> dict[str, Any]:
        """The row as ``parse`` reads it back (what ``hir train`` keeps in its run directory):
        IFEval form when the prompt is the task, hir form otherwise."""
        if not self.has_task:
            return {"key": self.key, "prompt": self.given_prompt,
                    "instruction_id_list": list(self.ids), "kwargs": list(self.kwargs)}
        out: dict[str, Any] = {"key": self.key, "instruction": self.instruction.model_dump()}
        if self.given_prompt is not None:
            out["prompt"] = self.given_prompt
        return out


# ----------------------------------------------------------------------------------------------
# Small validators


def _get(row: Mapping[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _string(row: Mapping[str, Any], name: str, *, optional: bool = False) -> str | None:
    if name not in row or (optional and row[name] is None):
        if optional:
            return None
        raise RowError("missing", name)
    value = row[name]
    if not isinstance(value, str):
        raise RowError(f"must be a string, got {_type_name(value)}", name)
    return value


def _step(row: Mapping[str, Any]) -> int | None:
    step = row.get("step")
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not (
            isinstance(step, int) or (math.isfinite(step) and step == int(step))) or step < 0:
        raise RowError(f"must be an integer >= 0, got {step!r}", "step")
    return int(step)


def _numbers(value: Any, name: str) -> list[float]:
    if not isinstance(value, list) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        raise RowError("must be a list of numbers", name)
    numbers = [_finite(x, name) for x in value]
    return numbers


def _finite(x: int | float, name: str) -> float:
    try:
        value = float(x)  # an integer of 400 digits does not fit
    except OverflowError:
        raise RowError("holds a number too large for a float", name) from None
    if not math.isfinite(value):
        raise RowError("must hold finite numbers", name)
    return value


def _one_entropy(value: Any, name: str, *, logprobs: bool = False) -> float | None:
    """A per-response entropy from a number, a per-token list, or null."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(value, name)
    tokens = _numbers(value, name)
    try:
        return mean_entropy(logprobs=tokens) if logprobs else mean_entropy(token_entropies=tokens)
    except ValueError as exc:  # a mean too large for a float
        raise RowError(str(exc), name) from None


def _one_of(row: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    """The one field of ``names`` the row gives (None: none); two or more is an error."""
    present = [k for k in names if row.get(k) is not None]
    if len(present) > 1:
        raise RowError(f"give one of {', '.join(repr(k) for k in names)}, not "
                       f"{' and '.join(present)}", present[1])
    return present[0] if present else None


def _entropies(row: Mapping[str, Any], n: int, multi: bool) -> tuple[float | None, ...] | None:
    if not multi:
        name = _one_of(row, ("entropy", "token_entropies", "logprobs"))
        if name is None:
            return None
        if name == "entropy" and isinstance(row[name], list):
            raise RowError("must be a number (use 'token_entropies' for a per-token list)", name)
        return (_one_entropy(row[name], name, logprobs=name == "logprobs"),)
    name = _one_of(row, ("entropies", "token_entropies", "logprobs"))
    if name is None:
        return None
    values = row[name]
    if not isinstance(values, list) or len(values) != n:
        size = len(values) if isinstance(values, list) else _type_name(values)
        raise RowError(f"must be a list with one entry per response ({n}), got {size}", name)
    return tuple(_one_entropy(v, f"{name}[{i}]", logprobs=name == "logprobs")
                 for i, v in enumerate(values))


# ----------------------------------------------------------------------------------------------
# Instructions, from each form


def _pydantic_error(exc: ValidationError, path: str) -> RowError:
    first = exc.errors()[0]
    where = path
    for part in first["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return RowError(first["msg"], where or None)


def _hir(value: Any, path: str) -> Instruction:
    """A hir-form instruction object at ``path`` ("" = the row's top level)."""
    if not isinstance(value, Mapping):
        raise RowError("must be an object with 'task' and 'constraints'", path or None)
    try:
        return Instruction.model_validate(value)
    except ValidationError as exc:
        raise _pydantic_error(exc, path) from None


def _constraints_of(value: Mapping[str, Any], prefix: str = ""
                    ) -> tuple[list[str], list[dict[str, Any]], frozenset[int]]:
    """The ids, kwargs and MulDimIF-triple indices of ``instruction_id_list`` + ``kwargs``.

    ``instruction_id_list`` holds constraint ids or MulDimIF ``[type, subtype, sentence]``
    triples (the authors' ``type3`` ground truths); ``kwargs`` is index-aligned (absent or null:
    no parameters; a triple's entry is not read).
    """
    items = value.get("instruction_id_list")
    if not isinstance(items, list):
        raise RowError("must be a list of constraint id strings", f"{prefix}instruction_id_list")
    kwargs = value.get("kwargs")
    if kwargs is None:
        kwargs = [None] * len(items)
    elif not isinstance(kwargs, list):
        raise RowError("must be a list of objects, index-aligned with 'instruction_id_list'",
                       f"{prefix}kwargs")
    elif len(kwargs) != len(items):
        raise RowError(f"has {len(kwargs)} entries for {len(items)} instruction ids (they must be "
                       "index-aligned)", f"{prefix}kwargs")
    ids, params, triples = [], [], set()
    for i, (item, kw) in enumerate(zip(items, kwargs)):
        if isinstance(item, list):
            cid, kw = _triple(item, f"{prefix}instruction_id_list[{i}]")
            triples.add(i)
        elif isinstance(item, str):
            if kw is not None and not isinstance(kw, dict):
                raise RowError(f"must be an object, got {_type_name(kw)}", f"{prefix}kwargs[{i}]")
            cid, kw = item, dict(kw or {})
        else:
            raise RowError("must be a list of constraint id strings (or MulDimIF [type, "
                           f"subtype, sentence] triples), item {i} is {_type_name(item)}",
                           f"{prefix}instruction_id_list")
        ids.append(cid)
        params.append(kw)
    return ids, params, frozenset(triples)


def _ifeval(row: Mapping[str, Any], *, task: str | None, prefix: str = ""
            ) -> tuple[dict[str, Any], FieldNames]:
    """``Row`` fields from ``instruction_id_list`` + ``kwargs`` (+ ``template``) of ``row``, and
    how its fields are named."""
    ids, kwargs, triples = _constraints_of(row, prefix)
    template = row.get("template")
    if template is None:
        template = "inline"
    elif template not in TEMPLATES:
        raise RowError(f"must be one of {', '.join(TEMPLATES)}, got {template!r}",
                       f"{prefix}template")
    names = replace(_ifeval_names(prefix), triples=triples) if triples else _ifeval_names(prefix)
    return ({"ids": tuple(ids), "kwargs": tuple(kwargs),
             "task": task if task is not None else "", "template": template}, names)


def _of(instruction: Instruction) -> dict[str, Any]:
    return {"ids": tuple(instruction.ids), "kwargs": tuple(instruction.kwargs),
            "task": instruction.task, "template": instruction.template, "parsed": instruction}


def _spec(value: Any, name: str, *, prompt: str | None) -> tuple[dict[str, Any], bool, FieldNames]:
    """An instruction from a verl-style spec field (see the module docstring)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
            raise RowError(f"is a string but not JSON: {msg}", name) from None
    if isinstance(value, Mapping) and "instruction_id_list" in value:
        for field_name in ("task", "prompt"):
            given = value.get(field_name)
            if given is not None and not isinstance(given, str):
                raise RowError(f"must be a string, got {_type_name(given)}",
                               f"{name}.{field_name}")
        # only a ``task`` is a task: a prompt still holds the constraint sentences
        task = value.get("task")
        stand_in = value.get("prompt") if value.get("prompt") is not None else prompt
        fields, names = _ifeval(value, task=task if task is not None else stand_in,
                                prefix=f"{name}.")
        return fields, task is not None, names
    if isinstance(value, Mapping):
        return _of(_hir(value, name)), True, _hir_names(f"{name}.constraints")
    if isinstance(value, list):
        if prompt is None:
            raise RowError("a constraint list needs the row's prompt as its task", name)
        try:
            specs = [ConstraintSpec.model_validate(v) for v in value]
        except ValidationError as exc:
            index = next(i for i, v in enumerate(value)
                         if not _valid(ConstraintSpec, v))
            raise _pydantic_error(exc, f"{name}[{index}]") from None
        return _of(Instruction(task=prompt, constraints=specs)), False, _hir_names(name)
    raise RowError("is not a constraint spec (an instruction object, "
                   "{instruction_id_list, kwargs}, or a list of {id, kwargs})", name)


# -- chat messages, MulDimIF items, HIR-16K and verl rows ------------------------------------------

# HIR-16K's ``q_type`` (the authors' prompt layouts) -> our template of the same layout.
Q_TYPES = {"type1": "inline", "type2": "newline", "type3": "rules", "type4": "bullets",
           "type5": "prefix", "type6": "lines"}
TEMPLATE_Q_TYPES = {template: q for q, template in Q_TYPES.items()}
# HIR-16K's ``source`` / verl's ``data_source``: IFEval, IFBench, MulDimIF, VerIF-style constraints.
SOURCES = ("type1", "type2", "type3", "type4")
# Fields that carry code (VerIF's checker functions) or LLM-judge constraints: never executed.
CODE_FIELDS = ("checker", "checkers", "functions")


def _messages(value: Any, name: str) -> list[Mapping[str, Any]]:
    """Chat turns ``[{"role", "content"}, ...]`` (verl prompts, MulDimIF conversations)."""
    if not isinstance(value, list) or not value:
        raise RowError("must be a non-empty list of chat turns {role, content}", name)
    for i, turn in enumerate(value):
        if not isinstance(turn, Mapping):
            raise RowError(f"must be an object {{role, content}}, got {_type_name(turn)}",
                           f"{name}[{i}]")
        for key in ("role", "content"):
            if not isinstance(turn.get(key), str):
                raise RowError(f"must be a string, got {_type_name(turn.get(key))}",
                               f"{name}[{i}].{key}")
    return value


def _prompt(row: Mapping[str, Any], name: str) -> str | None:
    """The row's prompt text: a string, or the last user turn of a list of chat turns."""
    value = row.get(name)
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise RowError(f"must be a string, got {_type_name(value)} (a list of chat turns "
                       "{role, content} is also accepted)", name)
    turns = _messages(value, name)
    users = [t["content"] for t in turns if t["role"] == "user"]
    if not users:
        raise RowError("has no user turn", name)
    return users[-1]


def _json_value(value: Any, name: str) -> Any:
    """A field that verl may store as JSON text, decoded."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise RowError(f"is a string but not JSON: {msg}", name) from None


def _refuse_code(row: Mapping[str, Any]) -> None:
    """Reject VerIF-style rows before anything else is read: code from data is never run."""
    why = ("holds VerIF-style constraints (Python checker functions or [llm] judge constraints); "
           "hir never executes code that comes from data, and judges only registered checkers")
    for name in ("source", "data_source"):
        if row.get(name) == "type4":
            raise RowError(f"is 'type4': the row {why}", name)
    containers = [("", row)]
    for name in ("ground_truth", "gts", "reward_model", "extra_info"):
        value = row.get(name)
        if name == "reward_model":
            if not isinstance(value, dict):
                continue
            name, value = "reward_model.ground_truth", value.get("ground_truth")
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                continue  # reported as not JSON where the field is read
        if isinstance(value, dict):
            containers.append((name + ".", value))
    for prefix, value in containers:
        for name in CODE_FIELDS:
            if value.get(name) is not None:
                raise RowError(f"is present: the row {why}", prefix + name)


def _triple(value: Any, name: str) -> tuple[str, dict[str, Any]]:
    """The (id, kwargs) of a MulDimIF ``[type, subtype, sentence]`` triple at ``name``."""
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise RowError("must be a MulDimIF constraint [type, subtype, sentence] of three strings",
                       name)
    from constraints.muldimif import spec

    try:
        return spec(*value)
    except ConstraintError as exc:
        raise RowError(exc.message, name) from None


def _is_muldimif(row: Mapping[str, Any]) -> bool:
    constraints = row.get("constraints")
    return "conversations" in row or (
        "task" not in row and isinstance(constraints, list) and bool(constraints)
        and all(isinstance(c, list) for c in constraints))


def _muldimif(row: Mapping[str, Any], prompt: str | None) -> tuple[dict[str, Any], bool,
                                                                      FieldNames]:
    """A MulDimIF item: ``constraints`` as ``[type, subtype, sentence]`` triples; ``prompt`` is
    the row's ``prompt`` or the first user turn of its ``conversations``.

    A Listing prompt (a task, "The output must follow the following rules:", one numbered rule
    per constraint) or a prompt ending with a ``【Constraint List】`` has a task and is replayable;
    its rules keep their wording as written in the prompt. Other prompts (the Incorporation
    pattern weaves the constraints into the prose) stand in for the task.
    """
    triples = row.get("constraints")
    if not isinstance(triples, list):
        raise RowError("must be a list of [type, subtype, sentence] triples", "constraints")
    built = [_triple(t, f"constraints[{i}]") for i, t in enumerate(triples)]
    if prompt is None:
        raise RowError("missing: give 'prompt' or 'conversations'", "prompt")
    names = FieldNames("constraints[{i}]", "constraints[{i}]", "constraints",
                       frozenset(range(len(built))))
    specs = [ConstraintSpec(id=cid, kwargs=kw) for cid, kw in built]
    try:
        inst = from_muldimif({"conversations": [{"role": "user", "content": prompt}],
                              "constraints": triples}, ids=specs)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        # not a Listing prompt whose rules align with the constraints: the prompt is the task
        return ({"ids": tuple(c for c, _ in built), "kwargs": tuple(kw for _, kw in built),
                 "task": prompt, "template": "rules"}, False, names)
    return _of(inst), True, names


def _final_answer(row: Mapping[str, Any]) -> str | None:
    """MulDimIF's answer: the content of a final assistant turn of ``conversations``."""
    if row.get("conversations") is None:
        return None
    turns = _messages(row["conversations"], "conversations")
    return turns[-1]["content"] if len(turns) > 1 and turns[-1]["role"] == "assistant" else None


def _label(row: Mapping[str, Any], name: str) -> str | None:
    """A grouping label for MulDimIF's metrics (``constraint_pattern``, ``difficulty``)."""
    value = row.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise RowError(f"must be a string, got {_type_name(value)}", name)


@dataclass(frozen=True)
class TypedFields:
    """Where a HIR-16K-style row keeps each part: JSONL rows at the top level, verl rows in
    ``reward_model`` and ``extra_info``."""

    source: str
    ground_truth: str
    question: str
    criteria: str
    q_type: str


HIR16K_FIELDS = TypedFields("source", "ground_truth", "question", "criteria", "q_type")
VERL_FIELDS = TypedFields("data_source", "reward_model.ground_truth", "extra_info.question",
                          "extra_info.criteria", "extra_info.q_type")


def typed_fields(row: Mapping[str, Any]) -> TypedFields | None:
    """Where a HIR-16K or verl row keeps its parts; None for rows of other forms."""
    if row.get("source") in SOURCES and "ground_truth" in row:
        return HIR16K_FIELDS
    if row.get("data_source") in SOURCES and _get(row, "reward_model.ground_truth") is not None:
        return VERL_FIELDS
    return None


def _typed(row: Mapping[str, Any], at: TypedFields, prompt: str | None
           ) -> tuple[dict[str, Any], bool, FieldNames]:
    """A HIR-16K row (or a verl row of the authors' trainer): the ground truth holds
    ``instruction_id_list`` (ids, or MulDimIF triples for ``type3``) and ``kwargs``; ``criteria``
    are the constraint sentences, index-aligned; ``question`` the task; ``q_type`` the template.
    """
    gt_name = at.ground_truth
    truth = _json_value(_get(row, gt_name), gt_name)
    if isinstance(truth, list):  # a bare list of constraints
        truth = {"instruction_id_list": truth}
    if not isinstance(truth, Mapping) or "instruction_id_list" not in truth:
        raise RowError("must be an object with 'instruction_id_list' (and 'kwargs')", gt_name)
    ids, params, triples = _constraints_of(truth, f"{gt_name}.")
    criteria = _get(row, at.criteria)
    if criteria is not None:
        if not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria):
            raise RowError("must be a list of constraint sentences", at.criteria)
        if len(criteria) != len(ids):
            raise RowError(f"has {len(criteria)} sentences for {len(ids)} constraints in "
                           f"'{gt_name}' (they must be index-aligned)", at.criteria)
    q_type = _get(row, at.q_type)
    if q_type is not None and q_type not in Q_TYPES:
        raise RowError(f"must be one of {', '.join(Q_TYPES)}, got {q_type!r}", at.q_type)
    question = _get(row, at.question)
    if question is not None and not isinstance(question, str):
        raise RowError(f"must be a string, got {_type_name(question)}", at.question)
    names = FieldNames(f"{gt_name}.instruction_id_list[{{i}}]", f"{gt_name}.kwargs[{{i}}].{{name}}",
                       gt_name, triples)
    if question is None:  # no separate task: the prompt stands in for it
        if prompt is None:
            raise RowError("missing: the row has neither a task nor a prompt", at.question)
        return ({"ids": tuple(ids), "kwargs": tuple(params), "task": prompt,
                 "template": Q_TYPES.get(q_type or "type1", "inline")}, False, names)
    specs = [ConstraintSpec(id=cid, kwargs=kw, text=criteria[i] if criteria is not None else None)
             for i, (cid, kw) in enumerate(zip(ids, params))]
    inst = Instruction(task=question, constraints=specs, template=Q_TYPES[q_type or "type1"])
    return _of(inst), True, names


def _valid(model, value: Any) -> bool:
    try:
        model.model_validate(value)
        return True
    except ValidationError:
        return False


def _instruction(row: Mapping[str, Any], prompt: str | None
                 ) -> tuple[dict[str, Any], bool, FieldNames]:
    """The ``Row`` fields of the row's instruction, whether it has a real task, and how its
    fields are named."""
    _refuse_code(row)
    typed = typed_fields(row)
    if typed is not None:
        return _typed(row, typed, prompt)
    if _is_muldimif(row):
        return _muldimif(row, prompt)
    if "instruction_id_list" in row:
        task = _string(row, "task", optional=True)
        fields, names = _ifeval(row, task=task if task is not None else prompt)
        return fields, task is not None, names
    for name in SPEC_FIELDS:
        value = _get(row, name)
        if value is not None:
            return _spec(value, name, prompt=prompt)
    if "task" in row and "constraints" in row:  # a hir instruction spread over the row itself
        fields = {k: row[k] for k in ("task", "constraints", "template", "context") if k in row}
        return _of(_hir(fields, "")), True, _hir_names("constraints")
    raise RowError("the row has neither 'instruction_id_list' (IFEval form) nor 'instruction' "
                   "(hir form)", "instruction_id_list")


def row_key(row: Mapping[str, Any]) -> Any:
    """The row's name in ``hir check`` output: ``key`` (IFEval), else ``id``, else the
    ``source_id`` and ``response_index`` of a ``hir relabel`` output row."""
    if not isinstance(row, Mapping):
        return None
    if "key" in row:
        key = row["key"]
    elif "id" in row:
        key = row["id"]
        index = row.get("response_index")  # several responses to one item, one row each
        if index is not None and not isinstance(key, (dict, list)):
            key = f"{key}#{index}"
    elif "source_id" in row:
        index = row.get("response_index")
        key = row["source_id"] if index is None else f"{row['source_id']}#{index}"
    else:
        return None
    return None if isinstance(key, (dict, list)) else key


def _group_key(row: Mapping[str, Any]) -> str | None:
    for k in GROUP_KEYS:
        if row.get(k) is not None:
            return str(row[k])
    return None


# ----------------------------------------------------------------------------------------------
# Parsing one row


def parse(value: Mapping[str, Any], *, source: str = "<rows>", line: int = 0,
          dump: bool = False) -> Row:
    """Parse one JSON object in any form; ``RowError`` names the field at fault.

    ``dump``: also read what only a rollout dump uses (entropies, ``step``, the group key);
    ``hir check`` and ``hir train`` neither read nor reject a row over them.
    """
    verl = "output" in value and "response" not in value and "responses" not in value
    prompt_field = "input" if verl and "prompt" not in value else "prompt"
    prompt = _prompt(value, prompt_field)
    if prompt is None and value.get("conversations") is not None:  # MulDimIF: the first user turn
        turns = _messages(value["conversations"], "conversations")
        prompt = next((t["content"] for t in turns if t["role"] == "user"), None)
        if prompt is None:
            raise RowError("has no user turn", "conversations")
    spec, has_task, names = _instruction(value, prompt)
    answer = _final_answer(value) if "response" not in value else None
    multi = value.get("responses") is not None
    if multi:
        responses = value["responses"]
        if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
            raise RowError("must be a list of strings", "responses")
        if not responses:
            raise RowError("is empty", "responses")
        responses = tuple(responses)
    elif "response" in value or verl:
        responses = (_string(value, "output" if verl else "response"),)
    elif answer is not None:
        responses = (answer,)
    else:
        responses = ()
    return Row(**spec, responses=responses, given_prompt=prompt,
               has_task=has_task, key=row_key(value), multi=multi, names=names, source=source,
               lines=(line,) if line else (),
               pattern=_label(value, "constraint_pattern"), difficulty=_label(value, "difficulty"),
               raw=value if typed_fields(value) is not None else None,
               **({"group": _group_key(value), "step": _step(value),
                   "entropies": _entropies(value, len(responses), multi) if responses else None}
                  if dump else {}))


def parse_line(line: Line, *, need: str | None = None, dump: bool = False) -> Row | Reject:
    """A decoded line as a ``Row``, or its ``Reject``.

    ``need``: ``"responses"`` (``hir check``, ``hir relabel``: at least one response),
    ``"prompt"`` (``hir train``: something to show the model), or None. ``dump``: see ``parse``.
    """
    if not line.ok:
        return reject_of(line)
    try:
        row = parse(line.value or {}, source=line.source, line=line.number, dump=dump)
        if need == "responses" and not row.responses:
            if _is_muldimif(line.value or {}):
                raise RowError("missing: give 'response', 'responses' or a final assistant turn "
                               "in 'conversations'", "response")
            raise RowError("missing: give 'response' or 'responses'", "response")
        if need == "prompt" and not row.has_task and not (row.given_prompt or "").strip():
            raise RowError("missing or empty: an IFEval row needs its prompt", "prompt")
    except RowError as exc:
        return reject_of(line, exc)
    return row


def parse_rows(rows: Iterable[Line | Mapping[str, Any]], *, source: str = "<rows>",
               need: str | None = None, dump: bool = False) -> Iterator[Row | Reject]:
    """``parse_line`` over ``jsonl.Line`` objects or plain dicts (numbered from 1)."""
    for number, item in enumerate(rows, start=1):
        line = item if isinstance(item, Line) else Line(source, number, value=dict(item))
        yield parse_line(line, need=need, dump=dump)


def load(path: str | Path, *, need: str | None = "prompt") -> tuple[list[Row], list[Reject]]:
    """Every row of a file (JSONL, a ``.json`` array or ``.parquet``; ``"-"`` is JSONL on stdin):
    the usable ones and the rejects."""
    rows: list[Row] = []
    rejects: list[Reject] = []
    for item in parse_rows(read_rows(path), need=need):
        (rejects if isinstance(item, Reject) else rows).append(item)
    return rows, rejects


# ----------------------------------------------------------------------------------------------
# Rollout dumps: rows grouped


@dataclass
class _Pending:
    key: tuple
    row: Row
    responses: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    entropies: list[float | None] = field(default_factory=list)

    def finish(self) -> Row:
        ents = tuple(self.entropies) if any(e is not None for e in self.entropies) else None
        return replace(self.row, responses=tuple(self.responses), entropies=ents,
                       lines=tuple(self.lines))


def _dump_key(row: Row) -> tuple:
    if row.group is not None:
        return ("id", row.group, row.step)
    # ensure_ascii: an instruction may hold a lone surrogate, which pydantic's JSON cannot encode
    return ("prompt", row.given_prompt,
            json.dumps(row.instruction.model_dump(), ensure_ascii=True, sort_keys=True), row.step)


def groups(lines: Iterable[Line]) -> Iterator[Row | Reject]:
    """Groups and rejects of a rollout dump, in input order.

    A ``responses`` row is a group; consecutive one-response rows with the same group key (or,
    without one, the same prompt, instruction and step) are merged into one, yielded when it ends.
    A dump's group needs a task: an IFEval row without ``task`` uses its ``prompt``.
    """
    pending: _Pending | None = None
    for line in lines:
        item = parse_line(line, need="responses", dump=True)
        if isinstance(item, Row) and item.given_prompt is None and not item.has_task:
            item = reject_of(line, RowError("no task: give 'task' or 'prompt'", "prompt"))
        if isinstance(item, Reject) or item.multi:
            if isinstance(item, Row) and pending is not None:
                yield pending.finish()
                pending = None
            yield item
            continue
        key = _dump_key(item)
        if pending is not None and pending.key == key:
            if item.instruction != pending.row.instruction:
                yield Reject(line.source, line.number, "differs from the instruction of the "
                             f"group's first row (line {pending.lines[0]})",
                             item.names.spec or "instruction", item.key)
                continue
        else:
            if pending is not None:
                yield pending.finish()
            pending = _Pending(key, item)
        pending.responses.append(item.responses[0])
        pending.lines.append(line.number)
        pending.entropies.append(item.entropies[0] if item.entropies else None)
    if pending is not None:
        yield pending.finish()


def read_groups(path: str | Path) -> Iterator[Row | Reject]:
    """Stream the groups of a dump file (any format of ``hir.tables``; ``"-"`` is stdin)."""
    return groups(read_rows(path))


# ----------------------------------------------------------------------------------------------
# The reference's two-file form


@dataclass
class Responses:
    """A responses file indexed by prompt text, and the rows of it that could not be used."""

    source: str
    by_prompt: dict[str, tuple[int, str]] = field(default_factory=dict)  # prompt -> (line, text)
    rejected: list[Reject] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def unused(self) -> list[Reject]:
        """Responses whose prompt is in no prompt row: reported, since no output row shows them."""
        return [Reject(self.source, line, "no row of the prompts file has this prompt", "prompt")
                for prompt, (line, _) in self.by_prompt.items() if prompt not in self.used]


def load_responses(lines: Iterable[Line], source: str) -> Responses:
    """Index ``{"prompt", "response"}`` rows by prompt (two different responses to one prompt
    are ambiguous: the later row is rejected)."""
    out = Responses(source)
    for line in lines:
        if not line.ok:
            out.rejected.append(reject_of(line))
            continue
        row = line.value or {}
        try:
            prompt = _string(row, "prompt")
            response = _string(row, "response")
        except RowError as exc:
            out.rejected.append(reject_of(line, exc))
            continue
        seen = out.by_prompt.get(prompt)
        if seen is not None and seen[1] != response:
            out.rejected.append(Reject(source, line.number, "a different response to this "
                                       f"prompt is on line {seen[0]}", "response"))
            continue
        if seen is None:
            out.by_prompt[prompt] = (line.number, response)
    return out


def attach_responses(lines: Iterable[Line], responses: Responses) -> Iterator[Line]:
    """Prompt rows with their response from ``responses`` added (joined on the prompt text).

    A prompt row with no response, or without a string ``prompt``, carries an error instead.
    """
    for line in lines:
        if not line.ok:
            yield line
            continue
        row = dict(line.value or {})
        prompt = row.get("prompt")
        if not isinstance(prompt, str):
            yield Line(line.source, line.number, value=row, field="prompt",
                       error="missing (needed to find the row's response)")
            continue
        found = responses.by_prompt.get(prompt)
        if found is None:
            yield Line(line.source, line.number, value=row, field="response",
                       error=f"no response to this prompt in {responses.source}")
            continue
        responses.used.add(prompt)
        row["response"] = found[1]
        yield Line(line.source, line.number, value=row)
