"""Differential conformance test: our IFEval checkers against the live reference, on new responses.

    nice python tests/conformance/differential_ifeval.py [--seed 0] [--limit N] [--jobs 2]
        [--semantics reference|corrected] [--show 3] [--dump FILE]
        [--cross 8] [--stacks 6] [--others 2] [--trials 21] [--cache-dir DIR] [--data FILE...]

See docs/conformance.md for what it measures and the numbers. An opt-in script, not a pytest
module (its name does not match ``test_*.py``): it needs the live reference, which
``benchmarks/_reference.py`` sets up (a download on the first run), and takes minutes.

The shared conformance file proves agreement on 541 real responses; users score other responses.
This harness makes tens of thousands of new (prompt, response) pairs from the real ones by
deterministic mutations aimed at the edges of the checkers (cut to k words or sentences around
the prompt's own thresholds, paragraphs and lines dropped or duplicated, commas, case, markdown
highlights, bullets and headers, ``***`` dividers, P.S. markers in several places, quotes, JSON
fences, ``SECTION X`` splits, placeholders, end phrases, keyword and letter counts set to
threshold +-1, ...), plus cross pairings (one prompt's constraints, another prompt's real
response) and stacks of two mutations. Everything is drawn from ``random.Random`` seeded by
(``--seed``, row key, mutation name), so the corpus is the same on every run and machine.

Both implementations judge every pair, strict and loose, per instruction: the reference
(``lm_eval.tasks.ifeval``, set up offline by ``benchmarks/_reference.py``) in separate interpreters
(``--jobs`` of them), ours (``constraints``, ``semantics="reference"``) in this one. Left out of
the comparison, and counted as such, are the verdicts where the reference is not deterministic:

* langdetect verdicts (``language:response_language``; ``change_case:english_capital`` /
  ``english_lowercase`` when the text is all upper / lower case) on a text whose detected
  language depends on langdetect's random draws: the reference never seeds it. Each such text
  gets ``--trials`` single langdetect trials; one differing answer makes it unstable (see
  ``LanguageStability``). In loose mode one stably followed variant keeps the verdict stable.
* ``keywords:letter_frequency`` with a letter that is not an ASCII letter: the reference then
  draws a random letter.

The reference's verdicts are cached per pair under ``--cache-dir``, so a second run only runs the
reference on pairs it has not seen (new mutations, another ``--seed``). Output: a table of agreement per instruction id
and mode, the disagreements per mutation, and the first ``--show`` disagreements of each id
(key, mutation, expected, got, snippet). ``--dump`` writes every disagreement as JSONL. The exit
status is 1 when any stable verdict disagrees, a pair cannot be scored by us, or our seeded
language detection differs from langdetect's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))  # _reference.py, shared with the speed benchmarks

from _reference import DEFAULT_CACHE, LM_EVAL, score_with_reference, setup_reference  # noqa: E402

CONFORMANCE = REPO.parent / "shared" / "conformance" / "ifeval_llama_3b.jsonl"
SAMPLE = REPO / "examples" / "ifeval_sample.jsonl"
MODES = ("strict", "loose")
LANGDETECT_IDS = ("language:response_language", "change_case:english_capital",
                  "change_case:english_lowercase")


# ================================================================================================
# Base rows


@dataclass(frozen=True)
class Base:
    """A real (prompt, constraints, response) row that mutations start from."""

    key: str
    prompt: str
    ids: tuple[str, ...]
    kwargs: tuple[dict, ...]
    response: str
    recorded: dict | None = None  # the conformance file's verdicts: strict, loose, unstable modes

    def kw(self, constraint_id: str) -> dict | None:
        """The (non-null) kwargs of the first constraint with this id, or None if absent."""
        for i, kw in zip(self.ids, self.kwargs):
            if i == constraint_id:
                return {k: v for k, v in (kw or {}).items() if v is not None}
        return None


def load_bases(paths: list[Path]) -> list[Base]:
    bases = []
    for path in paths:
        prefix = "c" if path.name.startswith("ifeval_llama") else "s"
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            recorded = None
            if "strict" in row and "loose" in row:
                recorded = {"strict": row["strict"], "loose": row["loose"],
                            "unstable": row.get("reference_unstable", [])}
            bases.append(Base(f"{prefix}{row['key']}", row["prompt"],
                              tuple(row["instruction_id_list"]),
                              tuple(kw or {} for kw in row["kwargs"]), row["response"], recorded))
    return bases


# ================================================================================================
# Mutations. Each takes (rng, text, base) and returns {suffix: new text}; an empty dict means
# "does not apply". They are ordinary text edits: neither implementation's code is used to make
# them (only the reference's own ``\w+`` word notion, to cut at word k).

Mutation = Callable[[random.Random, str, Base], dict[str, str]]
MUTATIONS: dict[str, Mutation] = {}


def mutation(name: str):
    def register(fn: Mutation) -> Mutation:
        MUTATIONS[name] = fn
        return fn
    return register


_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


def _cut_after_word(text: str, k: int) -> str:
    """``text`` up to and including its k-th ``\\w+`` word."""
    for i, m in enumerate(_WORD.finditer(text), 1):
        if i == k:
            return text[:m.end()]
    return text


def _sentence_cuts(text: str) -> list[int]:
    return [m.start() for m in _SENTENCE_END.finditer(text)] + [len(text)]


def _around(n: int) -> list[int]:
    return sorted({max(n - 1, 1), n, n + 1})


def _paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def _words_of(text: str) -> list[re.Match]:
    return list(_WORD.finditer(text))


def _wrap_words(rng: random.Random, text: str, k: int, left: str, right: str) -> str:
    """Wrap k random words (or short phrases on one line) of ``text`` in left/right."""
    matches = _words_of(text)
    if not matches:
        return text
    chosen = sorted(rng.sample(range(len(matches)), min(k, len(matches))))
    out, pos = [], 0
    for i in chosen:
        m = matches[i]
        end = m.end()
        if rng.random() < 0.4 and i + 2 < len(matches) and "\n" not in text[m.start():matches[i + 2].end()]:
            end = matches[i + 2].end()  # a three-word phrase
        if m.start() < pos:
            continue
        out += [text[pos:m.start()], left, text[m.start():end], right]
        pos = end
    out.append(text[pos:])
    return "".join(out)


@mutation("trunc_words")
def trunc_words(rng, text, base):
    total = len(_words_of(text))
    if total < 2:
        return {}
    ks = {rng.randint(1, total), max(1, total // 2), 3}
    kw = base.kw("length_constraints:number_words")
    if kw:
        ks.update(_around(kw["num_words"]))
    return {str(k): _cut_after_word(text, k) for k in sorted(ks) if k < total}


@mutation("trunc_sentences")
def trunc_sentences(rng, text, base):
    cuts = _sentence_cuts(text)
    if len(cuts) < 2:
        return {}
    ks = {1, rng.randint(1, len(cuts))}
    kw = base.kw("length_constraints:number_sentences")
    if kw:
        ks.update(_around(kw["num_sentences"]))
    return {str(k): text[:cuts[k - 1]] for k in sorted(ks) if k < len(cuts)}


@mutation("paragraphs")
def paragraphs(rng, text, base):
    paras = _paragraphs(text)
    out = {}
    if len(paras) > 1:
        i = rng.randrange(len(paras))
        out["drop"] = "\n\n".join(paras[:i] + paras[i + 1:])
        out["dup"] = "\n\n".join(paras[:i + 1] + paras[i:])
        out["drop_last"] = "\n\n".join(paras[:-1])
        out["merge"] = " ".join(p.strip() for p in paras)
        out["blank_lines"] = "\n\n\n\n".join(paras)  # empty paragraphs between the real ones
        out["leading_blank"] = "\n\n" + text
    cuts = _sentence_cuts(text)
    if len(cuts) > 2:
        pieces = [text[a:b].strip() for a, b in zip([0] + cuts, cuts)]
        out["one_per_sentence"] = "\n\n".join(p for p in pieces if p)
    kw = base.kw("length_constraints:nth_paragraph_first_word")
    if kw and len(paras) >= 1:
        n, word = kw["num_paragraphs"], kw["first_word"]
        body = [p for p in paras if p.strip()] or [text]
        body = (body * n)[:n]
        nth = kw["nth_paragraph"] - 1
        fixed = list(body)
        fixed[nth] = word.capitalize() + " " + fixed[nth].lstrip()
        out["nth_fixed"] = "\n\n".join(fixed)
        quoted = list(body)
        quoted[nth] = f'"{word.upper()}," ' + quoted[nth].lstrip()
        out["nth_quoted"] = "\n\n".join(quoted)
        out["nth_extra_blank"] = "\n\n\n\n".join(fixed)
        out["nth_short"] = "\n\n".join(fixed[:-1]) if n > 1 else fixed[0] + "\n\nMore."
    return out


@mutation("dividers")
def dividers(rng, text, base):
    paras = [p for p in _paragraphs(text) if p.strip()]
    out = {}
    kw = base.kw("length_constraints:number_paragraphs")
    if kw:
        n = kw["num_paragraphs"]
        for k in _around(n):
            body = (paras * k)[:k] if paras else [text] * k
            out[f"{k}_lines"] = "\n\n***\n\n".join(body)
        body = (paras * n)[:n] if paras else [text] * n
        out["inline"] = " *** ".join(body)
        out["tight"] = "***".join(body)
        out["spaced_stars"] = "\n\n* * *\n\n".join(body)
        out["double"] = "\n\n***\n\n***\n\n".join(body)
        out["leading_trailing"] = "***\n" + "\n***\n".join(body) + "\n***"
    if len(paras) > 1:
        out["between"] = "\n\n***\n\n".join(paras)
    out["bold_italic"] = _wrap_words(rng, text, 2, "***", "***")
    return out


@mutation("lines")
def lines(rng, text, base):
    ls = text.split("\n")
    out = {"intro": "Sure! Here is my answer:\n\n" + text, "outro": text + "\n\nI hope this helps!",
           "both": "Sure, here you go:\n" + text + "\nLet me know if you need more."}
    if len(ls) > 1:
        i = rng.randrange(len(ls))
        out["drop"] = "\n".join(ls[:i] + ls[i + 1:])
        out["dup"] = "\n".join(ls[:i + 1] + ls[i:])
        out["drop_first"] = "\n".join(ls[1:])
        out["drop_last"] = "\n".join(ls[:-1])
    return out


@mutation("commas")
def commas(rng, text, base):
    out = {"remove": text.replace(",", "")}
    spaces = [m.start() for m in re.finditer(r"\w ", text)]
    if spaces:
        i = rng.choice(spaces) + 1
        out["add_one"] = text[:i] + "," + text[i:]
    out["fullwidth"] = text.replace(",", "\uff0c")
    out["spaced"] = text.replace(", ", " , ")
    return out


@mutation("case")
def case(rng, text, base):
    out = {"upper": text.upper(), "lower": text.lower(), "title": text.title(),
           "swap": text.swapcase()}
    sentence_end = _sentence_cuts(text)[0]
    out["upper_first_sentence"] = text[:sentence_end].upper() + text[sentence_end:]
    out["lower_but_I"] = re.sub(r"\bi\b", "I", text.lower())
    out["upper_but_url"] = text.upper() + " https://example.com"
    kw = base.kw("change_case:capital_word_frequency")
    matches = _words_of(text.lower())
    if kw and matches:
        low = text.lower()
        for k in _around(kw["capital_frequency"]):
            chosen = set(rng.sample(range(len(matches)), min(k, len(matches))))
            pieces, pos = [], 0
            for i, m in enumerate(matches):
                if i in chosen:
                    pieces += [low[pos:m.start()], m.group().upper()]
                    pos = m.end()
            pieces.append(low[pos:])
            out[f"caps_{k}"] = "".join(pieces)
        out["caps_hyphen"] = low + " STATE-OF-THE-ART U.S.A. AI's NASA-like"
    return out


@mutation("highlights")
def highlights(rng, text, base):
    kw = base.kw("detectable_format:number_highlighted_sections")
    n = kw["num_highlights"] if kw else rng.randint(1, 4)
    out = {}
    for k in _around(n):
        out[f"single_{k}"] = _wrap_words(rng, text, k, "*", "*")
        out[f"double_{k}"] = _wrap_words(rng, text, k, "**", "**")
    out["triple"] = _wrap_words(rng, text, n, "***", "***")
    out["mixed"] = _wrap_words(rng, _wrap_words(rng, text, 1, "**", "**"), max(n - 1, 1), "*", "*")
    out["empty_marks"] = text + "\n\n** ** and * * and ****"
    out["unstar"] = text.replace("*", "")
    out["across_lines"] = "*" + text.replace("\n", "*\n*", 2) + "*"
    return out


@mutation("headers")
def headers(rng, text, base):
    paras = _paragraphs(text)
    out = {"h1": "# " + text, "title_line": "## Overview\n\n" + text}
    if len(paras) > 1:
        out["each"] = "\n\n".join(f"### Part {i + 1}\n{p}" for i, p in enumerate(paras))
        out["bold_heads"] = "\n\n".join(f"**Part {i + 1}**\n{p}" for i, p in enumerate(paras))
    return out


@mutation("bullets")
def bullets(rng, text, base):
    kw = base.kw("detectable_format:number_bullet_lists")
    n = kw["num_bullets"] if kw else rng.randint(2, 5)
    cuts = _sentence_cuts(text)
    items = [text[a:b].strip() for a, b in zip([0] + cuts, cuts) if text[a:b].strip()] or [text]
    out = {}
    for k in _around(n):
        body = (items * k)[:k]
        out[f"star_{k}"] = "\n".join(f"* {s}" for s in body)
        out[f"dash_{k}"] = "Points:\n" + "\n".join(f"- {s}" for s in body)
    body = (items * n)[:n]
    out["mixed"] = "\n".join(("* " if i % 2 else "- ") + s for i, s in enumerate(body))
    out["indented"] = "\n".join(f"   * {s}" for s in body)
    out["no_space"] = "\n".join(f"*{s}" for s in body)
    out["bold_items"] = "\n".join(f"* **{s}**" for s in body)
    out["bold_lead"] = "\n".join(f"**{s}**" for s in body)
    out["blank_between"] = "\n\n".join(f"* {s}" for s in body)
    out["plus"] = "\n".join(f"+ {s}" for s in body)
    out["numbered"] = "\n".join(f"{i + 1}. {s}" for i, s in enumerate(body))
    out["dash_words"] = text + "\n-- signed, me\n---"
    out["star_then_blank"] = "*\n" + "\n".join(f"* {s}" for s in body)
    return out


@mutation("postscript")
def postscript(rng, text, base):
    kw = base.kw("detectable_content:postscript")
    marker = kw["postscript_marker"] if kw else rng.choice(["P.S.", "P.P.S"])
    note = "I will send the rest tomorrow."
    paras = _paragraphs(text)
    mid = "\n\n".join(paras[: len(paras) // 2 + 1] + [f"{marker} {note}"] + paras[len(paras) // 2 + 1:])
    return {
        "end": f"{text}\n\n{marker} {note}", "start": f"{marker} {note}\n\n{text}", "middle": mid,
        "lower": f"{text}\n\n{marker.lower()} {note}", "spaced": f"{text}\n\nP. S. {note}",
        "no_dot": f"{text}\n\nPS: {note}", "pps": f"{text}\n\nP.S. {note}\n\nP.P.S. And more.",
        "bold": f"{text}\n\n**{marker}** {note}", "inline": f"{text} ({marker.lower()} {note})",
        "ps_colon": f"{text}\n\nP.S.: {note}", "pps_compact": f"{text}\n\nP.P.S {note}",
        "remove": re.sub(r"(?i)p\.\s?p?\.?\s?s\.?", "", text),
    }


@mutation("quotes")
def quotes(rng, text, base):
    s = text.strip()
    return {"wrap": f'"{s}"', "wrap_ws": f'\n "{s}" \n', "open_only": f'"{s}',
            "close_only": f'{s}"', "typographic": f"\u201c{s}\u201d", "single": f"'{s}'",
            "wrap_then_text": f'"{s}"\nThanks.', "double_wrap": f'""{s}""',
            "one_char": '"', "two_chars": '""', "unquote": s.strip('"'),
            "inner_quotes": f'"{s}" said "I"'}


@mutation("json")
def json_wrap(rng, text, base):
    obj = json.dumps({"response": text}, ensure_ascii=rng.random() < 0.5, indent=2)
    return {"fence": f"```json\n{obj}\n```", "fence_upper": f"```JSON\n{obj}\n```",
            "fence_title": f"```Json\n{obj}\n```", "bare_fence": f"```\n{obj}\n```",
            "no_close": f"```json\n{obj}", "plain": obj, "string": json.dumps(text),
            "trailing_text": f"```json\n{obj}\n```\nHope this helps!",
            "fence_raw": f"```json\n{text}\n```", "number": "42", "list": json.dumps(text.split()[:5]),
            "single_quotes": "{'response': 'x'}", "nan": '{"a": NaN}',
            "fence_space": f"  ```json {obj} ```  ", "double_fence": f"```json\n```json\n{obj}\n```"}


@mutation("sections")
def sections(rng, text, base):
    kw = base.kw("detectable_format:multiple_sections")
    spliter = kw["section_spliter"] if kw else rng.choice(["SECTION", "Section", "PARAGRAPH"])
    n = kw["num_sections"] if kw else rng.randint(2, 4)
    paras = [p for p in _paragraphs(text) if p.strip()] or [text]
    out = {}
    for k in _around(n):
        body = (paras * k)[:k]
        out[f"plain_{k}"] = "\n\n".join(f"{spliter} {i + 1}\n{p}" for i, p in enumerate(body))
    body = (paras * n)[:n]
    out["no_space"] = "\n\n".join(f"{spliter}{i + 1}\n{p}" for i, p in enumerate(body))
    out["other_case"] = "\n\n".join(f"{spliter.swapcase()} {i + 1}\n{p}" for i, p in enumerate(body))
    out["bold"] = "\n\n".join(f"**{spliter} {i + 1}**\n{p}" for i, p in enumerate(body))
    out["colon"] = "\n\n".join(f"{spliter} {i + 1}: {p}" for i, p in enumerate(body))
    out["header"] = "\n\n".join(f"# {spliter} {i + 1}\n{p}" for i, p in enumerate(body))
    out["inline_mention"] = text + f" See {spliter} 2 and {spliter} 3 above."
    out["roman"] = "\n\n".join(f"{spliter} {'I' * (i + 1)}\n{p}" for i, p in enumerate(body))
    out["regex_chars"] = "\n\n".join(f"{spliter}. {i + 1}\n{p}" for i, p in enumerate(body))
    return out


@mutation("placeholders")
def placeholders(rng, text, base):
    kw = base.kw("detectable_content:number_placeholders")
    n = kw["num_placeholders"] if kw else rng.randint(1, 4)
    names = ["[name]", "[address]", "[date]", "[company name]", "[x]", "[phone]", "[city]"]
    out = {}
    for k in _around(n):
        out[f"add_{k}"] = text.replace("[", "(").replace("]", ")") + "\n\n" + " ".join(
            rng.choice(names) for _ in range(k))
    out["empty"] = text + " [] [ ]"
    out["nested"] = text + " [[inner]]"
    out["multiline"] = text + " [first\nsecond]"
    out["unclosed"] = text + " [open and [closed]"
    out["remove"] = re.sub(r"\[[^\]\n]*\]", "something", text)
    return out


@mutation("end_phrase")
def end_phrase(rng, text, base):
    kw = base.kw("startend:end_checker")
    phrase = kw["end_phrase"] if kw else rng.choice(["Is there anything else I can help with?",
                                                     "Any other questions?"])
    s = text.rstrip()
    return {"exact": f"{s}\n{phrase}", "quoted": f'"{s} {phrase}"', "dot_after": f"{s} {phrase}.",
            "ws_after": f"{s} {phrase}  \n\n", "lower": f"{s} {phrase.lower()}",
            "upper": f"{s} {phrase.upper()}", "inside": f"{phrase} {s}",
            "star_after": f"{s} {phrase}**", "quote_after": f'{s} {phrase}"\n',
            "trimmed": s[: -max(1, len(phrase) // 3)] if s.endswith(phrase) else s + phrase[:-1]}


@mutation("two_responses")
def two_responses(rng, text, base):
    paras = _paragraphs(text)
    half = max(1, len(paras) // 2)
    a, b = "\n\n".join(paras[:half]), "\n\n".join(paras[half:]) or "Another answer."
    return {"split": f"{a}\n******\n{b}", "same": f"{text}\n******\n{text}",
            "same_ws": f"{text}\n******\n {text} ", "leading": f"******\n{a}\n******\n{b}",
            "trailing": f"{a}\n******\n{b}\n******", "empty_middle": f"{a}\n******\n******\n{b}",
            "seven": f"{a}\n*******\n{b}", "three": f"{a}\n******\n{b}\n******\nA third.",
            "only_sep": "******"}


@mutation("title")
def title(rng, text, base):
    return {"add": f"<<A Title of Mine>>\n\n{text}", "blank": f"<< >>\n{text}",
            "two": f"<<first>> and <<second>>\n{text}", "multiline": f"<<broken\ntitle>>\n{text}",
            "angles": f"<<<nested>>>\n{text}", "greedy": f"<< >> and <<>>\n{text}",
            "bold": f"**<<Bold Title>>**\n{text}", "remove": text.replace("<<", "").replace(">>", ""),
            "empty": f"<<>>\n{text}", "single": f"<Single>\n{text}"}


@mutation("repeat_prompt")
def repeat_prompt(rng, text, base):
    kw = base.kw("combination:repeat_prompt")
    if not kw:
        return {}
    p = kw["prompt_to_repeat"]
    i = rng.randrange(len(p))
    return {"exact": f"{p}\n\n{text}", "upper": f"{p.upper()}\n{text}", "ws": f"  \n{p}\n{text}",
            "typo": f"{p[:i]}{'X' if p[i] != 'X' else 'Y'}{p[i + 1:]}\n{text}",
            "stripped_dot": f"{p.rstrip('.?!')} {text}", "quoted": f'"{p}"\n{text}',
            "prefixed": f"Sure. {p}\n{text}", "only": p}


@mutation("constrained")
def constrained(rng, text, base):
    return {"yes": f"{text}\n\nMy answer is yes.", "only_no": "My answer is no.",
            "maybe_lower": f"my answer is maybe. {text}", "two": "My answer is yes. My answer is no.",
            "no_dot": "My answer is yes", "bold": "**My answer is maybe.**"}


@mutation("letters")
def letters(rng, text, base):
    kw = base.kw("keywords:letter_frequency")
    if not kw:
        return {}
    letter, n = kw["letter"].lower(), kw["let_frequency"]
    out = {}
    for k in _around(n):
        count = text.lower().count(letter)
        new = text
        if count > k:
            drop = count - k
            chars = list(new)
            for j in range(len(chars) - 1, -1, -1):
                if drop and chars[j].lower() == letter:
                    chars[j] = ""
                    drop -= 1
            new = "".join(chars)
        elif count < k:
            new = new + " " + (letter.upper() if rng.random() < 0.5 else letter) * (k - count)
        out[str(k)] = new
    return out


def _set_count(rng: random.Random, text: str, keyword: str, k: int) -> str:
    """``text`` with exactly k case-insensitive occurrences of ``keyword`` (a literal)."""
    pattern = re.compile(re.escape(keyword), re.IGNORECASE)
    found = list(pattern.finditer(text))
    if len(found) > k:
        keep = set(rng.sample(range(len(found)), k))
        pieces, pos = [], 0
        for i, m in enumerate(found):
            if i not in keep:
                pieces += [text[pos:m.start()], "thing"]
                pos = m.end()
        pieces.append(text[pos:])
        return "".join(pieces)
    return text + "".join(f" {keyword.capitalize() if rng.random() < 0.3 else keyword}."
                          for _ in range(k - len(found)))


@mutation("keywords")
def keywords(rng, text, base):
    out = {}
    kw = base.kw("keywords:frequency")
    if kw:
        for k in _around(kw["frequency"]):
            out[f"freq_{k}"] = _set_count(rng, text, kw["keyword"], k)
        out["freq_in_word"] = text + f" un{kw['keyword']}ness"
    kw = base.kw("keywords:existence")
    if kw:
        first = kw["keywords"][0]
        out["exist_remove_one"] = _set_count(rng, text, first, 0)
        out["exist_all_upper"] = text + " " + " ".join(k.upper() for k in kw["keywords"])
        out["exist_in_words"] = text + " " + " ".join(f"pre{k}post" for k in kw["keywords"])
    kw = base.kw("keywords:forbidden_words")
    if kw:
        word = kw["forbidden_words"][0]
        out["forbid_add"] = f"{text} {word}"
        out["forbid_title"] = f"{text} {word.title()}!"
        out["forbid_plural"] = f"{text} {word}s"
        out["forbid_in_word"] = f"{text} super{word}"
        out["forbid_remove"] = _set_count(rng, text, word, 0)
        out["forbid_hyphen"] = f"{text} {word}-like"
    return out


@mutation("whitespace")
def whitespace(rng, text, base):
    return {"crlf": text.replace("\n", "\r\n"), "trailing_spaces": text.replace("\n", "  \n"),
            "leading_newlines": "\n\n" + text, "tabs": text.replace("  ", "\t"),
            "nbsp": text.replace(" ", "\u00a0", 5), "single_line": " ".join(text.split()),
            "ellipsis": text.replace(".", "...", 3), "emoji": text + " \U0001F600\U0001F44D"}


@mutation("language")
def language(rng, text, base):
    s = text.strip()
    out = {"first_words": _cut_after_word(s, 4), "first_sentence": s[:_sentence_cuts(s)[0]],
           "english_tail": s + "\n\nThis part of the answer is written in plain English words.",
           "english_head": "Here is the answer in the language you asked for.\n" + s,
           "digits_only": "12345 678 !!!", "symbols": "*** --- ***"}
    return out


@mutation("unicode")
def unicode_text(rng, text, base):
    """Characters where str methods, ``re`` and the scans of a re-implementation may part ways."""
    s = text.strip()
    first, _, rest = s.partition(" ")
    return {"line_separator": s.replace("\n", "\u2028"), "cr_only": s.replace("\n", "\r"),
            "form_feed_bullets": "\x0c* one\n\x0b* two\n\u00a0* three\n\u3000- four\n" + s,
            "ideographic_space": s.replace(" ", "\u3000"), "zero_width": s.replace(" ", "\u200b", 8),
            "combining": s + " cafe\u0301 nai\u0308ve", "fullwidth_star": f"\uff0a{first}\uff0a {rest}",
            "dotted_capital_i": s + " \u0130STANBUL", "sharp_s": s.lower() + " stra\u00dfe",
            "titlecase_digraph": s + " \u01c5ungla", "nel": s.replace("\n", "\x85"),
            "unicode_digits": s + " Section \u0663 and SECTION \u0662"}


_MARKUP = ["*", "**", "***", "* ", "- ", "\n", "\n\n", " ", "  ", "\t", "[", "]", "[x]", "<<", ">>",
           "P.S.", "p. s.", "P.P.S", "******", "```json", "```", '"', ",", ".", "!", "?", "#",
           "SECTION 1", "Section 2", "{", "}", ":", "My answer is yes.", "\r\n", "\u00a0"]


_PUNKT_EDGES = [
    "Dr. Smith met Mr. Jones at 5 p.m. on Jan. 3.", "It costs $3.50, i.e. less than 4 U.S. dollars.",
    "J. R. R. Tolkien wrote it... Then what?! Nobody knew.", '"Stop." she said. "Now!"',
    "See fig. 2 (and sec. 4.1). ok then.", "1. First item\n2. Second item", "e.g. this one; etc. etc.",
    "Wait... what", "The U.S.A. IS HUGE. I'M SURE THAT'S TRUE.", "DON'T STOP -- CAN'T STOP!!",
    "Visit www.example.com or mail a.b@example.org today.", "no capital here. and here? yes!",
    "He said 'hi.' Then left.", "Items: A.B.C. and so on. Done.", "3.14159 is pi. 2.71 is e.",
]


@mutation("punkt")
def punkt_edges(rng, text, base):
    """Sentence and word-token edges (abbreviations, initials, decimals, quotes, ellipses,
    all-caps contractions) for the Punkt sentence count and ``word_tokenize``."""
    cuts = _sentence_cuts(text)
    out = {}
    for j in range(3):
        at = rng.choice([0] + cuts)
        edge = rng.choice(_PUNKT_EDGES)
        out[str(j)] = text[:at] + (" " if at else "") + edge + " " + text[at:]
    out["all"] = text + "\n\n" + " ".join(_PUNKT_EDGES)
    out["upper_all"] = (text + " " + " ".join(_PUNKT_EDGES)).upper()
    return out


@mutation("long")
def long_text(rng, text, base):
    """Past langdetect's 10,000-character cut and the analyses' caches: long responses."""
    s = text.strip() or "word"
    reps = -(-12000 // (len(s) + 2))
    english = "This sentence is written in plain English so that the start of the text is English. "
    return {"repeated": "\n\n".join([s] * reps),
            "english_then": english * (10000 // len(english) + 1) + "\n\n" + s,
            "then_english": s + "\n\n" + english * (12000 // len(english))}


@mutation("separators")
def separators(rng, text, base):
    """The same words with other separators, URLs and e-mail addresses, and cuts at langdetect's
    10,000-character limit: where a language detector that shares work between texts "differing
    only in separators" must still give each text langdetect's own answer."""
    tokens = text.split() or ["word"]
    long = "\n".join([text.strip() or "word"] * (-(-10050 // (len(text.strip()) + 1 or 1))))
    out = {"collapsed": " ".join(tokens), "newlines": "\n".join(tokens),
           "commas": ", ".join(tokens), "trailing_space": text + " ", "trailing_dot": text + ".",
           "digits": " 1 ".join(tokens[:60]), "no_punct": re.sub(r"[^\w\s]", "", text),
           "leading": "... " + text, "double_spaces": "  ".join(tokens),
           "urls": text + " http://example.com/a/b?c=d user.name@example.org www.example.net",
           "url_only_words": " ".join(f"https://x.org/{t}" for t in tokens[:20]) + " " + tokens[0]}
    for cut in (9999, 10000, 10001):
        out[f"cut_{cut}"] = long[:cut] + " " + rng.choice(tokens)
    return out


@mutation("fuzz")
def fuzz(rng, text, base):
    """Markup soup mixed with the response's own words: what no model writes on purpose, but
    where hand-written scans that replace the reference's regexes would part ways."""
    vocab = [m.group() for m in _words_of(text)][:200] or ["word"]
    out = {}
    for j in range(4):
        n = rng.randint(5, 120)
        out[str(j)] = "".join(rng.choice(_MARKUP) if rng.random() < 0.55 else " " + rng.choice(vocab)
                              for _ in range(n))
    return out


@mutation("empty")
def empty(rng, text, base):
    return {"empty": "", "spaces": "   ", "newline": "\n", "stars": "*", "one_word": "Yes"}


GENERIC = [name for name in MUTATIONS if name not in ("empty",)]

# The constraint ids a mutation family is aimed at. For a prompt with one of them every variant
# of the family is kept; otherwise ``--others`` random ones (the family is still worth trying on
# other constraints, but a full set for every prompt would be most of the corpus).
AIMED_AT = {
    "trunc_words": ["length_constraints:number_words"],
    "trunc_sentences": ["length_constraints:number_sentences"],
    "paragraphs": ["length_constraints:nth_paragraph_first_word",
                   "length_constraints:number_paragraphs"],
    "dividers": ["length_constraints:number_paragraphs"],
    "commas": ["punctuation:no_comma"],
    "case": ["change_case:english_capital", "change_case:english_lowercase",
             "change_case:capital_word_frequency"],
    "highlights": ["detectable_format:number_highlighted_sections"],
    "headers": ["detectable_format:number_highlighted_sections", "detectable_format:title",
                "detectable_format:multiple_sections"],
    "bullets": ["detectable_format:number_bullet_lists"],
    "postscript": ["detectable_content:postscript"],
    "quotes": ["startend:quotation"],
    "json": ["detectable_format:json_format"],
    "sections": ["detectable_format:multiple_sections"],
    "placeholders": ["detectable_content:number_placeholders"],
    "end_phrase": ["startend:end_checker"],
    "two_responses": ["combination:two_responses"],
    "title": ["detectable_format:title"],
    "constrained": ["detectable_format:constrained_response"],
    "language": ["language:response_language"],
    "separators": list(LANGDETECT_IDS),
    "punkt": ["length_constraints:number_sentences", "change_case:capital_word_frequency"],
    "long": ["language:response_language", "length_constraints:number_words",
             "change_case:english_capital", "change_case:english_lowercase"],
    "unicode": ["detectable_format:number_bullet_lists", "change_case:english_capital",
                "change_case:english_lowercase", "length_constraints:number_words",
                "detectable_format:multiple_sections", "detectable_format:number_highlighted_sections"],
}


# The kwargs keys of the Hugging Face ``google/IFEval`` schema.
PADDED_KEYS = ("num_highlights", "relation", "num_words", "num_placeholders", "prompt_to_repeat",
               "num_paragraphs", "nth_paragraph", "first_word", "postscript_marker",
               "num_sentences", "keyword", "frequency", "keywords", "forbidden_words",
               "num_bullets", "section_spliter", "num_sections", "capital_relation",
               "capital_frequency", "end_phrase", "language", "let_relation", "letter",
               "let_frequency")


def kwargs_variants(rng: random.Random, base: Base) -> dict[str, tuple[dict, ...]]:
    """The prompt's own constraints with edited parameters (relations flipped, other markers,
    splitters, letters and phrases): real responses judged against nearby constraints."""
    flips = {"less than": "at least", "at least": "less than"}
    out: dict[str, list[dict]] = {}

    def edit(name: str, index: int, **changes) -> None:
        kwargs = out.setdefault(name, [dict(kw) for kw in base.kwargs])
        kwargs[index].update(changes)

    for i, (cid, kw) in enumerate(zip(base.ids, base.kwargs)):
        for key in ("relation", "let_relation", "capital_relation"):
            if kw.get(key) in flips:
                edit("flip", i, **{key: flips[kw[key]]})
        if cid == "detectable_content:postscript":
            edit("marker_ps_nodot", i, postscript_marker="P.S")
            edit("marker_ppps", i, postscript_marker="P.P.P.S")
            edit("marker_spaced", i, postscript_marker=" P.S. ")
        if cid == "detectable_format:multiple_sections":
            edit("spliter_other", i, section_spliter=rng.choice(["Part", "Chapter", "PARAGRAPH"]))
            edit("spliter_ws", i, section_spliter=f" {kw['section_spliter']} ")
        if cid == "keywords:letter_frequency" and kw.get("letter", "").isalpha():
            edit("letter_upper", i, letter=kw["letter"].upper())
        if cid == "startend:end_checker":
            edit("end_ws", i, end_phrase=f"  {kw['end_phrase']}\n")
            edit("end_lower", i, end_phrase=kw["end_phrase"].lower())
        if cid == "keywords:frequency":
            edit("keyword_upper", i, keyword=kw["keyword"].upper())
            edit("keyword_ws", i, keyword=f" {kw['keyword']} ")
        if cid == "keywords:existence":
            edit("keywords_title", i, keywords=[k.title() for k in kw["keywords"]])
        if cid == "language:response_language":
            edit("language_en", i, language="en")
        # The Hugging Face copy of IFEval pads every kwargs object to one schema with nulls.
        edit("null_padded", i, **{key: None for key in PADDED_KEYS if key not in kw})
        for key in ("num_words", "num_sentences", "num_highlights", "num_bullets",
                    "num_placeholders", "num_sections", "frequency", "let_frequency",
                    "capital_frequency"):
            if isinstance(kw.get(key), int) and kw[key] > 1:
                edit("threshold_minus_1", i, **{key: kw[key] - 1})
    return {name: tuple(kwargs) for name, kwargs in out.items()}


# ================================================================================================
# Corpus


def _rng(seed: int, *parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by random.seed: stable across runs and processes.
    return random.Random(":".join(map(str, (seed,) + parts)))


def build_corpus(bases: list[Base], seed: int, cross: int, stacks: int,
                 others: int = 2) -> list[dict]:
    """Every (prompt, mutated response) pair, in a fixed order, duplicates removed."""
    rows: list[dict] = []
    seen: set[tuple] = set()

    def add(base: Base, name: str, response: str, kwargs: tuple[dict, ...] | None = None) -> None:
        kwargs = base.kwargs if kwargs is None else kwargs
        ident = (base.key, json.dumps(kwargs, sort_keys=True), response)
        if ident in seen:
            return
        seen.add(ident)
        rows.append({"key": f"{base.key}|{name}", "base": base.key, "mutation": name,
                     "prompt": base.prompt, "instruction_id_list": list(base.ids),
                     "kwargs": [dict(kw) for kw in kwargs], "response": response})

    by_id: dict[str, list[Base]] = defaultdict(list)
    for base in bases:
        for i in set(base.ids):
            by_id[i].append(base)

    for base in bases:
        add(base, "original", base.response)
        for name, fn in MUTATIONS.items():
            rng = _rng(seed, base.key, name)
            variants = fn(rng, base.response, base)
            aimed = AIMED_AT.get(name)
            if aimed is not None and not set(aimed) & set(base.ids):
                variants = {k: variants[k] for k in rng.sample(sorted(variants),
                                                               min(others, len(variants)))}
            elif name == "empty":
                variants = {k: variants[k] for k in rng.sample(sorted(variants), 1)}
            for suffix, text in variants.items():
                add(base, f"{name}:{suffix}", text)
        rng = _rng(seed, base.key, "kwargs")
        for name, kwargs in kwargs_variants(rng, base).items():
            add(base, f"kwargs:{name}", base.response, kwargs)
            family = rng.choice(GENERIC)
            variants = MUTATIONS[family](_rng(seed, base.key, name, family), base.response, base)
            if variants:
                suffix = rng.choice(sorted(variants))
                add(base, f"kwargs:{name}+{family}:{suffix}", variants[suffix], kwargs)
        rng = _rng(seed, base.key, "cross")
        # Cross pairing: real responses written for other prompts. Half of the donors share a
        # constraint id with this prompt (their text was aimed at the same kind of constraint).
        donors = []
        for _ in range(cross):
            pool = by_id[rng.choice(base.ids)] if rng.random() < 0.5 else bases
            donor = rng.choice(pool)
            if donor.key != base.key:
                donors.append(donor)
        for donor in donors:
            add(base, f"cross:{donor.key}", donor.response)
            name = rng.choice(GENERIC)
            variants = MUTATIONS[name](_rng(seed, base.key, donor.key, name), donor.response, base)
            if variants:
                suffix = rng.choice(sorted(variants))
                add(base, f"cross:{donor.key}+{name}:{suffix}", variants[suffix])
        for j in range(stacks):
            text, names = base.response, []
            for step in range(2):
                name = rng.choice(GENERIC)
                variants = MUTATIONS[name](_rng(seed, base.key, "stack", j, step, name), text, base)
                if not variants:
                    continue
                suffix = rng.choice(sorted(variants))
                text = variants[suffix]
                names.append(f"{name}:{suffix}")
            if names:
                add(base, "stack:" + "+".join(names), text)
    return rows


# ================================================================================================
# Reference nondeterminism


class LanguageStability:
    """Which texts langdetect labels the same whatever its random draws (cached per text).

    langdetect's answer is the average of 7 random walks ("trials") over the text's n-grams; the
    reference never seeds them. A text counts as stable when ``trials`` independent trials (one
    trial per seed, seeds 0..trials-1, langdetect's own trial loop) all end on the same
    language; a single other outcome makes it unstable. This is conservative: a 7-trial average
    can survive one dissenting trial, but one dissent in 21 means a flip is a real possibility
    (seen: a text labelled ``hu`` by 40 seeds of the full detector came out ``en`` 11 times in
    300 unseeded runs; its single trials disagree).
    """

    def __init__(self, trials: int) -> None:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

        self.factory = DetectorFactory()
        self.factory.load_profile(PROFILES_DIRECTORY)
        self.trials = trials
        self.cache: dict[str, tuple[bool, str | None]] = {}

    def _judge(self, text: str) -> tuple[bool, str | None]:
        detector = self.factory.create()
        detector.append(text)
        detector.cleaning_text()
        grams = detector._extract_ngrams()
        if not grams:
            return True, None  # "No features in text": the reference's exception, every time
        # Reuse the n-grams for every trial instead of extracting them again (most of the cost).
        detector.cleaning_text = lambda: None
        detector._extract_ngrams = lambda: grams
        detector.n_trial = 1
        winners = set()
        for seed in range(self.trials):
            detector.seed = seed
            detector._detect_block()
            probs = detector.langprob
            winners.add(detector.langlist[max(range(len(probs)), key=probs.__getitem__)])
            if len(winners) > 1:
                return False, None
        return True, winners.pop()

    def seeded(self, text: str, seed: int) -> str | None:
        """langdetect's own full detection (7 trials) with a fixed seed; None when it raises."""
        from langdetect.lang_detect_exception import LangDetectException

        self.factory.seed = seed
        detector = self.factory.create()
        detector.append(text)
        try:
            return detector.detect()
        except LangDetectException:
            return None

    def judge(self, text: str) -> tuple[bool, str | None]:
        """(stable, language); language None means langdetect raises (the reference: followed)."""
        if text not in self.cache:
            self.cache[text] = self._judge(text)
        return self.cache[text]


def _loose_texts(response: str) -> list[str]:
    from constraints.engine import loose_variants

    return list(dict.fromkeys(t for t in loose_variants(response) if t.strip()))


def unstable_modes(row: dict, index: int, stability: LanguageStability) -> set[str]:
    """The modes in which the reference's verdict of constraint ``index`` is not deterministic."""
    cid = row["instruction_id_list"][index]
    kwargs = row["kwargs"][index]
    if cid == "keywords:letter_frequency":
        letter = kwargs.get("letter") or ""
        if len(letter) != 1 or not ("a" <= letter.lower() <= "z"):
            return set(MODES)
        return set()
    if cid not in LANGDETECT_IDS:
        return set()
    want = kwargs.get("language") if cid == "language:response_language" else "en"

    def outcome(text: str) -> bool | None:
        """The reference's verdict on one text; None when it depends on langdetect's draws."""
        # The case checkers call langdetect only after the case test passed.
        if cid == "change_case:english_capital" and not text.isupper():
            return False
        if cid == "change_case:english_lowercase" and not text.islower():
            return False
        stable, language = stability.judge(text)
        if not stable:
            return None
        return language is None or language == want

    out = set()
    response = row["response"]
    if response.strip() and outcome(response) is None:
        out.add("strict")
    # Loose: followed when any variant is followed, so one stably followed variant makes the
    # verdict deterministic whatever the unstable ones do.
    results = []
    for text in _loose_texts(response):
        result = outcome(text)
        if result is True:
            break
        results.append(result)
    else:
        if None in results:
            out.add("loose")
    return out


# ================================================================================================
# Running both sides


def _row_payload(row: dict) -> str:
    return json.dumps({k: row[k] for k in ("key", "prompt", "instruction_id_list", "kwargs",
                                           "response")}, ensure_ascii=False)


def _row_digest(row: dict) -> str:
    """What the verdicts depend on (not the key, so renaming a mutation re-runs nothing)."""
    what = json.dumps([row["prompt"], row["instruction_id_list"], row["kwargs"], row["response"]],
                      ensure_ascii=False)
    return hashlib.sha256(what.encode()).hexdigest()[:24]


def reference_verdicts(rows: list[dict], cache: Path, jobs: int) -> tuple[list, float, int]:
    """The reference's [[strict], [loose]] per row; (verdicts, seconds, rows run now).

    Verdicts are cached per row (``cache/differential/<lm-eval version>.jsonl``: digest of the
    row -> verdicts), so a changed corpus only runs the reference on its new rows.
    """
    store = cache / "differential" / f"{LM_EVAL.replace('==', '-')}.jsonl"
    known: dict[str, list] = {}
    if store.exists():
        for line in store.read_text(encoding="utf-8").splitlines():
            if line.strip():
                digest, verdict = json.loads(line)
                known[digest] = verdict
    payloads = [_row_payload(r) for r in rows]
    digests = [_row_digest(r) for r in rows]
    todo = sorted({d: p for d, p in zip(digests, payloads) if d not in known}.items())
    seconds = 0.0
    if todo:
        env = setup_reference(cache)
        jobs = max(1, min(jobs, len(todo)))
        size = -(-len(todo) // jobs)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            chunks = []
            for j in range(jobs):
                part = todo[j * size:(j + 1) * size]
                path = tmp / f"chunk{j}.jsonl"
                path.write_text("".join(p + "\n" for _, p in part), encoding="utf-8")
                chunks.append((part, path, tmp / f"verdicts{j}.json"))
            with ThreadPoolExecutor(jobs) as pool:
                list(pool.map(lambda c: score_with_reference(c[1], c[2], env, nice=10), chunks))
            store.parent.mkdir(parents=True, exist_ok=True)
            with store.open("a", encoding="utf-8") as f:
                for part, _, out in chunks:
                    for (digest, _), verdict in zip(part, json.loads(out.read_text())):
                        known[digest] = verdict
                        f.write(json.dumps([digest, verdict]) + "\n")
        seconds = time.perf_counter() - start
    return [known[d] for d in digests], seconds, len(todo)


def our_verdicts(rows: list[dict], semantics: str = "reference") -> tuple[list, float]:
    """Ours: [[strict], [loose]] per row, or an error string."""
    from rich.progress import Progress

    from constraints.engine import score
    from constraints.errors import ConstraintError
    from constraints.registry import build_all

    out: list = []
    start = time.perf_counter()
    with Progress(transient=True) as progress:
        task = progress.add_task("ours", total=len(rows))
        for row in rows:
            try:
                checkers = build_all(row["instruction_id_list"], row["kwargs"],
                                     prompt=row["prompt"], semantics=semantics)
                scored = score(checkers, row["response"])
                out.append([[v.passed for v in scored.strict], [v.passed for v in scored.loose]])
            except ConstraintError as exc:
                out.append(f"rejected: {exc}")
            except Exception as exc:  # a checker bug is a finding, not the end of the run
                out.append(f"raised {type(exc).__name__}: {exc}")
            progress.advance(task)
    return out, time.perf_counter() - start


# ================================================================================================
# Report


@dataclass
class Tally:
    agree: Counter = field(default_factory=Counter)     # (id, mode) -> n
    compared: Counter = field(default_factory=Counter)
    excluded: Counter = field(default_factory=Counter)
    disagreements: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def compare(rows: list[dict], ref: list, ours: list, stability: LanguageStability) -> Tally:
    tally = Tally()
    for row, expected, got in zip(rows, ref, ours):
        if isinstance(got, str):
            tally.errors.append({"key": row["key"], "error": got})
            continue
        for index, cid in enumerate(row["instruction_id_list"]):
            skip = unstable_modes(row, index, stability)
            for m, mode in enumerate(MODES):
                if mode in skip:
                    tally.excluded[cid, mode] += 1
                    continue
                tally.compared[cid, mode] += 1
                if expected[m][index] == got[m][index]:
                    tally.agree[cid, mode] += 1
                else:
                    tally.disagreements.append({
                        "key": row["key"], "id": cid, "index": index, "mode": mode,
                        "mutation": row["mutation"], "expected": expected[m][index],
                        "got": got[m][index], "kwargs": row["kwargs"][index],
                        "response": row["response"]})
    return tally


def _snippet(text: str, width: int = 90) -> str:
    if len(text) <= width:
        return repr(text)
    return repr(text[: width * 2 // 3]) + " ... " + repr(text[-width // 3:])


def print_report(tally: Tally, show: int) -> None:
    ids = sorted({cid for cid, _ in tally.compared} | {cid for cid, _ in tally.excluded})
    print(f"\n{'instruction id':46} | {'strict: agree/compared':>24} | "
          f"{'loose: agree/compared':>24} | excluded s/l")
    for cid in ids:
        cells = []
        for mode in MODES:
            n, a = tally.compared[cid, mode], tally.agree[cid, mode]
            ratio = f"{a / n:.4f}" if n else "-"
            cells.append(f"{a}/{n} {ratio:>6}{' !' if a != n else '  '}")
        print(f"{cid:46} | {cells[0]:>24} | {cells[1]:>24} | "
              f"{tally.excluded[cid, 'strict']}/{tally.excluded[cid, 'loose']}")
    for mode in MODES:
        n = sum(v for (c, m), v in tally.compared.items() if m == mode)
        a = sum(v for (c, m), v in tally.agree.items() if m == mode)
        x = sum(v for (c, m), v in tally.excluded.items() if m == mode)
        print(f"{'ALL ' + mode:46} | {a}/{n} = {a / max(n, 1):.5f} agree; {n - a} disagree; "
              f"{x} excluded (reference nondeterministic)")
    if tally.errors:
        print(f"\n{len(tally.errors)} pair(s) our side could not score, e.g.:")
        for e in tally.errors[:show]:
            print(f"  {e['key']}: {e['error'][:200]}")
    if not tally.disagreements:
        print("\nno disagreement")
        return
    by_mutation = Counter(d["mutation"].split(":")[0].split("+")[0] for d in tally.disagreements)
    print("\ndisagreements by mutation family: "
          + ", ".join(f"{k} {v}" for k, v in by_mutation.most_common()))
    by_id: dict[str, list[dict]] = defaultdict(list)
    for d in tally.disagreements:
        by_id[d["id"]].append(d)
    for cid, items in sorted(by_id.items()):
        print(f"\n{cid}: {len(items)} disagreement(s)")
        for d in items[:show]:
            print(f"  {d['key']} [{d['mode']}] reference={d['expected']} ours={d['got']} "
                  f"kwargs={d['kwargs']}\n    {_snippet(d['response'])}")


def _recorded_check(bases: list[Base], rows: list[dict], ref: list) -> str:
    """The live reference against the verdicts the conformance file records for the unmutated
    responses: proof that what runs here is the reference that produced the file."""
    recorded = {b.key: b.recorded for b in bases if b.recorded}
    same = total = 0
    for row, verdict in zip(rows, ref):
        rec = recorded.get(row["base"]) if row["mutation"] == "original" else None
        if rec is None:
            continue
        for m, mode in enumerate(MODES):
            if mode not in rec["unstable"]:
                total += 1
                same += verdict[m] == rec[mode]
    return (f"live reference vs the verdicts recorded in the conformance file (original responses, "
            f"stable modes): {same}/{total} verdict lists identical")


def _seeded_detection_check(stability: LanguageStability) -> tuple[str, bool]:
    """Our ``detect_language`` against langdetect itself with the same seed, on every text whose
    language mattered (stable or not): the verdicts of unstable texts are excluded above, but
    ours must still be langdetect's answer for our seed, exactly."""
    from constraints.text import LANGDETECT_SEED, detect_language

    texts = sorted(stability.cache)
    wrong = [t for t in texts if detect_language(t) != stability.seeded(t, LANGDETECT_SEED)]
    line = (f"constraints.text.detect_language vs langdetect seeded {LANGDETECT_SEED}: "
            f"{len(texts) - len(wrong)}/{len(texts)} texts identical")
    for t in wrong[:3]:
        line += (f"\n  differs: ours {detect_language(t)!r}, langdetect "
                 f"{stability.seeded(t, LANGDETECT_SEED)!r} on {_snippet(t)}")
    return line, not wrong


def _code_state() -> str:
    """The commit our checkers come from, and whether ``constraints/`` has uncommitted edits."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "constraints"], cwd=REPO,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {head}" + (" + uncommitted edits in constraints/" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cross", type=int, default=8, help="cross pairings per prompt (each "
                        "also once mutated)")
    parser.add_argument("--stacks", type=int, default=6, help="stacks of 2 mutations per prompt")
    parser.add_argument("--others", type=int, default=2, help="variants per mutation family "
                        "for a prompt without the constraints the family is aimed at")
    parser.add_argument("--limit", type=int, default=0, help="only the first N base rows")
    parser.add_argument("--jobs", type=int, default=2, help="reference processes in parallel")
    parser.add_argument("--trials", type=int, default=21, help="langdetect trials per text "
                        "for the stability test (all must agree)")
    parser.add_argument("--semantics", choices=("reference", "corrected"), default="reference",
                        help="our side's semantics; 'corrected' shows where (and how often) our "
                        "fixes change the reference's verdicts, and that the harness can see a "
                        "difference")
    parser.add_argument("--show", type=int, default=3, help="disagreements shown per id")
    parser.add_argument("--dump", type=Path, help="write every disagreement here (JSONL)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--data", type=Path, nargs="+", default=[CONFORMANCE, SAMPLE])
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))

    paths = [p for p in args.data if p.is_file()]
    missing = [str(p) for p in args.data if not p.is_file()]
    if missing:
        print(f"skipping missing data: {', '.join(missing)}")
    if not paths:
        raise SystemExit("no base data (the conformance file lives in ../shared)")
    bases = load_bases(paths)
    if args.limit:
        bases = bases[: args.limit]
    t0 = time.perf_counter()
    rows = build_corpus(bases, args.seed, args.cross, args.stacks, args.others)
    t_corpus = time.perf_counter() - t0
    families = Counter(r["mutation"].split(":")[0] for r in rows)
    print(f"{len(rows)} pairs from {len(bases)} base rows ({', '.join(map(str, paths))}), seed "
          f"{args.seed}, built in {t_corpus:.1f}s; by family: "
          + ", ".join(f"{k} {v}" for k, v in sorted(families.items())))

    ref, ref_s, ran = reference_verdicts(rows, args.cache_dir, args.jobs)
    print(f"reference ({LM_EVAL}): {len(rows) - ran} pairs' verdicts cached, {ran} run now"
          + (f" in {ref_s:.0f}s wall, {args.jobs} process(es), {ran / ref_s:.0f} pairs/s"
             if ran else ""))
    print(_recorded_check(bases, rows, ref))
    ours, ours_s = our_verdicts(rows, args.semantics)
    print(f"ours (semantics={args.semantics!r}, {_code_state()}): {ours_s:.0f}s in 1 process, "
          f"{len(rows) / ours_s:.0f} pairs/s")
    t0 = time.perf_counter()
    stability = LanguageStability(args.trials)
    tally = compare(rows, ref, ours, stability)
    unstable = sum(1 for ok, _ in stability.cache.values() if not ok)
    print(f"langdetect stability test: {len(stability.cache)} texts x up to {args.trials} "
          f"trials, {unstable} unstable; {time.perf_counter() - t0:.0f}s")
    detection, detection_ok = _seeded_detection_check(stability)
    print(detection)
    print_report(tally, args.show)
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as f:
            for d in tally.disagreements:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        print(f"\n{len(tally.disagreements)} disagreement(s) written to {args.dump}")
    return 1 if tally.disagreements or tally.errors or not detection_ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
