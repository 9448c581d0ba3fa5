"""Properties of every IFEval checker: never raises on arbitrary text (both semantics), the
linear scans compute exactly what the reference's regexes compute, and no checker takes
super-linear time on adversarial text."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constraints import Verdict, build, score
from constraints import text as T
from constraints.ifeval import content, format as fmt
from test_ifeval_checkers import IFEVAL_IDS, VALID

# Characters the checkers care about, plus arbitrary unicode.
MARKUP = "*-+#[]<>\"'.,!?:;_`{}()\n\n\n \t\u3000PSpsSECTIONsection0123456789"
TEXT = st.text(alphabet=st.sampled_from(MARKUP), max_size=300) | st.text(max_size=300)

SEMANTICS = ("reference", "corrected")
CHECKERS = [build(cid, VALID[cid], prompt="Say hi.", semantics=sem)
            for cid in IFEVAL_IDS for sem in SEMANTICS]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_no_checker_raises_on_arbitrary_text(response):
    for checker in CHECKERS:
        verdict = checker.check(response)
        assert isinstance(verdict, Verdict)
        assert isinstance(verdict.passed, bool) and verdict.explanation
    scored = score(CHECKERS, response)  # the 8 loose variants too
    assert len(scored.strict) == len(scored.loose) == len(CHECKERS)


# --- the linear scans equal the reference regexes ----------------------------------------------

SMALL = st.text(alphabet=st.sampled_from("*-[]<> \n\tax\u2003"), max_size=60)


@settings(max_examples=400, deadline=None)
@given(SMALL)
def test_placeholder_scan_equals_the_reference_regex(text):
    assert content.count_placeholders(text) == len(re.findall(r"\[.*?\]", text))


@settings(max_examples=400, deadline=None)
@given(SMALL)
def test_bullet_scan_equals_the_reference_regexes(text):
    expected = (len(re.findall(r"^\s*\*[^\*].*$", text, flags=re.MULTILINE))
                + len(re.findall(r"^\s*-.*$", text, flags=re.MULTILINE)))
    assert fmt.reference_bullet_lines(text) == expected


# Letters re.IGNORECASE equates across cases, including non-ASCII ones that match ASCII letters
# (Kelvin sign, long s, dotted and dotless i), regex syntax, and word boundaries.
_CASED = st.sampled_from(list("kKsSiIaA .+*(\\") + ["\u212a", "\u017f", "\u0130", "\u0131"])


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=_CASED, max_size=4), st.text(alphabet=_CASED, max_size=30))
def test_keyword_shortcut_never_hides_a_match(keyword, text):
    from constraints.ifeval._common import surely_absent

    if surely_absent(keyword, text):
        assert re.search(keyword, text, re.IGNORECASE) is None
        assert re.search(r"\b" + keyword + r"\b", text, re.IGNORECASE) is None


@settings(max_examples=400, deadline=None)
@given(SMALL)
def test_title_scan_equals_the_reference_regex(text):
    assert fmt.reference_titles(text) == re.findall(r"<<[^\n]+>>", text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("pPsS. \n\tx"), max_size=40))
def test_postscript_core_equals_the_reference_pattern(text):
    for marker, full in (("P.S.", r"\s*p\.\s?s\..*$"), ("P.P.S", r"\s*p\.\s?p\.\s?s.*$")):
        checker = build("detectable_content:postscript", {"postscript_marker": marker})
        expected = bool(re.findall(full, text.lower(), flags=re.MULTILINE))
        assert checker.check(text).passed == expected


# --- no super-linear time ----------------------------------------------------------------------

# Each unit repeated: the shapes that make backtracking regexes (and naive scans) quadratic.
ADVERSARIAL_UNITS = ["\n", " ", "*", "**", "[", "<<", "<", "-", "*\n", " \n", "a", "A. ", "p.", "P.S",
                     "SECTION", "\"", "``", "{", "[[", "a.a.", "!", "******", "\u3000"]


def _clear_caches():
    for fn in (T.words, T.sentences, T.word_tokenize, T.detect_language):
        fn.cache_clear()


def _seconds(checker, text, repeats):
    best = float("inf")
    for _ in range(repeats):
        _clear_caches()
        start = time.perf_counter()
        checker.check(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("unit", ADVERSARIAL_UNITS)
def test_checkers_scale_linearly_on_adversarial_text(unit):
    # Time on a 16x longer input against the same checker's own time on the short one, measured
    # here: linear work gives ~16x, quadratic ~256x. The bound (48x plus a fixed 0.25 s for timer
    # noise) is generous, so the test does not flake on a busy machine, yet a quadratic checker
    # at 32k characters takes seconds and fails it (the reference's bullet, placeholder and title
    # regexes take 2-6 s on "\n", "[" and "<<" here).
    short = unit * max(1, 2_000 // len(unit))
    long = unit * max(1, 32_000 // len(unit))
    slow = []
    for checker in CHECKERS:
        t_short, t_long = _seconds(checker, short, 3), _seconds(checker, long, 1)
        if t_long > 48 * t_short + 0.25:
            slow.append(f"{checker!r}: {t_short:.4f}s -> {t_long:.4f}s")
    assert not slow, "super-linear on %r:\n" % unit + "\n".join(slow)
