"""TensorBoard events: written for every numeric metric, readable, not duplicated by a resume."""

import shutil

import pytest

from tiny_lm import tiny  # noqa: F401 (a fixture); skips without torch

pytest.importorskip("tensorboard", reason="writing and reading TensorBoard events needs the "
                    "tensorboard package: pip install 'hir[tb]'")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from hir.train import checkpoint as ckpt  # noqa: E402
from hir.train.config import load_config  # noqa: E402
from hir.train.metrics import read_metrics  # noqa: E402
from hir.train.trainer import train  # noqa: E402



@pytest.fixture(scope="module")
def reference(tiny, tmp_path_factory):
    """An uninterrupted 4-step run with TensorBoard on, checkpointed at steps 2 and 4."""
    model, data = tiny
    out = tmp_path_factory.mktemp("ref") / "run"
    train(load_config(None, dict(
        model=str(model), data=str(data), output_dir=str(out), max_steps=4, prompts_per_step=4,
        responses_per_prompt=2, max_new_tokens=8, lr=1e-2, eval_fraction=0.25, eval_every=2,
        save_every=2, micro_batch_size=3, tensorboard=True, progress=False, threads=1,
        lr_schedule="linear")))
    return out


def _scalars(run):
    acc = EventAccumulator(str(run / "tb"))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_events_mirror_the_metrics_rows(reference):
    scalars = _scalars(reference)
    rows = read_metrics(reference)
    train_rows = [r for r in rows if not r.get("eval")]
    eval_rows = [r for r in rows if r.get("eval")]
    for key in ("reward", "train_ila", "loss", "lr", "replays", "entropy", "grad_norm"):
        got = scalars[f"train/{key}"]
        assert [s for s, _ in got] == [1, 2, 3, 4], key
        assert [v for _, v in got] == pytest.approx([r[key] for r in train_rows], rel=1e-6), key
    got = scalars["eval/eval_ila"]
    assert [s for s, _ in got] == [r["step"] for r in eval_rows] == [0, 2, 4]
    assert [v for _, v in got] == pytest.approx([r["eval_ila"] for r in eval_rows])
    # a null value (kl without a reference) and non-numbers are not written
    assert "train/kl" not in scalars and "eval/eval_by_id" not in scalars
    # the linear schedule shows in the lr curve
    lrs = [v for _, v in scalars["train/lr"]]
    assert lrs == sorted(lrs, reverse=True) and lrs[0] > lrs[-1]


def test_resume_replaces_the_events_after_the_checkpoint(reference, tmp_path):
    """Killed after step 4's events but before its checkpoint: the resumed run writes steps 3-4
    again and TensorBoard shows each step once, with the values of the uninterrupted run."""
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    shutil.rmtree(run / "checkpoints" / "step_000004")
    assert ckpt.latest(run).name == "step_000002"
    train(load_config(None, {}), resume=run)
    assert len(list((run / "tb").iterdir())) == 2  # the first run's event file and the resume's
    got, want = _scalars(run), _scalars(reference)
    for tag in ("train/reward", "train/loss", "train/lr", "eval/eval_ila"):
        assert [s for s, _ in got[tag]] == [s for s, _ in want[tag]], tag
        assert [v for _, v in got[tag]] == pytest.approx([v for _, v in want[tag]]), tag


def test_no_events_when_tensorboard_is_off(tiny, tmp_path):
    model, data = tiny
    train(load_config(None, dict(
        model=str(model), data=str(data), output_dir=str(tmp_path / "run"), max_steps=1,
        prompts_per_step=2, responses_per_prompt=2, max_new_tokens=4, eval_every=0,
        save_every=0, tensorboard=False, progress=False, threads=1)))
    assert not (tmp_path / "run" / "tb").exists()
