"""``--eval-data`` in IFEval form: every eval logs the numbers ``hir check`` gives the same responses.

A tiny local model trains two steps with an IFEval-form held-out file and evaluates at steps 0, 1
and 2. Each eval's greedy responses are in ``eval_responses/step_N.jsonl``; the real ``hir check``
(a subprocess, default reference semantics) scores that file, and its prompt- and
instruction-level accuracies, strict and loose, must equal the ones in ``metrics.jsonl``.
"""

import json
import subprocess
import sys

import pytest

from tiny_lm import write  # skips this module without torch / transformers
from hir.train.config import load_config
from hir.train.metrics import read_metrics
from hir.train.trainer import EVAL_RESPONSES, train

ACCURACIES = ("prompt_strict", "prompt_loose", "instruction_strict", "instruction_loose")

# IFEval rows over the tiny model's vocabulary (tiny_model.WORDS), whose word salad satisfies
# some of these constraints and not others
IFEVAL_ROWS = [
    {"key": 11, "prompt": "Write about the sea. Do not use any commas.",
     "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
    {"key": 12, "prompt": "Write about rain in lowercase and include the word river.",
     "instruction_id_list": ["change_case:english_lowercase", "keywords:existence"],
     "kwargs": [{}, {"keywords": ["river"]}]},
    {"key": 13, "prompt": "Write about cats in less than 6 words.",
     "instruction_id_list": ["length_constraints:number_words"],
     "kwargs": [{"relation": "less than", "num_words": 6}]},
    {"key": 14, "prompt": "Write about bread and end with peace.",
     "instruction_id_list": ["startend:end_checker", "punctuation:no_comma"],
     "kwargs": [{"end_phrase": "peace"}, {}]},
    {"key": 15, "prompt": "Write about the moon with the word golden.",
     "instruction_id_list": ["keywords:existence", "length_constraints:number_words"],
     "kwargs": [{"keywords": ["golden"]}, {"relation": "at least", "num_words": 3}]},
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-data")
    model, data = write(root, seed=7)  # a seed whose greedy responses are not empty
    eval_file = root / "ifeval.jsonl"
    eval_file.write_text("".join(json.dumps(r) + "\n" for r in IFEVAL_ROWS), encoding="utf-8")
    cfg = load_config(None, dict(
        model=str(model), data=str(data), eval_data=str(eval_file), output_dir=str(root / "run"),
        max_steps=2, prompts_per_step=4, responses_per_prompt=2, max_new_tokens=8, lr=1e-2,
        eval_every=1, save_every=0, micro_batch_size=4, tensorboard=False, progress=False,
        threads=1))
    train(cfg)
    return root / "run"


def _hir_check(path) -> dict:
    """``hir check FILE --json -q``'s summary, from a separate process."""
    out = path.with_suffix(".verdicts.jsonl")
    proc = subprocess.run([sys.executable, "-m", "cli.main", "check", str(path), "-o", str(out),
                           "--json", "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_each_eval_logs_what_hir_check_gives_its_responses(run):
    evals = [r for r in read_metrics(run) if r.get("eval")]
    assert [r["step"] for r in evals] == [0, 1, 2]
    for row in evals:
        responses = run / EVAL_RESPONSES / f"step_{row['step']:06d}.jsonl"
        lines = [json.loads(x) for x in responses.read_text(encoding="utf-8").splitlines()]
        # the held-out rows in input order, in their IFEval form (the trainer keeps keys as
        # strings), with the greedy response
        assert [x["key"] for x in lines] == [str(r["key"]) for r in IFEVAL_ROWS]
        assert all(x["instruction_id_list"] == r["instruction_id_list"]
                   for x, r in zip(lines, IFEVAL_ROWS))
        checked = _hir_check(responses)
        assert checked["semantics"] == "reference"
        assert checked["samples"] == row["eval_n"] == len(IFEVAL_ROWS)
        assert checked["rejected"] == row["eval_check_rejected"] == 0
        for name in ACCURACIES:
            assert row[f"eval_{name}"] == pytest.approx(checked[name], abs=1e-12), name
    # the word salad follows some instructions and not others: the comparison is not vacuous
    rates = [r["eval_instruction_strict"] for r in evals]
    assert any(0 < x < 1 for x in rates), rates


def test_the_eval_numbers_survive_the_end_of_run_summary(run):
    """``EvalResult.from_row`` (used by a resume) reads the accuracies back."""
    from hir.train.evaluate import EvalResult

    last = [r for r in read_metrics(run) if r.get("eval")][-1]
    again = EvalResult.from_row(last)
    assert again.row()["eval_prompt_loose"] == last["eval_prompt_loose"]
    assert set(again.check) == set(ACCURACIES)


def test_a_resume_drops_the_responses_of_evals_after_its_checkpoint(tmp_path):
    """The evals after the checkpoint are redone (or skipped by a new eval_every): their files go
    with their metrics rows."""
    model, data = write(tmp_path, seed=7)
    eval_file = tmp_path / "ifeval.jsonl"
    eval_file.write_text("".join(json.dumps(r) + "\n" for r in IFEVAL_ROWS[:2]), encoding="utf-8")
    out = tmp_path / "run"
    common = dict(model=str(model), data=str(data), eval_data=str(eval_file), output_dir=str(out),
                  prompts_per_step=2, responses_per_prompt=2, max_new_tokens=4,
                  micro_batch_size=4, tensorboard=False, progress=False, threads=1)
    train(load_config(None, dict(common, max_steps=2, eval_every=1, save_every=1)))
    responses = out / EVAL_RESPONSES
    (out / "checkpoints" / "step_000002").rename(tmp_path / "dropped")  # as if killed after eval 2
    assert sorted(p.name for p in responses.iterdir())[-1] == "step_000002.jsonl"
    train(load_config(None, dict(common, max_steps=3, eval_every=3, save_every=0)),
          resume=out)
    steps = [r["step"] for r in read_metrics(out) if r.get("eval")]
    assert steps == [0, 1, 3]
    assert sorted(p.name for p in responses.iterdir()) == [
        f"step_{s:06d}.jsonl" for s in steps]
