"""Instructions: a task plus atomic, checkable constraints, and how they are rendered as a prompt.

An ``Instruction`` is the unit HiR rewrites: hindsight relabeling keeps the task and the template
and drops the constraints a response failed. The prompt is always *rendered* from the parts, so a
rewritten instruction reads as naturally as the original (no dangling "and" from a deleted clause).

Templates (the prompt layouts of the HiR training data):

- ``inline``   task, a space, the constraint sentences joined by spaces
- ``newline``  task, a newline, the constraint sentences joined by spaces
- ``rules``    task, newline, "The output must follow the following rules:", then one numbered rule
               per line (MulDimIF's Listing form; numbers are recomputed on every render)
- ``bullets``  task, then one "- sentence" line per constraint
- ``prefix``   the constraint sentences first, a blank line, then the task
- ``lines``    task, then one constraint sentence per line

A constraint's sentence is its ``text`` when given (MulDimIF rules, hand-written phrasings), else the
checker's ``describe()``. With no constraints every template renders the bare task.

Checkers that read the prompt get the rendered prompt, as ``hir check`` gives them the row's prompt.
A prompt-reading verdict can therefore change when relabeling rewrites the prompt; ``hir.relabel``
re-checks every replay under its hindsight prompt for exactly that reason.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Iterable, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field

from constraints import Checker, Semantics, build, build_all

Template = Literal["inline", "newline", "rules", "bullets", "prefix", "lines"]
TEMPLATES: tuple[str, ...] = ("inline", "newline", "rules", "bullets", "prefix", "lines")

RULES_HEADER = "The output must follow the following rules:"


class ConstraintSpec(BaseModel):
    """One atomic constraint: a registered checker id, its parameters, and optionally its wording.

    ``kwargs`` are the checker's parameters exactly as IFEval/IFBench files give them (null values mean
    "not given"). ``text`` overrides the checker's own sentence in the rendered prompt.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    text: str | None = None

    def checker(self, *, prompt: str | None = None, semantics: Semantics = "reference",
                index: int | None = None) -> Checker:
        return build(self.id, self.kwargs, prompt=prompt, semantics=semantics, index=index)

    def with_kwargs(self, kwargs: dict[str, Any]) -> "ConstraintSpec | None":
        """The same constraint with new parameters, its wording rephrased to match.

        Without ``text`` the checker's sentence follows the parameters by itself. A hand-written
        ``text`` is rephrased only where every changed value appears in it exactly once, as a
        whole word ("Use exactly 3 bullet points." -> "... 2 ..."); otherwise None: a wording
        that would still name the old value must not be kept under new parameters.
        """
        text = self.text
        if text is not None:
            for key, value in kwargs.items():
                old = self.kwargs.get(key)
                if old == value:
                    continue
                if not isinstance(old, (str, int)) or isinstance(old, bool) or str(old) == "":
                    return None
                found = [m for m in re.finditer(re.escape(str(old)), text)
                         if not _word_char(text, m.start() - 1) and not _word_char(text, m.end())]
                if len(found) != 1:
                    return None
                at = found[0]
                text = text[:at.start()] + str(value) + text[at.end():]
        return ConstraintSpec(id=self.id, kwargs=dict(kwargs), text=text)

    def sentence(self, *, index: int | None = None) -> str:
        """The constraint as it appears in the prompt."""
        if self.text is not None:
            return self.text
        return self.checker(index=index).describe()


def _word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


class Instruction(BaseModel):
    """A task and its constraints, rendered with one of ``TEMPLATES``.

    JSON round-trips losslessly: ``Instruction.model_validate(i.model_dump()) == i`` and
    ``Instruction.model_validate_json(i.model_dump_json()) == i``.
    """

    model_config = ConfigDict(extra="forbid")

    task: str
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    template: Template = "inline"
    # Text rendered after the constraints, e.g. the "【Data】" section some MulDimIF prompts end with.
    context: str | None = None

    # -- the constraint list --------------------------------------------------------------------

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.constraints]

    @property
    def kwargs(self) -> list[dict[str, Any]]:
        return [dict(c.kwargs) for c in self.constraints]

    def checkers(self, semantics: Semantics = "reference", *, prompt: str | None = None
                 ) -> list[Checker]:
        """One built checker per constraint, index-aligned; ``ConstraintError`` names the bad one.

        Checkers that read the prompt get ``prompt`` (default: ``render()``, built only if one of
        them needs it).
        """
        built = build_all(self.ids, self.kwargs, semantics=semantics)
        needs = [i for i, c in enumerate(built) if c.uses_prompt]
        if not needs:
            return built
        if prompt is None:
            prompt = render(self.task, [s.text if s.text is not None else built[i].describe()
                                        for i, s in enumerate(self.constraints)], self.template)
            prompt = self._with_context(prompt)
        for i in needs:
            built[i] = self.constraints[i].checker(prompt=prompt, semantics=semantics, index=i)
        return built

    @classmethod
    def from_json(cls, data: "dict[str, Any] | str | bytes") -> "Instruction":
        """Parse an instruction object (or its JSON text); pydantic ``ValidationError`` if invalid."""
        if isinstance(data, (str, bytes)):
            return cls.model_validate_json(data)
        return cls.model_validate(data)

    def to_json(self) -> dict[str, Any]:
        """The JSON object form (``from_json(to_json())`` gives an equal instruction)."""
        return self.model_dump(mode="json")

    def keep(self, indices: Iterable[int]) -> "Instruction":
        """The instruction with only the constraints at ``indices``, in their original order."""
        wanted = set(indices)
        n = len(self.constraints)
        bad = sorted(i for i in wanted if not 0 <= i < n)
        if bad:
            raise IndexError(f"constraint indices {bad} out of range for {n} constraints")
        kept = [c.model_copy(deep=True) for i, c in enumerate(self.constraints) if i in wanted]
        return Instruction(task=self.task, constraints=kept, template=self.template,
                           context=self.context)

    # -- rendering --------------------------------------------------------------------------------

    def sentences(self) -> list[str]:
        """Each constraint's sentence: its ``text``, else its checker's ``describe()``."""
        return [c.sentence(index=i) for i, c in enumerate(self.constraints)]

    def render(self) -> str:
        """The prompt text."""
        return self._with_context(render(self.task, self.sentences(), self.template))

    def _with_context(self, text: str) -> str:
        return f"{text}\n\n{self.context.strip()}" if self.context else text

    def messages(self, system: str | None = None) -> list[dict[str, str]]:
        """Chat messages: an optional system turn, then the rendered prompt as the user turn."""
        out = [{"role": "system", "content": system}] if system is not None else []
        out.append({"role": "user", "content": self.render()})
        return out


def render(task: str, sentences: Sequence[str], template: str = "inline") -> str:
    """Lay out a task and constraint sentences with a template (see the module docstring)."""
    task = task.strip()
    sentences = [s.strip() for s in sentences]
    if not sentences:
        return task
    if template == "inline":
        return f"{task} {' '.join(sentences)}"
    if template == "newline":
        return f"{task}\n{' '.join(sentences)}"
    if template == "rules":
        rules = "\n".join(f"{i}. {s}" for i, s in enumerate(sentences, 1))
        return f"{task}\n{RULES_HEADER}\n{rules}"
    if template == "bullets":
        return task + "".join(f"\n- {s}" for s in sentences)
    if template == "prefix":
        return f"{' '.join(sentences)}\n\n{task}"
    if template == "lines":
        return task + "".join(f"\n{s}" for s in sentences)
    raise ValueError(f"template must be one of {TEMPLATES}, got {template!r}")


# -- MulDimIF listing prompts --------------------------------------------------------------------

_HEADER_RE = re.compile(r"the output must follow the following rules\s*:", re.IGNORECASE)
# A rule's text is ``.strip()``ped after the match: a ``\s*(.*?)\s*$`` tail backtracks
# quadratically on a long run of spaces inside a line.
_RULE_RE = re.compile(r"^\s*(\d+)[.)](.*)$")
_CONSTRAINT_LIST = "【Constraint List】"
_LIST_OPEN_RE = re.compile(r"\s*:\s*\[")


def _constraint_list(prompt: str) -> tuple[int, str] | None:
    r"""Where the first ``【Constraint List】:[...]`` that ends the prompt starts, and its literal.

    What ``re.search(r"【Constraint List】\s*:\s*(\[.*\])\s*$", prompt, re.DOTALL)`` finds, in
    linear time: the regex rescans the rest of the prompt from every occurrence of the marker.
    """
    tail = prompt.rstrip()
    if not tail.endswith("]"):
        return None
    start = prompt.find(_CONSTRAINT_LIST)
    while start >= 0:
        opened = _LIST_OPEN_RE.match(prompt, start + len(_CONSTRAINT_LIST))
        if opened is not None and opened.end() < len(tail):
            return start, prompt[opened.end() - 1:len(tail)]
        start = prompt.find(_CONSTRAINT_LIST, start + 1)
    return None

UNCHECKED_GROUP = "text"


def unchecked_id(kind: str = "rule") -> str:
    """Id for a constraint known only by its wording (no registered checker checks it)."""
    slug = re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_") or "rule"
    return f"{UNCHECKED_GROUP}:{slug}"


def parse_listing(prompt: str, ids: Sequence[str | ConstraintSpec | None] | None = None
                  ) -> Instruction:
    """Parse a MulDimIF Listing prompt: a task, the rules header, then numbered rules.

    Each rule becomes a constraint whose ``text`` is the rule as written (whitespace trimmed). Its id
    is ``ids[i]`` when given (a constraint id, or a full ``ConstraintSpec`` whose ``text`` is then
    filled from the rule), else ``text:rule`` (renders, but no checker checks it). Accepts the
    irregular spacing of the public files (trailing spaces, 4-space indents, header on the task's
    line). Prose after a blank line that follows the rules (MulDimIF's "【Data】" section) is kept
    as ``context``. Raises ``ValueError`` when there is no rules header or no numbered rule, or when a rule is
    numbered out of sequence. ``render()`` of the result with the default spacing normalised gives the
    same task and rules back.
    """
    match = _HEADER_RE.search(prompt)
    if match is None:
        raise ValueError(f"no {RULES_HEADER!r} header in the prompt")
    task = prompt[:match.start()].strip()
    rules: list[list[str]] = []  # each rule's lines, joined at the end (linear in wrapped lines)
    lines = prompt[match.end():].splitlines()
    context: str | None = None
    blank = False
    for n, line in enumerate(lines):
        if not line.strip():
            blank = bool(rules)
            continue
        m = _RULE_RE.match(line)
        if m is None:
            if not rules:
                raise ValueError(f"expected a numbered rule after the header, got {line.strip()!r}")
            if blank:  # a blank line then prose: the rules are over, the rest is context
                context = "\n".join(lines[n:]).strip()
                break
            rules[-1].append(line.strip())  # a rule wrapped onto the next line
            continue
        blank = False
        number, text = int(m.group(1)), m.group(2).strip()
        if number != len(rules) + 1:
            raise ValueError(f"rule numbered {number} where {len(rules) + 1} was expected")
        rules.append([text])
    if not rules:
        raise ValueError("the rules header is followed by no numbered rule")
    return Instruction(task=task, constraints=_specs([" ".join(r) for r in rules], ids),
                       template="rules", context=context)


def _specs(texts: Sequence[str], ids: Sequence[str | ConstraintSpec | None] | None
           ) -> list[ConstraintSpec]:
    if ids is not None and len(ids) != len(texts):
        raise ValueError(f"{len(ids)} ids for {len(texts)} rules (they must be index-aligned)")
    out = []
    for i, text in enumerate(texts):
        given = ids[i] if ids is not None else None
        if isinstance(given, ConstraintSpec):
            out.append(given.model_copy(update={"text": given.text or text}, deep=True))
        else:
            out.append(ConstraintSpec(id=given or unchecked_id(), text=text))
    return out


def from_muldimif(item: dict[str, Any], ids: Sequence[str | ConstraintSpec | None] | None = None
                  ) -> Instruction:
    """An ``Instruction`` from one MulDimIF item (``conversations`` + ``constraints``).

    Listing prompts are parsed with ``parse_listing``. Items whose prompt instead ends with a
    ``【Constraint List】:[[type, subtype, text], ...]`` literal keep the text before it as the task.
    Without ``ids``, each constraint's id is ``text:<type>_<subtype>`` from the item's ``constraints``
    triples (unchecked: no registered checker).
    """
    turns = item.get("conversations") or []
    user = [t for t in turns if t.get("role") == "user"]
    if not user:
        raise ValueError("item has no user turn in 'conversations'")
    prompt = user[0]["content"]
    triples = item.get("constraints") or []
    default_ids = [unchecked_id(f"{t[0]}_{t[1]}") if len(t) >= 3 else None for t in triples]
    if _HEADER_RE.search(prompt):
        inst = parse_listing(prompt, ids)
        if ids is None and len(default_ids) == len(inst.constraints):
            inst = inst.model_copy(update={"constraints": [
                c.model_copy(update={"id": d or c.id}) for c, d in zip(inst.constraints, default_ids)]})
        return inst
    found = _constraint_list(prompt)
    if found is None:
        raise ValueError("prompt has neither a rules list nor a 【Constraint List】")
    listed = ast.literal_eval(found[1])
    texts = [str(t[2]) for t in listed]
    task = prompt[:found[0]].strip()
    specs = _specs(texts, ids if ids is not None else
                   [unchecked_id(f"{t[0]}_{t[1]}") for t in listed])
    return Instruction(task=task, constraints=specs, template="rules")
