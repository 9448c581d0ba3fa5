"""What the TRL and verl adapters share: a trainer's row as a ``hir.rows.Row``, and the replay plan
of one generated batch. Plain Python on ``hir`` (no torch, no trl, no verl).

A trainer hands us, per sample, its dataset columns, a prompt (a string or chat messages) and a
completion (the same). ``row_of`` turns them into the one parsed row form (``hir.rows.parse``: our
instruction form, IFEval ``instruction_id_list`` + ``kwargs``, verl/HIR-16K ground truths), so the
adapters judge exactly what ``hir check`` and ``hir relabel`` judge. ``plan`` runs HiR's steps 1-5
(``hir.relabel``) over a batch of groups and counts the all-fail groups before and after replay.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from hir.instructions import Instruction
from hir.knobs import RelabelConfig
from hir.masks import Mask
from hir.relabel import Selected, group_masks, relabel
from hir.rows import Row, RowError, parse

# RL rewards judge with the corrected semantics, as ``hir train`` does (docs/train.md, step 2): the
# reward should not inherit the reference checkers' wrong verdicts.
DEFAULT_CONFIG = RelabelConfig(semantics="corrected")

# Fields of a row that say what the *response* is; a trainer's own columns never set them.
RESPONSE_FIELDS = ("response", "responses", "output")


def text_of(value: Any) -> str:
    """The text of a prompt or completion: a string, or the last message of a chat (its string
    content, or the text parts of a content list)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and value and isinstance(value[-1], Mapping):
        content = value[-1].get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(p.get("text", "") for p in content
                           if isinstance(p, Mapping) and p.get("type") == "text")
    raise TypeError(f"expected a string or chat messages, got {type(value).__name__}")


def user_text(prompt: Any) -> str:
    """The user's words in a prompt: the string itself, or the last user turn of a chat."""
    if isinstance(prompt, str):
        return prompt
    users = [m for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"]
    if not users:
        raise TypeError("the chat prompt has no user turn")
    return text_of([users[-1]])


def with_user_text(prompt: Any, old: str, new: str) -> Any:
    """``prompt`` with its user text rewritten: ``old`` (the rendered original instruction)
    replaced by ``new`` (the hindsight one) where it occurs, else the whole user text replaced.
    A chat keeps its other turns (system prompt included)."""
    def rewrite(text: str) -> str:
        return text.replace(old, new, 1) if old and old in text else new

    if isinstance(prompt, str):
        return rewrite(prompt)
    messages = [dict(m) for m in prompt]
    last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
    messages[last_user]["content"] = rewrite(user_text(prompt))
    return messages


def describe(exc: RowError) -> str:
    """A row error as one line: ``field 'F': message`` (the field as the row spells it)."""
    return f"field '{exc.field}': {exc.message}" if exc.field else exc.message


def row_of(columns: Mapping[str, Any], *, prompt: str | None,
           responses: Sequence[str] = (), source: str = "<batch>", line: int = 0) -> Row:
    """The parsed row of one sample: its dataset ``columns`` (constraints in any ``hir.rows``
    form), the user text of its ``prompt``, and its ``responses``. ``RowError`` names the field at
    fault as the columns spell it."""
    value = {k: v for k, v in columns.items() if k not in RESPONSE_FIELDS}
    if prompt is not None:
        value["prompt"] = prompt
    if responses:
        value["responses"] = list(responses)
    return parse(value, source=source, line=line)


@dataclass
class Plan:
    """The replays of one batch of groups and what the batch looked like."""

    selected: list[Selected]                    # in (group, response) order
    masks: list[list[Mask] | None]              # per group; None: the group could not be judged
    errors: list[RowError | None]               # per group: why it could not be judged
    failed: list[int] = field(default_factory=list)  # judged groups with no fully satisfying
    lambda_: float = 0.0                             # response (all-fail groups)
    rates: dict[str, tuple[int, int]] = field(default_factory=dict)  # id -> (satisfied, judged)

    @property
    def all_failed_before(self) -> int:
        return len(self.failed)

    def all_failed_after(self, replays: Iterable[Selected] | None = None) -> int:
        """All-fail groups that get no replay (of ``replays``, default: every selected one)."""
        replayed = {s.group for s in (self.selected if replays is None else replays)}
        return sum(g not in replayed for g in self.failed)


def plan(groups: Sequence[Row | RowError], entropies: Sequence[Sequence[float | None] | None],
         *, step: int, config: RelabelConfig = DEFAULT_CONFIG) -> Plan:
    """Mask every response of every group, select and rewrite (``hir.relabel.relabel``).

    ``groups[g]`` is a row holding its group's responses, or the ``RowError`` its columns raised;
    ``entropies[g]`` is index-aligned with its responses (None: rank by CLA). A group that cannot
    be judged, or whose constraints are baked into a fixed prompt (``Row.replayable`` false), gets
    no replay.
    """
    masks: list[list[Mask] | None] = []
    errors: list[RowError | None] = []
    for g in groups:
        if isinstance(g, RowError):
            masks.append(None)
            errors.append(g)
            continue
        try:
            masks.append(group_masks(g, config))
            errors.append(None)
        except RowError as exc:
            masks.append(None)
            errors.append(exc)
    usable = [isinstance(g, Row) and m is not None and g.replayable for g, m in zip(groups, masks)]
    lam = config.lambda_at(step)
    empty = Instruction(task="")
    selected = relabel([g.instruction if ok else empty for g, ok in zip(groups, usable)],
                       [list(g.responses) if ok else [] for g, ok in zip(groups, usable)],
                       [m if ok else [] for m, ok in zip(masks, usable)],
                       [e if ok else None for e, ok in zip(entropies, usable)],
                       lambda_=lam, config=config)
    failed = [g for g, ms in enumerate(masks) if ms is not None and not any(m.ila for m in ms)]
    rates = constraint_rates((row.ids, m) for row, ms in zip(groups, masks)
                             if ms is not None for m in ms)
    return Plan(selected, masks, errors, failed, lam, rates)


def constraint_rates(pairs: Iterable[tuple[Sequence[str], Mask]]) -> dict[str, tuple[int, int]]:
    """Per constraint id: (responses that satisfied it, responses judged on it)."""
    satisfied: Counter[str] = Counter()
    judged: Counter[str] = Counter()
    for ids, m in pairs:
        for cid, ok in zip(ids, m.satisfied):
            judged[cid] += 1
            satisfied[cid] += ok
    return {cid: (satisfied[cid], judged[cid]) for cid in sorted(judged)}
