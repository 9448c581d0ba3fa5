"""Hindsight relabeling of a batch of rollout groups: the one implementation behind ``hir relabel``
and the trainer.

Algorithm (HiR, "Replay Failures as Successes"), for one batch of groups at training step s:

1. Mask: judge every response against its group's constraints (``hir.masks``), strict by default.
2. Select: among the failed responses with 0 < CLA < 1, keep the best by
   F = mean token entropy + lambda_s * CLA, lambda_s = lambda0 * (1 + eta) ** s, within a budget of
   k per group or k * groups over the batch (``hir.select``).
3. Rewrite: the hindsight instruction keeps exactly the satisfied constraints (``hir.rewrite``);
   with ``rewrite="achieved"`` (beyond the paper) a failed constraint whose family can describe
   what the response did is kept with those parameters instead of dropped; with
   ``"achieved_only"`` nothing is dropped: step 2 only considers responses whose every failed
   constraint can be stated so, and a replay the re-check would shorten is discarded.
4. Re-check: judge the response again under its hindsight instruction and rendered prompt. Only a
   prompt-reading checker can change its verdict here; a constraint that now fails is dropped too,
   until the replay satisfies everything it claims (it may end up with nothing to replay).
5. Return a ``Selected`` record per surviving response, in (group, response) order: a replay
   sample is that response, its hindsight instruction, reward 1.

``relabel`` is steps 2-5 over what both callers hold (instructions, responses, masks, entropies per
group): ``relabel_stream`` (``hir relabel``) writes JSON rows from its records, the trainer builds
its replay episodes from them. lambda_s is computed once per batch by the caller.

``relabel_stream`` runs this over a stream of groups with bounded memory: in the ``group`` budget
each group is its own batch; in the ``global`` budget a batch is a run of consecutive groups with the
same step (optionally capped at ``batch_groups``), the unit the authors' trainer selects over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterable, Iterator, Sequence

from constraints import Mode, Semantics

from .instructions import ConstraintSpec, Instruction
from .masks import Mask, mask
from .rewrite import achieved, hindsight
from .jsonl import dumps
from .rows import TEMPLATE_Q_TYPES, Reject, Row, RowError
from .knobs import RelabelConfig
from .select import select


def group_masks(group: Row, config: RelabelConfig = RelabelConfig()) -> list[Mask]:
    """Masks of every response of ``group``; ``RowError`` names the row's field at fault."""
    checkers = group.checkers(config.semantics)
    out = []
    for response in group.responses:
        m = mask(group.instruction, response, mode=config.mode, checkers=checkers)
        if m.unavailable:
            i = m.unavailable[0]
            raise group.unavailable(i, m.verdicts[i].explanation)
        out.append(m)
    return out


def group_id(group: Row) -> str:
    """A group's name in the output (``source_id``): its group key, else ``file:line``."""
    return group.group if group.group is not None else group.where


def recheck(instruction: Instruction, response: str, satisfied: Sequence[bool], *,
            mode: Mode = "strict", semantics: Semantics = "reference",
            replace: Sequence[ConstraintSpec | None] | None = None
            ) -> tuple[list[bool], Instruction | None]:
    """Flags over the original constraints of those present in the hindsight instruction (kept,
    or rephrased by ``replace``, ``hir.rewrite.hindsight``) that hold under the hindsight
    prompt, and that hindsight instruction (None when no constraint survives).

    Starts from ``satisfied`` (plus every failed constraint ``replace`` rephrases) and drops any
    present constraint that fails when the response is judged under the rewritten instruction,
    until a fixed point: the result re-checks fully satisfied. It costs one extra check of each
    replay, and changes nothing unless a checker reads the prompt or a rephrasing was wrong.
    """
    replace = list(replace) if replace is not None else [None] * len(satisfied)
    flags = [ok or r is not None for ok, r in zip(satisfied, replace)]
    while any(flags):
        rewritten = hindsight(instruction, [f and ok for f, ok in zip(flags, satisfied)],
                              [r if f else None for r, f in zip(replace, flags)])
        again = mask(rewritten, response, mode=mode, semantics=semantics)
        if again.ila:
            return flags, rewritten
        kept = [i for i, ok in enumerate(flags) if ok]
        for j, ok in zip(kept, again.satisfied):
            flags[j] = flags[j] and ok
    return flags, None


@dataclass(frozen=True)
class Selected:
    """A response chosen for replay and re-checked: what one replay sample is built from."""

    group: int                  # index of its group in the batch
    response: int               # index of the response in its group
    kept: tuple[int, ...]       # indices of the original constraints the replay keeps
    instruction: Instruction    # the hindsight instruction: the kept constraints only
    score: float                # its selection score F
    cla: float                  # its CLA under the original instruction
    # indices (among ``kept``) of failed constraints kept with the parameters the response met
    rephrased: tuple[int, ...] = ()


def relabel(instructions: Sequence[Instruction], responses: Sequence[Sequence[str]],
            masks: Sequence[Sequence[Mask]],
            entropies: Sequence[Sequence[float | None] | None], *, lambda_: float,
            config: RelabelConfig = RelabelConfig(),
            weights: Sequence[Sequence[float] | None] | None = None) -> list[Selected]:
    """Steps 2-5 of the module docstring for one batch of groups.

    Per group ``g``: ``instructions[g]``, and index-aligned ``responses[g]``, ``masks[g]``,
    ``entropies[g]`` (None: no entropies). ``lambda_`` is lambda_s of the batch's step;
    ``weights`` optional per-constraint difficulty weights of the selection (``hir.select``).
    """
    if not len(instructions) == len(responses) == len(masks) == len(entropies):
        raise ValueError(f"{len(instructions)} instructions, {len(responses)} response lists, "
                         f"{len(masks)} mask lists, {len(entropies)} entropy lists")
    stated = eligible = None
    if config.rewrite == "achieved_only":
        stated = _fully_stated(instructions, responses, masks, config)
        eligible = [[(g, r) in stated for r in range(len(group))] for g, group in enumerate(masks)]
    chosen = select(masks, entropies, lambda_=lambda_, k=config.k, budget=config.budget,
                    total=config.total, weights=weights, eligible=eligible)
    out = []
    for c in chosen:
        m = masks[c.group][c.response]
        response = responses[c.group][c.response]
        replace = None
        if config.rewrite == "achieved":
            replace = achieved(instructions[c.group], response, m.satisfied,
                               semantics=config.semantics, families=config.achieved_families)
        elif stated is not None:
            replace = stated[c.group, c.response]
        flags, rewritten = recheck(instructions[c.group], response, m.satisfied,
                                   mode=config.mode, semantics=config.semantics, replace=replace)
        if config.rewrite == "achieved_only" and not all(flags):
            continue  # the re-check dropped a constraint: not a replay under this rewrite
        if rewritten is not None:
            kept = tuple(i for i, ok in enumerate(flags) if ok)
            out.append(Selected(c.group, c.response, kept, rewritten, c.score, m.cla,
                                tuple(i for i in kept if not m.satisfied[i])))
    return out


def _fully_stated(instructions: Sequence[Instruction], responses: Sequence[Sequence[str]],
                  masks: Sequence[Sequence[Mask]], config: RelabelConfig
                  ) -> dict[tuple[int, int], list[ConstraintSpec | None]]:
    """``rewrite="achieved_only"``: for each partly satisfying response (group, response) whose
    every failed constraint can be stated as achieved, those statements (``hir.rewrite.achieved``);
    the others are not candidates."""
    out = {}
    for g, group in enumerate(masks):
        for r, m in enumerate(group):
            if m.partial:
                replace = achieved(instructions[g], responses[g][r], m.satisfied,
                                   semantics=config.semantics,
                                   families=config.achieved_families)
                if all(ok or spec is not None for ok, spec in zip(m.satisfied, replace)):
                    out[g, r] = replace
    return out


def relabel_batch(groups: Sequence[Row], *, lambda_: float,
                  config: RelabelConfig = RelabelConfig(),
                  masks: Sequence[Sequence[Mask]] | None = None) -> list[Selected]:
    """``relabel`` over parsed groups (``hir.rows.Row``), with lambda_s ``lambda_``
    (``config.lambda_at(step)``).

    Pass ``masks`` when the responses were already judged; otherwise they are computed here
    (``RowError`` for a group that cannot be checked).
    """
    if masks is None:
        masks = [group_masks(g, config) for g in groups]
    return relabel([g.instruction for g in groups], [g.responses for g in groups], masks,
                   [g.entropies for g in groups], lambda_=lambda_, config=config)


# -- streaming over a dump -----------------------------------------------------------------------

@dataclass
class Summary:
    """What a relabeling run did (``hir relabel`` prints it; ``--json`` gives ``to_json()``)."""

    groups: int = 0
    responses: int = 0
    satisfied_all: int = 0          # responses with ILA = 1
    cla_sum: float = 0.0
    all_failed_before: int = 0      # groups where no response satisfied everything
    all_failed_after: int = 0       # ... and that got no replay either
    replays: int = 0
    kept_sum: int = 0
    rephrased_sum: int = 0
    originals_written: int = 0
    groups_without_task: int = 0
    rejected_rows: int = 0

    def add_group(self, group: Row, masks: Sequence[Mask], replays: Sequence[Selected]) -> None:
        self.groups += 1
        self.responses += len(masks)
        self.satisfied_all += sum(m.ila for m in masks)
        self.cla_sum += sum(m.cla for m in masks)
        if not any(m.ila for m in masks):
            self.all_failed_before += 1
            if not replays:
                self.all_failed_after += 1
        self.replays += len(replays)
        self.kept_sum += sum(len(r.kept) for r in replays)
        self.rephrased_sum += sum(len(r.rephrased) for r in replays)
        self.groups_without_task += not group.has_task

    def to_json(self) -> dict[str, Any]:
        n, g = self.responses, self.groups
        return {
            "groups": g, "responses": n, "rejected_rows": self.rejected_rows,
            "ila": self.satisfied_all / n if n else None,
            "cla": self.cla_sum / n if n else None,
            "all_failed_groups_before": self.all_failed_before,
            "all_failed_groups_after": self.all_failed_after,
            "replays": self.replays,
            "replays_per_group": self.replays / g if g else None,
            "mean_kept_constraints": self.kept_sum / self.replays if self.replays else None,
            "mean_rephrased_constraints":
                self.rephrased_sum / self.replays if self.replays else None,
            "originals_written": self.originals_written,
            "groups_without_task": self.groups_without_task,
        }


def original_row(group: Row, index: int, m: Mask, system: str | None = None) -> dict[str, Any]:
    """An original sample for a mixed training file: the group's prompt, binary reward."""
    prompt = group.prompt
    messages = ([{"role": "system", "content": system}] if system is not None else []) + [
        {"role": "user", "content": prompt}]
    n = len(group.instruction.constraints)
    return {
        "kind": "original", "source_id": group_id(group), "response_index": index,
        "instruction": group.instruction.model_dump(mode="json"), "prompt": prompt,
        "messages": messages, "response": group.responses[index],
        "reward": 1.0 if m.ila else 0.0, "kept": list(range(n)), "dropped": [], "rephrased": [],
        "satisfied": list(m.satisfied), "cla": m.cla, "score": None, "lambda": None,
    }


def replay_row(group: Row, selected: Selected, lambda_: float,
               system: str | None = None) -> dict[str, Any]:
    """A replay sample: the hindsight prompt, the same response, reward 1."""
    inst = selected.instruction
    return {
        "kind": "replay", "source_id": group_id(group), "response_index": selected.response,
        "instruction": inst.model_dump(), "prompt": inst.render(),
        "messages": inst.messages(system), "response": group.responses[selected.response],
        "reward": 1.0, "kept": list(selected.kept),
        "dropped": [i for i in range(len(group.instruction.constraints))
                    if i not in selected.kept],
        "rephrased": list(selected.rephrased),
        "cla": selected.cla, "score": selected.score, "lambda": lambda_,
    }


# -- verl rows (a Parquet replay file ready for a verl run) ----------------------------------------

# verl's ``data_source`` of the authors' reward function, per constraint family.
FAMILY_SOURCES = (("constraints.ifeval", "type1"), ("constraints.ifbench", "type2"),
                  ("constraints.muldimif", "type3"))
HIR_COLUMNS = ("kind", "source_id", "response_index", "response", "reward", "kept", "dropped",
               "rephrased", "satisfied", "cla", "score", "lambda")


def data_source(instruction: Instruction) -> str:
    """``type1`` (IFEval), ``type2`` (IFBench) or ``type3`` (MulDimIF) when every constraint is
    of that family, as the authors' reward function routes rows; else ``hir``."""
    from constraints import checker_class

    families = {next((src for mod, src in FAMILY_SOURCES
                      if checker_class(cid).__module__.startswith(mod)), "hir")
                for cid in instruction.ids}
    return families.pop() if len(families) == 1 else "hir"


def ground_truth(instruction: Instruction) -> str:
    """The verl ground truth of an instruction, as JSON text (verl stores it as a string):
    ``instruction_id_list`` (MulDimIF constraints as their ``[type, subtype, sentence]``) and
    ``kwargs``, index-aligned."""
    from constraints.muldimif import triple

    items, kwargs = [], []
    for spec in instruction.constraints:
        if spec.id.startswith("muldimif:"):
            items.append(list(triple(spec.id, spec.kwargs)))
            kwargs.append({})
        else:
            items.append(spec.id)
            kwargs.append(dict(spec.kwargs))
    return dumps({"instruction_id_list": items, "kwargs": kwargs})


def verl_row(group: Row, row: dict[str, Any]) -> dict[str, Any]:
    """A relabel output row (``original_row`` / ``replay_row``) as a row of the authors' verl
    trainer: ``data_source``, ``prompt`` (chat messages), ``reward_model.ground_truth`` (the
    row's constraints: the hindsight ones for a replay), ``extra_info`` (``question``, the kept
    ``criteria`` sentences, ``q_type``), the input verl row's other columns as they were, and
    this module's columns (``kind``, ``source_id``, ``response``, ``reward``, ...)."""
    inst = Instruction.model_validate(row["instruction"])
    raw = dict(group.raw or {})
    style = raw.get("reward_model", {}).get("style", "rule") \
        if isinstance(raw.get("reward_model"), dict) else "rule"
    extra = dict(raw["extra_info"]) if isinstance(raw.get("extra_info"), dict) else {}
    extra.update(question=inst.task, criteria=inst.sentences(),
                 q_type=TEMPLATE_Q_TYPES[inst.template])
    out = {k: v for k, v in raw.items()
           if k not in ("source", "ground_truth", "question", "criteria", "q_type", "prompt",
                        "responses", "response", "output", "entropies", "token_entropies",
                        "logprobs")}
    out.update(data_source=raw.get("data_source") or raw.get("source") or data_source(inst),
               prompt=row["messages"], reward_model={"style": style,
                                                     "ground_truth": ground_truth(inst)},
               extra_info=extra)
    out.update({k: row[k] for k in HIR_COLUMNS if k in row})
    return out


@dataclass
class Event:
    """One unit of ``relabel_stream`` output: a relabeled group's rows, or a rejected group."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    consumed: int = 0   # input lines this event accounts for (for progress)


def _mask_task(args: tuple[Row, RelabelConfig]) -> list[Mask] | RowError:
    group, config = args
    try:
        return group_masks(group, config)
    except RowError as exc:
        return exc


def _masked(items: Iterable[Any], config: RelabelConfig, workers: int
            ) -> Iterator[tuple[Any, list[Mask] | RowError | None]]:
    """(item, masks) in input order; masks computed in worker processes in bounded windows.

    Windows (not ``Pool.imap``, which reads its whole input ahead) keep memory flat.
    """
    it = iter(items)
    if workers <= 1:
        for item in it:
            yield item, _mask_task((item, config)) if isinstance(item, Row) else None
        return
    import multiprocessing  # only with --workers > 1: keeps it out of every CLI start-up

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    window = 64 * workers
    with ctx.Pool(workers) as pool:
        while chunk := list(islice(it, window)):
            groups = [(x, config) for x in chunk if isinstance(x, Row)]
            results = iter(pool.map(_mask_task, groups, chunksize=8))
            for item in chunk:
                yield item, next(results) if isinstance(item, Row) else None


def relabel_stream(items: Iterable[Any], *, config: RelabelConfig = RelabelConfig(),
                   default_step: int = 0, include_originals: bool = False,
                   system: str | None = None, workers: int = 1,
                   batch_groups: int | None = None, summary: Summary | None = None,
                   verl: bool = False) -> Iterator[Event]:
    """Relabel a stream of groups and rejects (``hir.rows.read_groups``).

    Yields events in input order; output is identical for any ``workers``. ``summary`` (updated in
    place) collects the run's statistics. ``verl``: write rows of the authors' verl trainer
    (``verl_row``) instead of this module's JSON rows.
    """

    summary = summary if summary is not None else Summary()
    batch: list[tuple[Row, list[Mask]]] = []
    batch_step: int | None = None

    def flush() -> Iterator[Event]:
        nonlocal batch
        if not batch:
            return
        groups = [g for g, _ in batch]
        masks = [m for _, m in batch]
        step = batch_step if batch_step is not None else default_step
        lam = config.lambda_at(step)
        per_group: list[list[Selected]] = [[] for _ in groups]
        for s in relabel_batch(groups, lambda_=lam, config=config, masks=masks):
            per_group[s.group].append(s)
        for g, m, rs in zip(groups, masks, per_group):
            summary.add_group(g, m, rs)
            rows = []
            if include_originals:
                rows += [original_row(g, i, mi, system) for i, mi in enumerate(m)]
                summary.originals_written += len(m)
            rows += [replay_row(g, s, lam, system) for s in rs]
            if verl:
                rows = [verl_row(g, row) for row in rows]
            yield Event(rows=rows, consumed=len(g.lines) or 1)
        batch = []

    for item, result in _masked(items, config, workers):
        if isinstance(item, Reject):
            summary.rejected_rows += 1
            yield Event(rejects=[item], consumed=1)
            continue
        group: Row = item
        if isinstance(result, RowError):
            rejects = group.rejects(result)
            summary.rejected_rows += len(rejects)
            yield Event(rejects=rejects, consumed=len(rejects))
            continue
        step = group.step if group.step is not None else default_step
        if config.budget == "group":
            batch, batch_step = [(group, result)], step
            yield from flush()
            continue
        if batch and (step != batch_step or (batch_groups and len(batch) >= batch_groups)):
            yield from flush()
        batch_step = step
        batch.append((group, result))
    yield from flush()

