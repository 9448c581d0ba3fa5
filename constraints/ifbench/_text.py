"""IFBench's own text rules, offline and cached.

IFBench (Pyatkin et al., 2025) does not analyse text the way IFEval does, and each checker of the
reference picks its own tokenisation. The ones shared by several checkers live here:

- ``sentences``: the regex sentence splitter the 2025 reference used (``split_into_sentences``
  inherited from Google's IFEval utilities: protect abbreviations, acronyms, decimals, websites and
  ellipses, then cut after every ``.``, ``?`` and ``!``). AllenAI's later release switched to NLTK
  Punkt; the HiR authors evaluated with this one. Newlines are *not* boundaries.
- ``words``: ``\\w+`` tokens (``instructions_util.count_words``), NLTK's ``RegexpTokenizer`` as the
  reference, shared with IFEval through :mod:`constraints.text` (whose notes explain why the NLTK
  version matters for combining marks).
- ``word_tokenize``: ``nltk.word_tokenize``, from :mod:`constraints.text` (offline Punkt).
- ``strip_punct`` / ``remove_punct``: Python's ``string.punctuation`` (ASCII only), used by most
  checkers as ``str.strip`` characters or a ``str.translate`` deletion table.
- ``stopwords``: NLTK's English stopword list (198 words), kept in this package as plain data
  (``stopwords_english.txt``, its source named in its header), so ``ratio:stop_words`` works out of
  the box and gives the same verdict on every machine.
- ``pos_tagger``: NLTK's averaged perceptron tagger, which no package ships: it is looked up in an
  NLTK data directory already on disk (never downloaded); when absent ``words:start_verb`` is
  *unavailable*, and its message names the one command that installs the tagger.

Every regex here is linear-time (no nested quantifiers), so a policy cannot stall the trainer with a
pathological response. Everything is cached per string: the engine judges up to 8 loose variants of
every response and prompts repeat constraints.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

_CACHE = 4096

PUNCT = string.punctuation
# ``str.strip`` argument the reference uses everywhere: ASCII punctuation plus a space.
PUNCT_SPACE = PUNCT + " "
_DELETE_PUNCT = str.maketrans("", "", PUNCT)


def remove_punct(text: str) -> str:
    """``text`` with every ASCII punctuation character deleted (``str.translate``)."""
    return text.translate(_DELETE_PUNCT)


# --- the 2025 reference's regex sentence splitter -------------------------------------------------
_ALPHA = "([A-Za-z])"
_SUFFIXES = "(Inc|Ltd|Jr|Sr|Co)"
_STARTERS = (r"(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He\s|She\s|It\s|They\s|Their\s|Our\s|We\s|But\s"
             r"|However\s|That\s|This\s|Wherever)")
_ACRONYMS = "([A-Z][.][A-Z][.](?:[A-Z][.])?)"


def _guard(pattern: str):
    """A necessary condition for a step's pattern to match, as a pattern that starts with the
    literal "." (the standard library scans for a literal first character quickly, while the
    steps' leading character classes are tried at every position)."""
    return re.compile(pattern).search


def _dot_after(*endings: str):
    """A guard: some "." ends one of ``endings`` (each ends with "." and an optional space)."""
    behind = "|".join(f"(?<={re.escape(ending)})" for ending in endings)
    return _guard(r"\.(?:%s)" % behind if not endings[0].endswith(" ")
                  else r"\. (?:%s)" % behind)


# The reference's substitutions in its order: (pattern, replacement, guard). A step whose guard
# finds nothing cannot match either, so skipping it leaves the text as the substitution would.
_LETTER_DOT_LETTER_DOT = _guard(r"\.(?<=[A-Za-z]\.)[A-Za-z]\.")
_SPLIT_STEPS = (
    (re.compile("(Mr|St|Mrs|Ms|Dr)[.]"), "\\1<prd>", _dot_after("Mr.", "St.", "Mrs.", "Ms.", "Dr.")),
    (re.compile("[.](com|net|org|io|gov|edu|me)"), "<prd>\\1", None),
    (re.compile("([0-9])[.]([0-9])"), "\\1<prd>\\2", _guard(r"\.(?<=[0-9]\.)[0-9]")),
    (re.compile(r"\.{2,}"), lambda m: "<prd>" * len(m.group(0)) + "<stop>", _guard(r"\.\.")),
    ("Ph.D.", "Ph<prd>D<prd>", None),  # a plain str.replace
    (re.compile(r"\s" + _ALPHA + "[.] "), " \\1<prd> ", _guard(r"\. (?<=\s[A-Za-z]\. )")),
    (re.compile(_ACRONYMS + " " + _STARTERS), "\\1<stop> \\2", _guard(r"\.(?<=[A-Z]\.)[A-Z]\.")),
    (re.compile(_ALPHA + "[.]" + _ALPHA + "[.]" + _ALPHA + "[.]"), "\\1<prd>\\2<prd>\\3<prd>",
     _LETTER_DOT_LETTER_DOT),
    (re.compile(_ALPHA + "[.]" + _ALPHA + "[.]"), "\\1<prd>\\2<prd>", _LETTER_DOT_LETTER_DOT),
    (re.compile(" " + _SUFFIXES + "[.] " + _STARTERS), " \\1<stop> \\2",
     _dot_after("Inc. ", "Ltd. ", "Jr. ", "Sr. ", "Co. ")),
    (re.compile(" " + _SUFFIXES + "[.]"), " \\1<prd>", _dot_after("Inc.", "Ltd.", "Jr.", "Sr.", "Co.")),
    (re.compile(" " + _ALPHA + "[.]"), " \\1<prd>", _guard(r"\.(?<= [A-Za-z]\.)")),
)


@lru_cache(maxsize=_CACHE)
def sentences(text: str) -> tuple[str, ...]:
    """Split ``text`` into sentences exactly as the 2025 IFBench reference does."""
    return _split_sentences(text)


def _split_sentences(text: str, guarded: bool = True) -> tuple[str, ...]:
    """The reference's splitter: periods that are not boundaries are first replaced by a
    ``<prd>`` marker, boundaries get a ``<stop>`` marker, then the text is cut at the markers.
    Pieces are stripped; only a trailing empty piece is dropped (an empty piece in the middle,
    e.g. from ``"?!"``, is kept, as upstream). ``guarded=False`` runs every step unconditionally
    (the tests compare the two)."""
    text = " " + text + "  "
    text = text.replace("\n", " ")
    for pattern, replacement, guard in _SPLIT_STEPS:
        if isinstance(pattern, str):
            text = text.replace(pattern, replacement)
        elif not guarded or guard is None or guard(text):
            text = pattern.sub(replacement, text)
    if "”" in text:
        text = text.replace(".”", "”.")
    if '"' in text:
        text = text.replace('."', '".')
    if "!" in text:
        text = text.replace('!"', '"!')
    if "?" in text:
        text = text.replace('?"', '"?')
    text = text.replace(".", ".<stop>").replace("?", "?<stop>").replace("!", "!<stop>")
    text = text.replace("<prd>", ".")
    pieces = [piece.strip() for piece in text.split("<stop>")]
    if pieces and not pieces[-1]:
        pieces.pop()
    return tuple(pieces)


def words(text: str) -> tuple[str, ...]:
    """``\\w+`` tokens (the reference's ``count_words``), shared with IFEval."""
    from ..text import words as regexp_words

    return regexp_words(text)


@lru_cache(maxsize=1024)
def whole_word(keyword: str) -> re.Pattern:
    """A case-insensitive pattern for ``keyword`` not preceded or followed by a word character
    (linear: a literal between two lookarounds)."""
    return re.compile(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", re.IGNORECASE)


def word_tokenize(text: str) -> tuple[str, ...]:
    """``nltk.word_tokenize(text)``, offline (shared with IFEval)."""
    from ..text import word_tokenize as tokenize

    return tokenize(text)


# --- NLTK data ------------------------------------------------------------------------------------
class Unavailable(Exception):
    """Data a checker needs is not installed; the verdict must say so, never guess."""


STOPWORDS_FILE = "stopwords_english.txt"
# The resource NLTK 3.10's ``pos_tag`` loads, and the one command that installs it.
TAGGER_RESOURCE = "averaged_perceptron_tagger_eng"
TAGGER_INSTALL = f"python -m nltk.downloader {TAGGER_RESOURCE}"


@lru_cache(maxsize=1)
def stopword_list() -> tuple[str, ...]:
    """NLTK's English stopword list in NLTK's order, from this package's data file."""
    from importlib.resources import files

    text = files(__package__).joinpath(STOPWORDS_FILE).read_text(encoding="utf-8")
    return tuple(w for w in (line.strip() for line in text.splitlines())
                 if w and not w.startswith("#"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """NLTK's English stopword list as a set (``nltk.corpus.stopwords.words("english")``)."""
    return frozenset(stopword_list())


@lru_cache(maxsize=1)
def pos_tagger():
    """NLTK's averaged perceptron tagger (English), from an NLTK data directory already on disk."""
    try:
        import nltk

        nltk.data.find(f"taggers/{TAGGER_RESOURCE}/")
        from nltk.tag.perceptron import PerceptronTagger

        return PerceptronTagger()
    except (LookupError, OSError, ValueError):
        raise Unavailable(
            f"NLTK's averaged perceptron tagger ({TAGGER_RESOURCE!r}) is not installed and no "
            f"package ships it; on a machine with internet access run `{TAGGER_INSTALL}` (or copy "
            f"taggers/{TAGGER_RESOURCE}/ into a directory named by NLTK_DATA)") from None


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
