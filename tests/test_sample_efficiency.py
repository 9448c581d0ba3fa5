"""The pure parts of benchmarks/sample_efficiency.py: rollouts to target, ratios with bounds,
the seeded bootstrap interval, the sparsity measure."""

import importlib.util
import math
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "sample_efficiency.py"
_spec = importlib.util.spec_from_file_location("sample_efficiency", _PATH)
se = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(se)


def _evals(*ilas, every=768):
    return [{"step": i, "rollouts": i * every, "eval_ila": x} for i, x in enumerate(ilas)]


def test_rollouts_to_target_is_the_first_eval_reaching_it():
    rows = _evals(0.0, 0.1, 0.3, 0.2, 0.5)
    assert se.rollouts_to_target(rows, 0.3) == 2 * 768
    assert se.rollouts_to_target(rows, 0.05) == 768
    assert se.rollouts_to_target(rows, 0.0) == 0
    assert se.rollouts_to_target(rows, 0.6) is None
    assert se.rollouts_to_target([], 0.1) is None


def test_ratio_with_bounds():
    assert se.ratio_with_bound(1536, 768, 5376) == (2.0, "=")
    assert se.ratio_with_bound(None, 768, 5376) == (7.0, ">=")   # HiR missed: at least
    assert se.ratio_with_bound(768, None, 5376) == (768 / 5376, "<=")  # binary missed: at most
    assert se.ratio_with_bound(None, None, 5376) == (None, None)


def test_bootstrap_interval_is_deterministic_and_brackets_the_median():
    values = [0.8, 1.0, 1.2, 1.5, 2.0]
    a = se.bootstrap_interval(values, seed=1)
    assert a == se.bootstrap_interval(values, seed=1)
    assert a[0] <= 1.2 <= a[1]
    assert min(values) <= a[0] and a[1] <= max(values)
    assert se.bootstrap_interval([1.3], seed=0) == (1.3, 1.3)
    assert all(math.isnan(x) for x in se.bootstrap_interval([]))
    # a narrower level gives a narrower (or equal) interval
    b = se.bootstrap_interval(values, level=0.5, seed=1)
    assert a[0] <= b[0] and b[1] <= a[1]


def test_summarize_ratios_marks_bounds_and_skips_uninformative_seeds():
    pairs = [(1.5, "="), (7.0, ">="), (None, None), (1.0, "=")]
    s = se.summarize_ratios(pairs, seed=0)
    assert s["n"] == 3 and s["median"] == 1.5 and s["bounds"] == [">="]
    assert s["per_seed"] == [1.5, 7.0, None, 1.0]
    assert s["ci90"][0] <= 1.5 <= s["ci90"][1]
    empty = se.summarize_ratios([(None, None)])
    assert empty["n"] == 0 and math.isnan(empty["median"])


def test_mean_ila_and_paired_differences():
    assert se.mean_ila(_evals(0.9, 0.1, 0.3)) == pytest.approx(0.2)   # step 0 left out
    d = se.paired_difference([0.3, 0.5, 0.2], [0.2, 0.5, 0.4], seed=0)
    assert d["mean"] == pytest.approx((0.1 + 0.0 - 0.2) / 3)
    assert (d["n"], d["higher"], d["lower"]) == (3, 1, 1)
    assert d["ci90"][0] <= d["mean"] <= d["ci90"][1]
    assert d == se.paired_difference([0.3, 0.5, 0.2], [0.2, 0.5, 0.4], seed=0)
    assert -0.2 - 1e-12 <= d["ci90"][0] and d["ci90"][1] <= 0.1 + 1e-12


def test_sparsity_of_a_run_without_replays():
    rows = [{"step": s, "dead_groups": d, "train_ila": ila}
            for s, d, ila in [(1, 16, 0.0), (2, 14, 0.02), (3, 12, 0.05), (4, 16, 0.0),
                              (5, 12, 0.03), (6, 2, 0.4)]]
    dead, empty = se.sparsity(rows, 16)
    assert dead == pytest.approx((16 + 14 + 12 + 16 + 12) / 80)
    assert empty == pytest.approx(2 / 6)


def test_protocol_budgets_divide_the_eval_interval():
    from hir.toy import TRAIN_PRESET

    for name, overrides in se.METHODS.items():
        per_step = TRAIN_PRESET["prompts_per_step"] * {**TRAIN_PRESET, **overrides}[
            "responses_per_prompt"]
        assert se.EVAL_ROLLOUTS % per_step == 0, name
    assert se.METHODS["hir_paper"]["responses_per_prompt"] == 6
    assert se.METHODS["hir_paper"]["replay_k"] == 2


def test_constraint_rates_and_bullets_where_not_asked(tmp_path):
    import json

    bullets = {"id": "detectable_format:number_bullet_lists", "kwargs": {"num_bullets": 2}}
    no_comma = {"id": "punctuation:no_comma", "kwargs": {}}
    rows = [({"task": "Write.", "constraints": [bullets, no_comma]}, "* a\n* b"),
            ({"task": "Write.", "constraints": [no_comma]}, "* a, b"),
            ({"task": "Write.", "constraints": [no_comma]}, "plain")]
    path = tmp_path / "step_000001.jsonl"
    path.write_text("".join(json.dumps({"key": str(i), "instruction": inst, "response": r}) + "\n"
                            for i, (inst, r) in enumerate(rows)))
    rates = se.constraint_rates(path)
    assert rates["detectable_format:number_bullet_lists"] == 1.0
    assert rates["punctuation:no_comma"] == pytest.approx(2 / 3)
    assert rates["bullets_unasked"] == 0.5   # one of the two responses not asked has bullets


def test_same_run_compares_paths_as_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rel = {"model": "runs/m", "data": "runs/t.jsonl", "eval_data": None,
           "output_dir": "runs/seed0/binary", "lr": 3e-4}
    absolute = {**rel, "model": str(tmp_path / "runs/m"), "data": str(tmp_path / "runs/t.jsonl"),
                "output_dir": str(tmp_path / "runs/seed0/binary")}
    assert se.same_run(rel, absolute)
    assert not se.same_run(rel, {**absolute, "lr": 1e-4})
    # a field added later, left at its None default, is the run an older config describes
    assert se.same_run(rel, {**absolute, "replay_achieved_families": None})
    assert not se.same_run(rel, {**absolute, "replay_achieved_families": ["x"]})
    assert not se.same_run(rel, {**absolute, "model": str(tmp_path / "runs/other")})
