"""Conformance with the official MulDimIF checker (the HiR authors' release) on the shared sample.

Uses ../shared/conformance/muldimif_sample.jsonl (400 test-set items x 6 responses, 8,274
verdicts, all deterministic). Each constraint is judged on its own, as the reference's
``evaluation.py`` dispatches it (``checker.check(response)``; no empty-response shortcut).
Disagreements are reported as (id, response_index, type, subtype, sentence).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from constraints import ConstraintError, build
from constraints.muldimif import spec
from shared_data import documented_corrections, shared_jsonl

CORRECTED_IDS = documented_corrections("muldimif.md")


@lru_cache(maxsize=1)
def rows() -> list[dict]:
    return shared_jsonl("conformance/muldimif_sample.jsonl")


@lru_cache(maxsize=2)
def judged(semantics: str) -> tuple:
    """(row, type, subtype, sentence, expected, our verdict or the ConstraintError)."""
    out = []
    checkers: dict[tuple, object] = {}
    for row in rows():
        for (type_, subtype, sentence), want in zip(row["constraints"], row["verdicts"]):
            key = (type_, subtype, sentence)
            if key not in checkers:
                cid, kwargs = spec(type_, subtype, sentence)
                try:
                    checkers[key] = build(cid, kwargs, semantics=semantics)
                except ConstraintError as exc:
                    checkers[key] = exc
            checker = checkers[key]
            got = checker if isinstance(checker, ConstraintError) else checker.check(row["response"])
            out.append((row, type_, subtype, sentence, want, got))
    return tuple(out)


def test_every_reference_verdict_is_reproduced():
    results = judged("reference")
    assert len(results) == 8274
    assert all(want is not None for *_, want, _ in results)  # the reference never raised here
    mismatches = [(row["id"], row["response_index"], t, s, x)
                  for row, t, s, x, want, got in results
                  if isinstance(got, ConstraintError) or got.passed != want]
    assert mismatches == [], f"{len(mismatches)} of 8274 verdicts differ: {mismatches[:20]}"


def test_the_sample_covers_32_pairs_and_all_12_checkers():
    pairs = Counter((t, s) for _, t, s, *_ in judged("reference"))
    assert len(pairs) == 32
    assert len({spec(t, s, "")[0] for t, s in pairs}) == 12


def test_every_verdict_explains_itself():
    for *_, got in judged("reference"):
        assert got.explanation and not got.unavailable


def test_corrected_semantics_differs_only_where_documented():
    changed, refused = set(), Counter()
    for (row, t, s, x, _, ref), (*_, cor) in zip(judged("reference"), judged("corrected")):
        if isinstance(cor, ConstraintError):
            assert x in str(cor) and cor.field == "constraint"
            refused[cor.constraint_id] += 1
        elif ref.passed != cor.passed:
            changed.add(spec(t, s, x)[0])
    assert changed <= CORRECTED_IDS, changed - CORRECTED_IDS
    # Every refusal is a sentence the reference does not understand, and says so.
    for (*_, x, _, ref), (*_, cor) in zip(judged("reference"), judged("corrected")):
        if isinstance(cor, ConstraintError):
            assert "does not understand" in ref.explanation, (x, ref.explanation)
    assert 0 < sum(refused.values()) < 400, refused


def test_hir_check_scoring_reproduces_the_reference_on_blank_answers_too():
    # the engine (what hir check runs) must not fail a blank answer before a MulDimIF checker
    # sees it: the reference judges it like any other answer
    from constraints import score
    blank = [r for r in rows() if not r["response"].strip()]
    assert blank, "the sample has blank answers"
    for row in blank:
        checkers = [build(*spec(*c)) for c in row["constraints"]]
        got = [v.passed for v in score(checkers, row["response"], modes=("strict",)).strict]
        assert got == row["verdicts"], (row["id"], row["response_index"])
