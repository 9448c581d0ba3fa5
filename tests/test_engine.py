"""The core contract: registry lookups, parameter validation, strict/loose judging, alignment."""

from __future__ import annotations

import pytest

import constraints
from constraints import Checker, ConstraintError, Params, UnknownConstraint, Verdict, registry
from constraints.engine import judge_loose, loose_variants, score


class _EndsWith(Params):
    suffix: str
    times: int = 1


class EndsWith(Checker):
    """A test-only checker that counts how often it is called, to observe the engine."""

    Params = _EndsWith
    calls: list[str] = []

    def describe(self) -> str:
        return f"End your response with {self.params.suffix!r}."

    def check(self, response: str) -> Verdict:
        EndsWith.calls.append(response)
        ok = response.endswith(self.params.suffix * self.params.times)
        return Verdict(ok, "ends correctly" if ok else "wrong ending")


@pytest.fixture
def ends_with(monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, "test:ends_with", EndsWith)
    EndsWith.calls = []
    yield EndsWith
    EndsWith.id = ""


def test_loose_variants_follow_the_reference_order():
    response = "Sure! Here it is:\n**Body** line\nthe end *"
    variants = loose_variants(response)
    assert variants == [
        response,
        "Sure! Here it is:\nBody line\nthe end ",
        "**Body** line\nthe end *",
        "Sure! Here it is:\n**Body** line",
        "**Body** line",
        "Body line\nthe end ",
        "Sure! Here it is:\nBody line",
        "Body line",
    ]


def test_strict_and_loose_differ_on_a_preamble(ends_with):
    # strict fails because of the trailing line; loose passes by dropping it
    response = "Answer: yes!\nHope this helps."
    strict = constraints.check(["test:ends_with"], [{"suffix": "!"}], response, mode="strict")
    loose = constraints.check(["test:ends_with"], [{"suffix": "!"}], response, mode="loose")
    assert [v.passed for v in strict] == [False]
    assert [v.passed for v in loose] == [True]


def test_loose_judges_identical_variants_once(ends_with):
    checker = registry.build("test:ends_with", {"suffix": "?"})
    result = judge_loose(checker, loose_variants("one line without stars"))
    assert result.passed is False
    # the 8 variants of a one-line, star-free text collapse to 2 distinct strings ("" is skipped)
    assert EndsWith.calls == ["one line without stars"]


def test_empty_response_follows_nothing(ends_with):
    for mode in ("strict", "loose"):
        [v] = constraints.check(["test:ends_with"], [{"suffix": ""}], "  \n ", mode=mode)
        assert not v.passed
        assert "empty" in v.explanation
    assert EndsWith.calls == []


def test_results_are_index_aligned_when_ids_repeat(ends_with):
    ids = ["test:ends_with", "punctuation:no_comma", "test:ends_with"]
    kwargs = [{"suffix": "!"}, {}, {"suffix": "?"}]
    verdicts = constraints.check(ids, kwargs, "Well, hello!")
    assert [v.passed for v in verdicts] == [True, False, False]


def test_null_padding_means_not_given(ends_with):
    checker = registry.build("test:ends_with", {"suffix": "x", "times": None})
    assert checker.params.times == 1


def test_missing_required_parameter_names_constraint_and_field(ends_with):
    with pytest.raises(ConstraintError) as info:
        constraints.check(["punctuation:no_comma", "test:ends_with"], [{}, {"suffix": None}], "x")
    err = info.value
    assert (err.index, err.constraint_id, err.field) == (1, "test:ends_with", "suffix")
    assert "constraint 1 'test:ends_with' field 'suffix': required parameter is missing" == str(err)


def test_wrong_type_and_unknown_parameter_are_errors(ends_with):
    with pytest.raises(ConstraintError) as info:
        registry.build("test:ends_with", {"suffix": "!", "times": "many"})
    assert info.value.field == "times"
    with pytest.raises(ConstraintError) as info:
        registry.build("test:ends_with", {"suffix": "!", "colour": "red"})
    assert info.value.field == "colour" and "unknown parameter" in str(info.value)


def test_unknown_id_and_misaligned_kwargs():
    with pytest.raises(UnknownConstraint, match="no:such"):
        constraints.check(["no:such"], [{}], "text")
    with pytest.raises(ConstraintError, match="index-aligned"):
        constraints.check(["punctuation:no_comma"], [{}, {}], "text")


def test_register_rejects_bad_ids_and_duplicates(ends_with):
    with pytest.raises(ValueError, match="group:name"):
        registry.register("nogroup")
    with pytest.raises(ValueError, match="already registered"):
        @registry.register("punctuation:no_comma")
        class Other(Checker):
            pass


def test_verdict_refuses_to_be_used_as_a_bool():
    with pytest.raises(TypeError):
        bool(Verdict(True, "x"))


def test_score_reports_unavailable_checkers(monkeypatch):
    class Missing(Checker):
        def describe(self):
            return "Needs data."

        def check(self, response):
            return Verdict(False, "unavailable: data package not installed", unavailable=True)

    monkeypatch.setitem(registry._REGISTRY, "test:missing", Missing)
    checkers = registry.build_all(["punctuation:no_comma", "test:missing"], [{}, {}])
    scored = score(checkers, "fine text")
    assert scored.unavailable == [1]
    assert scored.strict[0].passed and not scored.follow_all_strict


def test_describe_is_index_aligned(ends_with):
    assert constraints.describe(["test:ends_with", "punctuation:no_comma"], [{"suffix": "!"}, {}]) == [
        "End your response with '!'.",
        "In your entire response, refrain from the use of any commas.",
    ]


def test_families_load_on_demand_and_plugins_last():
    # In a fresh interpreter: looking up an IFEval id must not import the IFBench family, and
    # ids() loads everything.
    import subprocess
    import sys

    code = ("import sys, constraints; constraints.checker_class('punctuation:no_comma');"
            "print('constraints.ifbench' in sys.modules);"
            "n = len(constraints.ids()); print('constraints.ifbench' in sys.modules, n > 80)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_loose_reuses_the_strict_verdict_on_the_response_itself(monkeypatch):
    # Loose mode's first variant is the response: judged once for both modes, same verdicts.
    checker = constraints.build("punctuation:no_comma", {})
    seen = []
    original = type(checker).check
    monkeypatch.setattr(type(checker), "check", lambda self, text: seen.append(text)
                        or original(self, text))
    response = "**A, b**\nno commas here"
    scored = score([checker], response)
    assert seen.count(response) == 1
    assert [v.passed for v in scored.strict] == [False]
    assert [v.passed for v in scored.loose] == [True]  # the variant without the first line


def test_every_builtin_checker_declares_params_the_one_way():
    """A module-level ``XParams`` model assigned as ``Params = XParams``; no parameters: the
    inherited ``NoParams`` (see ``constraints.base.Checker``)."""
    registry._load()
    builtin = {cid: cls for cid, cls in registry._REGISTRY.items()
               if cls.__module__.startswith(("constraints.ifeval.", "constraints.ifbench."))}
    assert len(builtin) == 25 + 58
    for cid, cls in builtin.items():
        model = cls.Params
        if model is constraints.NoParams:
            assert "Params" not in cls.__dict__, f"{cid}: restates the NoParams default"
            continue
        assert "." not in model.__qualname__, f"{cid}: Params nested in the class"
        assert model.__module__ == cls.__module__, cid
        assert model.__name__.endswith("Params") and not model.__name__.startswith("_"), cid
