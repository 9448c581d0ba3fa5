"""Score rows of (constraints, response) and summarise them: the engine behind ``hir check``.

Row forms accepted (one JSON object per row):

* IFEval form: ``key``, ``prompt``, ``instruction_id_list``, ``kwargs`` (index-aligned with the
  ids; may be absent, meaning no parameters), ``response``. This is the reference's ``input_data``
  with the response added, and the form of the public conformance files.
* hir form: ``instruction`` = ``{"task", "constraints": [{"id", "kwargs", "text"}], "template"}``
  (a ``hir.instructions.Instruction``) with ``response`` or ``responses`` (a list: one row,
  several samples; its output nests one result object per response under ``responses``).

Two-file form (the reference's): prompt rows in IFEval form without ``response``, and a responses
file of ``{"prompt", "response"}`` rows joined on the prompt text (``load_responses`` and
``attach_responses``).

A row that cannot be scored is never dropped and never stops the run: it becomes a rejected
``RowResult`` whose ``error`` names the field at fault. A checker whose verdict is
``unavailable`` rejects its row too, rather than passing or failing it silently.

    >>> results = list(score_rows([{"key": 1, "instruction_id_list": ["punctuation:no_comma"],
    ...                             "kwargs": [{}], "response": "Yes, indeed"}]))
    >>> results[0].to_json()["strict"], results[0].to_json()["failures"][0]["explanation"]
    ([False], 'found 1 comma(s), need none')
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Iterable, Iterator, Mapping, Sequence

from constraints.base import SEMANTICS, Semantics
from constraints.engine import score
from constraints.errors import ConstraintError
from constraints.registry import build_all, checker_class

from .jsonl import Line

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


# ----------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Failure:
    """One constraint not followed by one response, in one mode."""

    index: int
    id: str
    mode: str
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "mode": self.mode,
                "explanation": self.explanation}


@dataclass(frozen=True)
class Sample:
    """The verdicts of one response: booleans index-aligned with the row's constraint ids."""

    strict: tuple[bool, ...]
    loose: tuple[bool, ...]
    failures: tuple[Failure, ...] = ()

    @property
    def follow_all_strict(self) -> bool:
        return all(self.strict)

    @property
    def follow_all_loose(self) -> bool:
        return all(self.loose)

    def to_json(self) -> dict[str, Any]:
        return {"strict": list(self.strict), "loose": list(self.loose),
                "follow_all_strict": self.follow_all_strict,
                "follow_all_loose": self.follow_all_loose,
                "failures": [f.to_json() for f in self.failures]}


@dataclass(frozen=True)
class RowResult:
    """The outcome of one input row: its samples' verdicts, or why it was rejected."""

    line: int
    key: Any = None
    ids: tuple[str, ...] = ()
    samples: tuple[Sample, ...] = ()
    multi: bool = False  # the row gave a ``responses`` list (output nests one object per response)
    error: str | None = None
    field: str | None = None  # the JSON path at fault, e.g. "kwargs[1].num_words"
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.source else f"line {self.line}"

    def message(self) -> str:
        """The one-line report of a rejected row: ``file:line: [key K: ]error``."""
        key = f"key {self.key!r}: " if self.key is not None else ""
        return f"{self.where()}: {key}{self.error}"

    def to_json(self) -> dict[str, Any]:
        if not self.ok:
            out: dict[str, Any] = {"key": self.key, "line": self.line, "error": self.error}
            if self.field is not None:
                out["field"] = self.field
            return out
        out = {"key": self.key, "instruction_id_list": list(self.ids)}
        if self.multi:
            out["responses"] = [s.to_json() for s in self.samples]
        else:
            out.update(self.samples[0].to_json())
        return out


class RowError(ValueError):
    """A row that cannot be scored; ``field`` is the JSON path at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


# ----------------------------------------------------------------------------------------------
# Row parsing


@dataclass(frozen=True)
class Task:
    """A parsed row: what to check, against what, with which prompt."""

    key: Any
    ids: list[str]
    kwargs: list[Any] | None
    prompt: str | None
    responses: list[str]
    multi: bool


def _require_str(row: Mapping[str, Any], name: str, *, what: str | None = None) -> str:
    if name not in row:
        raise RowError(f"missing field {name!r}" + (f" ({what})" if what else ""), name)
    value = row[name]
    if not isinstance(value, str):
        raise RowError(f"field {name!r} must be a string, got {type(value).__name__}", name)
    return value


def _optional_prompt(row: Mapping[str, Any]) -> str | None:
    prompt = row.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise RowError(f"field 'prompt' must be a string, got {type(prompt).__name__}", "prompt")
    return prompt


def _parse_ifeval(row: Mapping[str, Any]) -> Task:
    ids = row["instruction_id_list"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RowError("field 'instruction_id_list' must be a list of strings",
                       "instruction_id_list")
    kwargs = row.get("kwargs")
    if kwargs is not None:
        if not isinstance(kwargs, list):
            raise RowError("field 'kwargs' must be a list of objects, index-aligned with "
                           "'instruction_id_list'", "kwargs")
        if len(kwargs) != len(ids):
            raise RowError(f"field 'kwargs' has {len(kwargs)} entries for {len(ids)} "
                           "instruction ids (they must be index-aligned)", "kwargs")
        for i, kw in enumerate(kwargs):
            if kw is not None and not isinstance(kw, dict):
                raise RowError(f"kwargs[{i}] must be an object, got {type(kw).__name__}",
                               f"kwargs[{i}]")
    response = _require_str(row, "response")
    return Task(row_key(row), ids, kwargs, _optional_prompt(row), [response], multi=False)


def _parse_native(row: Mapping[str, Any]) -> Task:
    """The hir form: an ``Instruction`` object plus one response or a list of them.

    Checkers that read the prompt get the row's ``prompt`` when it has one, else the rendered
    instruction (as ``Instruction.checkers`` and ``hir relabel`` do).
    """
    try:
        from pydantic import ValidationError

        from .instructions import Instruction  # lazily: only rows in this form need it
    except ImportError as exc:  # an installation without the hindsight library
        raise RowError(f"rows in the hir instruction form need hir.instructions ({exc})",
                       "instruction") from None
    try:
        instruction = Instruction.model_validate(row["instruction"])
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"])
        path = "instruction." + path.replace(".[", "[") if path else "instruction"
        raise RowError(f"field {path!r}: {first['msg']}", path) from None
    if "responses" in row:
        responses = row["responses"]
        if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
            raise RowError("field 'responses' must be a list of strings", "responses")
        if not responses:
            raise RowError("field 'responses' is empty", "responses")
        multi = True
    else:
        responses = [_require_str(row, "response", what="or 'responses'")]
        multi = False
    prompt = _optional_prompt(row)
    if prompt is None and _any_reads_prompt(instruction.ids):
        try:
            prompt = instruction.render()
        except ConstraintError as exc:  # a constraint without text whose kwargs are invalid
            raise RowError(str(exc), _constraint_field(exc)) from None
    return Task(row_key(row), instruction.ids, instruction.kwargs, prompt, responses, multi)


def row_key(row: Mapping[str, Any]) -> Any:
    """The row's name in the output: ``key`` (IFEval), else ``id`` (our groups), else the
    ``source_id`` and ``response_index`` of a ``hir relabel`` output row."""
    if not isinstance(row, Mapping):
        return None
    if "key" in row:
        return row["key"]
    if "id" in row:
        return row["id"]
    if "source_id" in row:
        index = row.get("response_index")
        return row["source_id"] if index is None else f"{row['source_id']}#{index}"
    return None


def _any_reads_prompt(ids: Sequence[str]) -> bool:
    for cid in ids:
        try:
            if checker_class(cid).uses_prompt:
                return True
        except ConstraintError:  # unknown: reported when the checkers are built
            pass
    return False


def parse_row(row: Mapping[str, Any]) -> Task:
    """Detect the row's form and parse it; ``RowError`` names the field at fault."""
    if "instruction_id_list" in row:
        return _parse_ifeval(row)
    if "instruction" in row:
        if not isinstance(row["instruction"], dict):
            raise RowError("field 'instruction' must be an object", "instruction")
        return _parse_native(row)
    raise RowError("the row has neither 'instruction_id_list' (IFEval form) nor 'instruction' "
                   "(hir form)", "instruction_id_list")


# ----------------------------------------------------------------------------------------------
# Scoring


def strip_thinking(response: str) -> str:
    """Drop a leading reasoning block, so that only the final answer is judged.

    ``<think>...</think>answer`` gives ``answer`` (leading whitespace removed). A ``</think>`` with
    no ``<think>`` before it (chat templates that put ``<think>`` in the prompt) ends the block
    too. An unclosed leading ``<think>`` gives ``""``: there is no final answer to judge.
    """
    stripped = response.lstrip()
    if stripped.startswith(THINK_OPEN):
        end = stripped.find(THINK_CLOSE)
        return "" if end < 0 else stripped[end + len(THINK_CLOSE):].lstrip()
    end = response.find(THINK_CLOSE)
    if end >= 0 and THINK_OPEN not in response[:end]:
        return response[end + len(THINK_CLOSE):].lstrip()
    return response


def _constraint_field(exc: ConstraintError) -> str | None:
    if exc.index is None:
        return exc.field
    if exc.field is None:
        return f"instruction_id_list[{exc.index}]"
    return f"kwargs[{exc.index}].{exc.field}"


def score_task(task: Task, *, semantics: Semantics = "reference",
               strip: bool = False) -> tuple[tuple[Sample, ...], None] | tuple[None, RowError]:
    """Build the task's checkers once and judge each response strict and loose."""
    try:
        checkers = build_all(task.ids, task.kwargs, prompt=task.prompt, semantics=semantics)
    except ConstraintError as exc:
        return None, RowError(str(exc), _constraint_field(exc))
    except Exception as exc:  # a checker's constructor bug must reject its row, not end the run
        return None, RowError(f"building the checkers raised {type(exc).__name__}: {exc}")
    missing_prompt = [i for i, c in enumerate(checkers) if c.uses_prompt and task.prompt is None]
    if missing_prompt:
        i = missing_prompt[0]
        return None, RowError(f"constraint {i} {task.ids[i]!r} needs the prompt, and the row has "
                              "no 'prompt'", "prompt")
    samples = []
    for response in task.responses:
        text = strip_thinking(response) if strip else response
        try:
            scored = score(checkers, text)
        except Exception as exc:  # a checker bug must reject its row, not end the whole run
            return None, RowError(f"a checker raised {type(exc).__name__}: {exc}")
        if scored.unavailable:
            i = scored.unavailable[0]
            bad = next(v for v in (scored.strict[i], scored.loose[i]) if v.unavailable)
            return None, RowError(f"constraint {i} {task.ids[i]!r} could not be checked: "
                                  f"{bad.explanation}", f"instruction_id_list[{i}]")
        failures = [Failure(i, task.ids[i], mode, v.explanation)
                    for mode, verdicts in (("strict", scored.strict), ("loose", scored.loose))
                    for i, v in enumerate(verdicts) if not v.passed]
        samples.append(Sample(tuple(v.passed for v in scored.strict),
                              tuple(v.passed for v in scored.loose), tuple(failures)))
    return tuple(samples), None


def score_line(line: Line, *, semantics: Semantics = "reference",
               strip_thinking: bool = False) -> RowResult:
    """Score one input line (already JSON-decoded, or carrying its decoding error)."""
    row = line.value or {}
    key = row_key(row)
    if isinstance(key, (dict, list)):
        key = None
    if not line.ok:
        return RowResult(line.number, key, error=line.error, field=line.field, source=line.source)
    try:
        task = parse_row(row)
    except RowError as exc:
        return RowResult(line.number, key, error=str(exc), field=exc.field, source=line.source)
    samples, error = score_task(task, semantics=semantics, strip=strip_thinking)
    if error is not None:
        return RowResult(line.number, key, tuple(task.ids), error=str(error), field=error.field,
                         source=line.source)
    return RowResult(line.number, key, tuple(task.ids), samples, task.multi, source=line.source)


def _as_lines(rows: Iterable[Line | Mapping[str, Any]], source: str) -> Iterator[Line]:
    for number, row in enumerate(rows, start=1):
        yield row if isinstance(row, Line) else Line(source, number, value=dict(row))


def _worker_init() -> None:
    # Ctrl-C goes to the parent, which stops the pool; workers must not each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from constraints.registry import ids
    ids()  # load the registry (built-ins and plugins) once per worker, before the first row


def score_rows(rows: Iterable[Line | Mapping[str, Any]], *, semantics: Semantics = "reference",
               strip_thinking: bool = False, workers: int = 1, chunksize: int = 16,
               source: str = "<rows>") -> Iterator[RowResult]:
    """Score rows lazily, one ``RowResult`` per row, in input order.

    ``rows`` are ``jsonl.Line`` objects (from ``read_jsonl``: line numbers and decoding errors
    travel with them) or plain dicts (numbered from 1). With ``workers > 1`` rows are scored in
    that many processes, in chunks of ``chunksize``; results are identical and in the same order
    (checkers are deterministic). Checkers registered by hand in this process, rather than by an
    importable module or entry point, are not seen by worker processes.
    """
    if semantics not in SEMANTICS:
        raise ValueError(f"semantics must be one of {SEMANTICS}, got {semantics!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    lines = _as_lines(rows, source)
    work = partial(score_line, semantics=semantics, strip_thinking=strip_thinking)
    if workers == 1:
        yield from map(work, lines)
        return
    # Pool.imap drains its input in a background thread; the semaphore keeps at most `ahead`
    # rows in flight so that a large file streams in bounded memory.
    ahead = threading.Semaphore(max(workers * chunksize * 4, 64))
    stop = threading.Event()

    def feed() -> Iterator[Line]:
        for line in lines:
            while not ahead.acquire(timeout=0.1):
                if stop.is_set():
                    return
            yield line

    import multiprocessing  # only with --workers > 1: keeps 8 ms out of every start-up

    with multiprocessing.get_context().Pool(workers, initializer=_worker_init) as pool:
        try:
            for result in pool.imap(work, feed(), chunksize=chunksize):
                ahead.release()
                yield result
        finally:
            stop.set()


# ----------------------------------------------------------------------------------------------
# Two-file form


@dataclass
class Responses:
    """A responses file indexed by prompt text, and the rows of it that could not be used."""

    source: str
    by_prompt: dict[str, tuple[int, str]] = field(default_factory=dict)  # prompt -> (line, text)
    rejected: list[RowResult] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def unused(self) -> list[RowResult]:
        """Responses whose prompt is in no prompt row: reported, since no output row shows them."""
        return [RowResult(line, error="no row of the prompts file has this prompt",
                          field="prompt", source=self.source)
                for prompt, (line, _) in self.by_prompt.items() if prompt not in self.used]


def load_responses(lines: Iterable[Line], source: str) -> Responses:
    """Index ``{"prompt", "response"}`` rows by prompt (two different responses to one prompt
    are ambiguous: the later row is rejected)."""
    out = Responses(source)
    for line in lines:
        if not line.ok:
            out.rejected.append(RowResult(line.number, error=line.error, source=source))
            continue
        row = line.value or {}
        try:
            prompt = _require_str(row, "prompt")
            response = _require_str(row, "response")
        except RowError as exc:
            out.rejected.append(RowResult(line.number, row_key(row), error=str(exc),
                                          field=exc.field, source=source))
            continue
        seen = out.by_prompt.get(prompt)
        if seen is not None and seen[1] != response:
            out.rejected.append(RowResult(
                line.number, error=f"a different response to this prompt is on line {seen[0]}",
                field="response", source=source))
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
                       error="missing field 'prompt' (needed to find the row's response)")
            continue
        found = responses.by_prompt.get(prompt)
        if found is None:
            yield Line(line.source, line.number, value=row, field="response",
                       error=f"no response to this prompt in {responses.source}")
            continue
        responses.used.add(prompt)
        row["response"] = found[1]
        yield Line(line.source, line.number, value=row)



# ----------------------------------------------------------------------------------------------
# Summary


@dataclass
class IdStats:
    """How often one constraint id was followed, over all scored samples."""

    count: int = 0
    strict: int = 0
    loose: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "strict": _rate(self.strict, self.count),
                "loose": _rate(self.loose, self.count)}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Summary:
    """Accuracies over the scored rows, as IFEval reports them, plus what was rejected.

    Prompt level: the fraction of samples (responses) that follow all their constraints.
    Instruction level: the fraction of (sample, constraint) pairs followed. Rejected rows are in
    no denominator; they are counted in ``rejected``.
    """

    rows: int = 0
    scored: int = 0
    rejected: int = 0
    samples: int = 0
    prompt_strict: int = 0
    prompt_loose: int = 0
    instructions: int = 0
    instruction_strict: int = 0
    instruction_loose: int = 0
    per_id: dict[str, IdStats] = field(default_factory=dict)
    responses_rejected: int = 0  # rows of a separate responses file that could not be used

    def add(self, result: RowResult) -> None:
        self.rows += 1
        if not result.ok:
            self.rejected += 1
            return
        self.scored += 1
        for sample in result.samples:
            self.samples += 1
            self.prompt_strict += sample.follow_all_strict
            self.prompt_loose += sample.follow_all_loose
            for cid, s, l in zip(result.ids, sample.strict, sample.loose):
                self.instructions += 1
                self.instruction_strict += s
                self.instruction_loose += l
                stats = self.per_id.setdefault(cid, IdStats())
                stats.count += 1
                stats.strict += s
                stats.loose += l

    @property
    def any_rejected(self) -> bool:
        return bool(self.rejected or self.responses_rejected)

    def accuracy(self) -> dict[str, float | None]:
        return {
            "prompt_strict": _rate(self.prompt_strict, self.samples),
            "prompt_loose": _rate(self.prompt_loose, self.samples),
            "instruction_strict": _rate(self.instruction_strict, self.instructions),
            "instruction_loose": _rate(self.instruction_loose, self.instructions),
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rows": self.rows, "scored": self.scored,
                               "rejected": self.rejected, "samples": self.samples,
                               "instructions": self.instructions}
        if self.responses_rejected:
            out["responses_rejected"] = self.responses_rejected
        out.update(self.accuracy())
        out["per_id"] = {cid: self.per_id[cid].to_json() for cid in sorted(self.per_id)}
        return out


def summarize(results: Iterable[RowResult]) -> Summary:
    """Accumulate a ``Summary`` over results (``Summary.add`` does it one at a time)."""
    summary = Summary()
    for result in results:
        summary.add(result)
    return summary
