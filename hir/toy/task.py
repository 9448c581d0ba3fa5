"""The built-in toy task: "Write about X." under 3-4 verifiable IFEval constraints.

It exists so that ``hir train`` runs end to end on a laptop CPU in minutes, and so that HiR can be
compared with binary-reward RL on a task where the reward is sparse by construction.

Two generators live here, both driven by a seeded ``random.Random`` and nothing else (same seed,
same output, in every process):

* ``make_splits`` draws instructions: a topic and 3-4 compatible constraints from the real
  registry ids (``ToyConstraint`` lists them), with their parameters drawn from small pools. The
  parameters are drawn by the *task generator*; no checker ever fills a missing parameter.
* ``demonstration`` writes a response to an instruction in a small word-salad grammar ("Water waves
  and fish shine deep."), satisfying each constraint independently with probability
  ``p_satisfy``. Which constraints a demonstration satisfies is decided first, then the text is
  built to match and *verified by the real checkers* (strict mode), so the satisfaction rates are
  what the real verdicts say, not what the generator hopes. These imperfect demonstrations are the
  warm-up data (``hir.toy.warmup``): the warmed-up policy follows single constraints often and all
  of them rarely, which is the sparse-reward regime HiR is for.
"""

from __future__ import annotations

import random
from itertools import combinations
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from constraints.engine import score

from ..instructions import ConstraintSpec, Instruction

# --- vocabulary pools --------------------------------------------------------------------------
# A demonstration's text is deterministic given its decisions: the topic, then the first words of
# one shared English sentence (FRAME). Only the constraint-relevant decisions are random (length,
# keyword or not, commas or not, case, quotes, bullets, end phrase). So the warm-up spends its
# steps on the constraints rather than on memorising word salad, and the response is plain
# English, which change_case:english_lowercase needs (it asks langdetect for "en").
# Keywords are chosen so that none is a substring of another response word: in reference
# semantics keywords:existence is a case-insensitive regex *search* ("art" is found in "start").

TOPICS: tuple[str, ...] = (
    "the ocean", "mountains", "coffee", "winter", "robots", "music", "gardens", "trains",
    "the moon", "bread", "cats", "rain", "cities", "forests", "books", "the desert",
)
# Words of the shared sentence; a comma may follow the words marked with a trailing ",".
FRAME: tuple[str, ...] = tuple(
    "is a good thing to write about, because it is calm and kind, and it makes me happy, "
    "when i think about it in the morning, or at night with my friends, who like it too".split())
KEYWORDS: tuple[str, ...] = ("river", "golden", "magic", "silver", "thunder")
END_PHRASES: tuple[str, ...] = ("peace", "the end", "thank you", "goodbye", "cheers")
SHORT_LIMITS: tuple[int, ...] = (8, 10, 12)   # "less than N words"
LONG_LIMITS: tuple[int, ...] = (14, 16, 18)   # "at least N words"
BULLET_COUNTS: tuple[int, ...] = (2, 3, 4)

# Response lengths (in IFEval words) outside any length constraint.
FREE_LENGTH = (6, 16)
MAX_WORDS = 26

TASK = "Write about {topic}."


def response_words() -> list[str]:
    """Every word a demonstration can contain (lowercase), for tokenizer coverage and tests."""
    out = {w.strip(",") for w in FRAME} | set(KEYWORDS)
    for text in TOPICS + END_PHRASES:
        out.update(text.split())
    return sorted(out)


# --- constraint families -----------------------------------------------------------------------

KEYWORD = "keywords:existence"
LENGTH = "length_constraints:number_words"
END = "startend:end_checker"
LOWER = "change_case:english_lowercase"
NO_COMMA = "punctuation:no_comma"
QUOTE = "startend:quotation"
BULLETS = "detectable_format:number_bullet_lists"


def _draw_length(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"relation": "less than", "num_words": rng.choice(SHORT_LIMITS)}
    return {"relation": "at least", "num_words": rng.choice(LONG_LIMITS)}


# id -> parameter drawer, in the order constraints are listed in a prompt. The two families whose
# parameter must be copied into the response come last, nearest to the response: a tiny model
# learns to retrieve a nearby token much sooner than a distant one. (With the end phrase last
# instead, one measured run started lower and learnt slower: 0.03 -> 0.48 held-out ILA in 20 RL
# steps, against 0.15 -> 0.63 with this order.)
FAMILIES: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    LENGTH: _draw_length,
    LOWER: lambda rng: {},
    NO_COMMA: lambda rng: {},
    QUOTE: lambda rng: {},
    BULLETS: lambda rng: {"num_bullets": rng.choice(BULLET_COUNTS)},
    END: lambda rng: {"end_phrase": rng.choice(END_PHRASES)},
    KEYWORD: lambda rng: {"keywords": [rng.choice(KEYWORDS)]},
}


def short_sentence(constraint_id: str, kwargs: dict[str, Any]) -> str:
    """A short wording of a toy constraint (the IFEval sentences are 10-30 tokens each).

    Short prompts make every step of the tiny model cheaper, and they put the word to copy (the
    keyword, the end phrase) in the same form and a short distance from where the response
    needs it, which the model learns in far fewer steps.
    """
    if constraint_id == LENGTH:
        return f"Use {kwargs['relation']} {kwargs['num_words']} words."
    if constraint_id == LOWER:
        return "Use only lowercase letters."
    if constraint_id == NO_COMMA:
        return "Do not use commas."
    if constraint_id == QUOTE:
        return "Wrap the answer in double quotes."
    if constraint_id == BULLETS:
        return f"Use exactly {kwargs['num_bullets']} bullet points."
    if constraint_id == END:
        return f"End with the words {kwargs['end_phrase']}."
    if constraint_id == KEYWORD:
        return f"Include the word {kwargs['keywords'][0]}."
    raise KeyError(constraint_id)


# Pairs the toy grammar never combines: a quoted response's first line starts with '"', so its
# first bullet is not a markdown bullet.
INCOMPATIBLE: frozenset[frozenset[str]] = frozenset({frozenset({QUOTE, BULLETS})})


@dataclass(frozen=True)
class ToyPrompt:
    """One drawn instruction: a topic and index-aligned constraint ids and parameters."""

    topic: str
    ids: tuple[str, ...]
    kwargs: tuple[dict[str, Any], ...]

    @property
    def key(self) -> str:
        """Identity used to keep the eval split disjoint from the train split."""
        return repr((self.topic, self.ids, [sorted(k.items()) for k in self.kwargs]))

    phrasing: str = "short"

    def instruction(self) -> Instruction:
        """The instruction; with ``phrasing="short"`` each constraint carries a short sentence
        (``ConstraintSpec.text``), with ``"ifeval"`` the checker's own IFEval sentence."""
        return Instruction(task=TASK.format(topic=self.topic), template="inline",
                           constraints=[ConstraintSpec(id=i, kwargs=dict(k),
                                                       text=short_sentence(i, k)
                                                       if self.phrasing == "short" else None)
                                        for i, k in zip(self.ids, self.kwargs)])

    def checkers(self, semantics: str = "corrected") -> list:
        return self.instruction().checkers(semantics)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ToyTaskConfig:
    """Size and difficulty of the toy task."""

    n_train: int = 2000
    n_eval: int = 200
    min_constraints: int = 3
    max_constraints: int = 4
    families: tuple[str, ...] = tuple(FAMILIES)
    phrasing: str = "short"   # "short" sentences or the checkers' own "ifeval" sentences

    def __post_init__(self) -> None:
        # draw_prompt redraws until the families are compatible: more than a compatible set
        # holds would never end
        most = max_compatible(self.families)
        if not 1 <= self.min_constraints <= self.max_constraints <= most:
            raise ValueError(f"constraints per prompt must satisfy 1 <= min <= max <= {most} (the "
                             f"largest set of mutually compatible families), got "
                             f"{self.min_constraints}..{self.max_constraints}")


def max_compatible(families: Sequence[str]) -> int:
    """The size of the largest subset of ``families`` with no incompatible pair."""
    families = list(dict.fromkeys(families))
    return max((len(ids) for r in range(len(families) + 1)
                for ids in combinations(families, r) if _compatible(ids)), default=0)


def _compatible(ids: Sequence[str]) -> bool:
    return not any(frozenset({a, b}) in INCOMPATIBLE for i, a in enumerate(ids) for b in ids[i + 1:])


def _feasible(ids: Sequence[str], kwargs: Sequence[dict[str, Any]]) -> bool:
    """Whether some response of the grammar satisfies every constraint: a "less than N words"
    limit must leave room for the topic, the keyword, the end phrase and one word per bullet."""
    spec = dict(zip(ids, kwargs))
    if LENGTH not in spec or spec[LENGTH]["relation"] != "less than":
        return True
    need = 2 + (2 if KEYWORD in spec else 0)
    need += len(spec[END]["end_phrase"].split()) if END in spec else 0
    need = max(need, 2 * spec[BULLETS]["num_bullets"]) if BULLETS in spec else need
    return need < spec[LENGTH]["num_words"]


def draw_prompt(rng: random.Random, config: ToyTaskConfig = ToyTaskConfig()) -> ToyPrompt:
    """Draw one instruction: a topic and k distinct, mutually compatible, jointly satisfiable
    constraint families with their parameters (k uniform in [min, max] constraints)."""
    families = list(config.families)
    while True:
        k = rng.randint(config.min_constraints, config.max_constraints)
        ids = sorted(rng.sample(families, k), key=list(FAMILIES).index)
        kwargs = tuple(FAMILIES[i](rng) for i in ids)
        topic = rng.choice(TOPICS)
        if not (_compatible(ids) and _feasible(ids, kwargs)):
            continue
        prompt = ToyPrompt(topic=topic, ids=tuple(ids), kwargs=kwargs,
                           phrasing=config.phrasing)
        # A short lowercase text may not be detected as English: keep such an instruction only if
        # the grammar can satisfy it completely, checked by writing a perfect response.
        if LOWER not in ids or all(demonstration(prompt, random.Random(prompt.key), 1.0)[1]):
            return prompt


def prompt_text(prompt: ToyPrompt) -> str:
    """The prompt as the model sees it (the instruction rendered with its template)."""
    return prompt.instruction().render()


def make_prompts(seed: int, config: ToyTaskConfig = ToyTaskConfig()
                 ) -> tuple[list[ToyPrompt], list[ToyPrompt]]:
    """Deterministic train and held-out eval prompts; no eval prompt is ever a train prompt.

    The eval split is drawn first, from its own stream, so that changing ``n_train`` never changes
    it. Eval prompts are distinct; train prompts may repeat (they are sampled with replacement).
    """
    eval_rng = random.Random(f"hir-toy-eval-{seed}")
    train_rng = random.Random(f"hir-toy-train-{seed}")
    eval_prompts: list[ToyPrompt] = []
    seen: set[str] = set()
    while len(eval_prompts) < config.n_eval:
        p = draw_prompt(eval_rng, config)
        if p.key not in seen:
            seen.add(p.key)
            eval_prompts.append(p)
    train_prompts: list[ToyPrompt] = []
    while len(train_prompts) < config.n_train:
        p = draw_prompt(train_rng, config)
        if p.key not in seen:
            train_prompts.append(p)
    return train_prompts, eval_prompts


def make_splits(seed: int, config: ToyTaskConfig = ToyTaskConfig()
                ) -> tuple[list[Instruction], list[Instruction]]:
    """``make_prompts`` as ``Instruction`` objects (what the trainer consumes)."""
    train, held_out = make_prompts(seed, config)
    return [p.instruction() for p in train], [p.instruction() for p in held_out]


# --- demonstrations ----------------------------------------------------------------------------


@dataclass
class _Plan:
    """What a demonstration will look like, decided before its text is written."""

    n_words: int
    bullets: int = 0
    keyword: str | None = None
    end_phrase: str | None = None
    commas: bool = False
    lowercase: bool = False
    quoted: bool = False


def _length_range(kw: dict[str, Any], satisfy: bool) -> tuple[int, int]:
    n = kw["num_words"]
    if kw["relation"] == "less than":
        return (3, n - 1) if satisfy else (n, n + 6)
    return (n, min(n + 6, MAX_WORDS)) if satisfy else (max(3, n - 6), n - 1)


def _plan(prompt: ToyPrompt, targets: Sequence[bool], rng: random.Random) -> _Plan:
    words_range = FREE_LENGTH
    plan = _Plan(n_words=0, commas=rng.random() < 0.5)
    for cid, kw, ok in zip(prompt.ids, prompt.kwargs, targets):
        if cid == KEYWORD:
            plan.keyword = kw["keywords"][0] if ok else None
        elif cid == LENGTH:
            words_range = _length_range(kw, ok)
        elif cid == END:
            plan.end_phrase = kw["end_phrase"] if ok else None
        elif cid == LOWER:
            plan.lowercase = ok
        elif cid == NO_COMMA:
            plan.commas = not ok
        elif cid == QUOTE:
            plan.quoted = ok
        elif cid == BULLETS:
            n = kw["num_bullets"]
            plan.bullets = n if ok else rng.choice([b for b in (0, n - 1, n + 1) if b != 1])
    plan.n_words = rng.randint(*words_range)
    return plan


def _write(plan: _Plan, topic: str) -> str:
    """The text of a plan: topic [and keyword] FRAME... [end phrase], cut to ``n_words`` words."""
    head = topic.split() + (["and", plan.keyword] if plan.keyword else [])
    tail = plan.end_phrase.split() if plan.end_phrase else []
    n_frame = max(plan.n_words - len(head) - len(tail), 0)
    words = head + list(FRAME[:n_frame]) + tail
    if not plan.commas:
        words = [w.rstrip(",") for w in words]
    n_parts = max(1, min(plan.bullets, len(words))) if plan.bullets else 1
    # Bullets share the words as evenly as possible, the first ones taking the remainder.
    size, extra = divmod(len(words), n_parts)
    parts, at = [], 0
    for i in range(n_parts):
        step = size + (1 if i < extra else 0)
        parts.append(words[at:at + step])
        at += step
    rendered = []
    for i, part in enumerate(parts):
        part = list(part)
        part[-1] = part[-1].rstrip(",")
        if not plan.lowercase:
            part[0] = part[0][:1].upper() + part[0][1:]
        text = " ".join(part)
        if not (plan.end_phrase and i == n_parts - 1):
            text += "."
        rendered.append(text)
    body = "\n".join("* " + t for t in rendered) if plan.bullets else " ".join(rendered)
    return f'"{body}"' if plan.quoted else body


def demonstration(prompt: ToyPrompt, rng: random.Random, p_satisfy: float = 0.5,
                  *, max_tries: int = 20) -> tuple[str, list[bool]]:
    """An imperfect response to ``prompt`` and the real strict verdicts on it.

    Each constraint is independently targeted as satisfied with probability ``p_satisfy``. The
    text is rewritten (new random length and variants) until the real checkers agree with every
    target, at most ``max_tries`` times; after that the last text is returned with whatever the
    checkers said, so the verdicts returned are always the real ones.
    """
    checkers = prompt.checkers()
    targets = [rng.random() < p_satisfy for _ in prompt.ids]
    text, got = "", []
    for _ in range(max_tries):
        text = _write(_plan(prompt, targets, rng), prompt.topic)
        got = [v.passed for v in score(checkers, text, modes=("strict",)).strict]
        if got == targets:
            break
    return text, got
