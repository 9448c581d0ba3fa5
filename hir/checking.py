"""Score rows of (constraints, response) and summarise them: the engine behind ``hir check``.

Rows are parsed by ``hir.rows`` (every form it reads: IFEval rows, hir-form rows with ``response``
or a ``responses`` list, verl rows, and the reference's two-file form). A ``responses`` row's
output nests one result object per response under ``responses``.

A row that cannot be scored is never dropped and never stops the run: it becomes a rejected
``RowResult`` carrying the row's ``Reject`` (file, line, the field at fault as the row spells
it). A checker whose verdict is ``unavailable`` rejects its row too, rather than passing or
failing it silently.

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
from typing import Any, Iterable, Iterator, Mapping

from constraints.base import SEMANTICS, Semantics
from constraints.engine import score

from .jsonl import Line
from .rows import Reject, Row, RowError, parse_line

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
    reject: Reject | None = None
    # MulDimIF's metric groups: the row's constraint_pattern and difficulty, and each
    # constraint's [type, subtype] key (None for other constraints); None without MulDimIF ones
    pattern: str | None = None
    difficulty: str | None = None
    categories: tuple[str | None, ...] | None = None

    @property
    def ok(self) -> bool:
        return self.reject is None

    @property
    def error(self) -> str | None:
        return None if self.reject is None else self.reject.error

    @property
    def field(self) -> str | None:
        return None if self.reject is None else self.reject.field

    def to_json(self) -> dict[str, Any]:
        if self.reject is not None:
            out: dict[str, Any] = {"key": self.key, "line": self.line, "error": self.reject.error}
            if self.reject.field is not None:
                out["field"] = self.reject.field
            return out
        out = {"key": self.key, "instruction_id_list": list(self.ids)}
        if self.multi:
            out["responses"] = [s.to_json() for s in self.samples]
        else:
            out.update(self.samples[0].to_json())
        return out


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


def score_row(row: Row, *, semantics: Semantics = "reference",
              strip: bool = False) -> tuple[Sample, ...]:
    """Build the row's checkers once and judge each response strict and loose.

    Raises ``RowError`` for a row whose checkers cannot be built or cannot run.
    """
    try:
        checkers = row.checkers(semantics)
    except RowError:
        raise
    except Exception as exc:  # a checker's constructor bug must reject its row, not end the run
        raise RowError(f"building the checkers raised {type(exc).__name__}: {exc}") from None
    ids = row.ids
    samples = []
    for response in row.responses:
        text = strip_thinking(response) if strip else response
        try:
            scored = score(checkers, text)
        except Exception as exc:  # a checker bug must reject its row, not end the whole run
            raise RowError(f"a checker raised {type(exc).__name__}: {exc}") from None
        if scored.unavailable:
            i = scored.unavailable[0]
            bad = next(v for v in (scored.strict[i], scored.loose[i]) if v.unavailable)
            raise row.unavailable(i, bad.explanation)
        failures = [Failure(i, ids[i], mode, v.explanation)
                    for mode, verdicts in (("strict", scored.strict), ("loose", scored.loose))
                    for i, v in enumerate(verdicts) if not v.passed]
        samples.append(Sample(tuple(v.passed for v in scored.strict),
                              tuple(v.passed for v in scored.loose), tuple(failures)))
    return tuple(samples)


def score_line(line: Line, *, semantics: Semantics = "reference",
               strip_thinking: bool = False) -> RowResult:
    """Score one input line (already JSON-decoded, or carrying its decoding error)."""
    row = parse_line(line, need="responses")
    if isinstance(row, Reject):
        return RowResult(line.number, row.key, reject=row)
    ids = row.ids
    try:
        samples = score_row(row, semantics=semantics, strip=strip_thinking)
    except RowError as exc:
        return RowResult(line.number, row.key, ids,
                         reject=row.rejects(exc)[0])
    return RowResult(line.number, row.key, ids, samples, row.multi, pattern=row.pattern,
                     difficulty=row.difficulty, categories=muldimif_keys(row))


def muldimif_keys(row: Row) -> tuple[str | None, ...] | None:
    """Each constraint's MulDimIF ``Type_Subtype`` key (None for other constraints), or None
    when the row has no MulDimIF constraint."""
    keys = tuple(f"{kw.get('type')}_{kw.get('subtype')}" if cid.startswith(MULDIMIF_PREFIX)
                 else None for cid, kw in zip(row.ids, row.kwargs))
    return keys if any(k is not None for k in keys) else None


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
    muldimif: "MulDimIFSummary" = field(default_factory=lambda: MulDimIFSummary())

    def add(self, result: RowResult) -> None:
        self.rows += 1
        if not result.ok:
            self.rejected += 1
            return
        self.scored += 1
        for sample in result.samples:
            self.muldimif.add(result, sample)
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
        if self.muldimif.overall.n:
            out["muldimif"] = self.muldimif.to_json()
        return out


# ----------------------------------------------------------------------------------------------
# MulDimIF's metrics

MULDIMIF_PREFIX = "muldimif:"

# The MulDimIF reference's ``constraint_mapping`` (evaluation.py, read, not copied): each
# "Type_Subtype" key of its test set onto its 4 first-level / 12 second-level categories
# ("First_Second"); the metrics group constraints by these.
MULDIMIF_CATEGORY: dict[str, str] = {
    **dict.fromkeys(("Content_Keywords", "Content_Keywords: Must include", "Content_Mention"),
                    "Content_Keywords"),
    **dict.fromkeys(("Content_Identifiers", "Citations_In-text", "Content_Sources",
                     "Format_Text", "References_Format", "Format_Bullet Points"),
                    "Content_Identifiers"),
    **dict.fromkeys(("Content_Punctuation", "Content_Punctuation: Ending punctuation",
                     "Punctuation_Ending punctuation", "Content_Quotes"),
                    "Content_Punctuation"),
    **dict.fromkeys(("Format_Table", "Table_Row limit", "Table_Column limit",
                     "Format_Table: Row limit", "Format_Table: Column limit", "Table_Table"),
                    "Format_Table"),
    **dict.fromkeys(("Format_Markdown", "Markdown_Heading levels",
                     "Format_Markdown: Heading levels", "Markdown_Block quotes",
                     "Format_Markdown: Block quotes"), "Format_Markdown"),
    **dict.fromkeys(("Format_Json", "Json_Object nesting levels", "Json_Number of attributes"),
                    "Format_Json"),
    **dict.fromkeys(("Format_XML", "XML_Number of attributes"), "Format_XML"),
    **dict.fromkeys(("Language_English", "Language_English: Capitalized",
                     "Language_English: All Uppercase"), "Language_English"),
    **dict.fromkeys(("Language_Chinese", "Language_Chinese: Simplified",
                     "Language_Chinese: Traditional"), "Language_Chinese"),
    **dict.fromkeys(("Length_Words", "Length_Words: At most", "Length_Words: At least",
                     "Length_Words: Range", "Words_At most", "Content_Length", "Format_Blurb",
                     "Format_Word Count", "Format_Length"), "Length_Words"),
    **dict.fromkeys(("Length_Sentences", "Length_Sentences: At least",
                     "Length_Sentences: At most", "Length_Sentences: Range", "Sentences_At most",
                     "Sentences_At least"), "Length_Sentences"),
    **dict.fromkeys(("Length_Paragraphs", "Length_Paragraphs: At most",
                     "Length_Paragraphs: At least", "Length_Paragraphs: Range",
                     "Paragraphs_At most"), "Length_Paragraphs"),
}


@dataclass
class Tally:
    """One MulDimIF group: responses (or response x category pairs) that follow all their
    constraints of the group, and constraints followed."""

    n: int = 0
    all_followed: int = 0
    constraints: int = 0
    followed: int = 0

    def add(self, verdicts: list[bool]) -> None:
        self.n += 1
        self.all_followed += all(verdicts)
        self.constraints += len(verdicts)
        self.followed += sum(verdicts)

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "all": _rate(self.all_followed, self.n),
                "constraints": self.constraints,
                "constraint": _rate(self.followed, self.constraints)}


@dataclass
class MulDimIFSummary:
    """MulDimIF's metrics over the strict verdicts of its constraints, as its evaluation reports
    them: all-constraints accuracy (responses whose constraints all pass) and constraint-level
    accuracy (constraints passed), overall, by ``constraint_pattern``, by ``difficulty``, and by
    constraint category (first level, e.g. "Format", and second level, e.g. "Format_Table"; a
    response counts once per category it has, passing when all its constraints of that category
    pass). Constraints of other families in the same row are left out of these."""

    overall: Tally = field(default_factory=Tally)
    by_pattern: dict[str, Tally] = field(default_factory=dict)
    by_difficulty: dict[str, Tally] = field(default_factory=dict)
    by_type: dict[str, Tally] = field(default_factory=dict)
    by_category: dict[str, Tally] = field(default_factory=dict)

    def add(self, result: RowResult, sample: Sample) -> None:
        if result.categories is None:
            return
        marked = [(MULDIMIF_CATEGORY.get(key, key), ok)
                  for key, ok in zip(result.categories, sample.strict) if key is not None]
        verdicts = [ok for _, ok in marked]
        self.overall.add(verdicts)
        for label, table in ((result.pattern, self.by_pattern),
                             (result.difficulty, self.by_difficulty)):
            if label is not None:
                table.setdefault(label, Tally()).add(verdicts)
        for level, table in ((0, self.by_type), (1, self.by_category)):
            groups: dict[str, list[bool]] = {}
            for category, ok in marked:
                name = category.split("_", 1)[0] if level == 0 else category
                groups.setdefault(name, []).append(ok)
            for name, oks in groups.items():
                table.setdefault(name, Tally()).add(oks)

    def to_json(self) -> dict[str, Any]:
        def each(table: dict[str, Tally]) -> dict[str, Any]:
            return {k: table[k].to_json() for k in sorted(table)}

        return {**self.overall.to_json(), "by_pattern": each(self.by_pattern),
                "by_difficulty": each(self.by_difficulty), "by_type": each(self.by_type),
                "by_category": each(self.by_category)}


def summarize(results: Iterable[RowResult]) -> Summary:
    """Accumulate a ``Summary`` over results (``Summary.add`` does it one at a time)."""
    summary = Summary()
    for result in results:
        summary.add(result)
    return summary
