"""Resume after injected faults: torn and temporary checkpoints, torn log lines, planted pickles.

One tiny 4-step run (checkpoints at steps 2 and 4) is the uninterrupted reference; each test copies
its run directory, injects one fault, resumes, and checks that the resumed run either reproduces
the reference exactly (metrics, timings aside, and final weights) or is refused by name, and that
nothing planted in the run directory is ever unpickled.
"""

import json
import shutil
import warnings

import pytest

from tiny_lm import load, torch, write, tiny  # noqa: F401 (a fixture); skips without torch
from hir.train import checkpoint as ckpt
from hir.train.config import load_config
from hir.train.distributed import Dist
from hir.train.metrics import LogError, TornLineWarning, read_metrics
from hir.train.trainer import TIMING_KEYS, SetupError, train



@pytest.fixture(scope="module")
def reference(tiny, tmp_path_factory):
    """An uninterrupted 4-step run, checkpointed at steps 2 and 4."""
    model, data = tiny
    out = tmp_path_factory.mktemp("ref") / "run"
    train(load_config(None, dict(
        model=str(model), data=str(data), output_dir=str(out), max_steps=4, prompts_per_step=4,
        responses_per_prompt=2, max_new_tokens=8, lr=1e-2, eval_fraction=0.25, eval_every=2,
        save_every=2, micro_batch_size=3, tensorboard=False, progress=False, threads=1,
        kl_coef=0.05, temperature=1.0, top_p=0.9)))
    assert [p.name for p in sorted((out / "checkpoints").iterdir())] == \
        ["step_000002", "step_000004"]
    return out


def _copy(reference, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    return run


def _resume(run):
    return train(load_config(None, {}), resume=run)


def _strip(rows):
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]


def _weights(run):
    from safetensors.torch import load_file
    return load_file(str(ckpt.latest(run) / "model" / "model.safetensors"))


def _assert_same_run(run, reference):
    assert _strip(read_metrics(run)) == _strip(read_metrics(reference))
    assert [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()] == \
        [json.loads(x) for x in (reference / "samples.jsonl").read_text().splitlines()]
    wa, wb = _weights(run), _weights(reference)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def _steps(run):
    return sorted(p.name for p in (run / "checkpoints").iterdir())


# -- what a checkpoint holds ----------------------------------------------------------------------

def test_checkpoint_has_a_manifest_and_no_pickled_rng(reference):
    last = ckpt.latest(reference)
    assert last.name == "step_000004" and ckpt.problem(last) is None
    manifest = json.loads((last / ckpt.MANIFEST).read_text())
    assert manifest["format"] == ckpt.FORMAT and manifest["world"] == 1
    assert {"state.json", "optimizer.pt", "rng_rank0.json", "model/model.safetensors"} <= \
        set(manifest["files"])
    assert [p.name for p in last.glob("*.pt")] == ["optimizer.pt"]  # the only .pt file
    assert [p.name for p in last.glob("rng_*")] == ["rng_rank0.json"]
    rng = json.loads((last / "rng_rank0.json").read_text())
    assert rng["python"][0] == 3 and len(rng["python"][1]) == 625 and isinstance(rng["torch"], str)


def test_rng_state_round_trips_through_json():
    import random
    state = json.loads(json.dumps(ckpt.rng_state()))
    a = (random.random(), random.gauss(0, 1), torch.rand(3))
    ckpt.set_rng_state(state)
    b = (random.random(), random.gauss(0, 1), torch.rand(3))
    assert a[:2] == b[:2] and torch.equal(a[2], b[2])


def test_save_removes_stale_tmp_dirs(tiny, tmp_path):
    model, tok = load(tmp_path / "m")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    stale = tmp_path / "run" / "checkpoints" / "step_000003.tmp"
    (stale / "model").mkdir(parents=True)
    (stale / "state.json").write_text('{"step": 3, "roll')
    saved = ckpt.save(tmp_path / "run", ckpt.RunState(step=5), model, tok, opt, Dist())
    assert not stale.exists() and saved.name == "step_000005"
    assert _steps(tmp_path / "run") == ["step_000005"] and ckpt.latest(tmp_path / "run") == saved


# -- torn and temporary checkpoints ---------------------------------------------------------------

def test_tmp_checkpoint_is_never_picked_and_is_removed(reference, tmp_path):
    """Killed between writing step 4 and os.replace: a newer .tmp with a half-written state."""
    run = _copy(reference, tmp_path)
    final = run / "checkpoints" / "step_000004"
    tmp = final.with_name("step_000004.tmp")
    final.rename(tmp)
    (tmp / ckpt.MANIFEST).unlink()
    state = (tmp / "state.json").read_text()
    (tmp / "state.json").write_text(state[: len(state) // 2])
    assert ckpt.latest(run).name == "step_000002"
    result = _resume(run)
    assert result.steps == 4 and not tmp.exists()
    assert _steps(run) == ["step_000002", "step_000004"]
    _assert_same_run(run, reference)


@pytest.mark.parametrize("fault", ["truncated state.json", "truncated weights"])
def test_torn_newest_checkpoint_falls_back_to_the_previous_one(reference, tmp_path, fault):
    run = _copy(reference, tmp_path)
    last = run / "checkpoints" / "step_000004"
    victim = last / ("state.json" if fault == "truncated state.json"
                     else "model/model.safetensors")
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    with pytest.warns(ckpt.CheckpointWarning, match="step_000004"):
        assert ckpt.latest(run).name == "step_000002"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ckpt.CheckpointWarning)
        result = _resume(run)
    assert result.steps == 4 and ckpt.latest(run) == last  # step 4 written again, whole
    _assert_same_run(run, reference)


def test_stale_tmp_dir_is_removed_on_resume(reference, tmp_path):
    run = _copy(reference, tmp_path)
    stale = run / "checkpoints" / "step_000003.tmp"
    shutil.copytree(run / "checkpoints" / "step_000002", stale)
    result = _resume(run)  # already at max_steps: nothing to train, only the resume path
    assert result.steps == 4 and not stale.exists()
    assert _steps(run) == ["step_000002", "step_000004"]
    _assert_same_run(run, reference)


def test_no_complete_checkpoint_is_refused(reference, tmp_path):
    run = _copy(reference, tmp_path)
    for p in (run / "checkpoints").iterdir():
        (p / "state.json").write_text("{")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ckpt.CheckpointWarning)
        with pytest.raises(SetupError, match="no complete checkpoint"):
            _resume(run)


# -- torn log lines -------------------------------------------------------------------------------

def _tear_at_step_3(path):
    """The file as a run killed while writing its first step-3 row leaves it."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first3 = next(i for i, x in enumerate(lines) if json.loads(x)["step"] == 3)
    torn = lines[first3].encode("utf-8")
    path.write_bytes("".join(lines[:first3]).encode("utf-8") + torn[: len(torn) // 2])


def test_torn_last_lines_of_the_logs_are_dropped_on_resume(reference, tmp_path):
    run = _copy(reference, tmp_path)
    shutil.rmtree(run / "checkpoints" / "step_000004")  # killed during step 3
    _tear_at_step_3(run / "metrics.jsonl")
    _tear_at_step_3(run / "samples.jsonl")
    with (run / "samples.jsonl").open("ab") as f:
        f.write("{\"prompt\": \"caf\u00e9".encode("utf-8")[:-1])  # cut inside a UTF-8 character
    with pytest.warns(TornLineWarning, match="metrics.jsonl"):
        rows = read_metrics(run)
    assert max(r["step"] for r in rows) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornLineWarning)
        result = _resume(run)
    assert result.steps == 4
    _assert_same_run(run, reference)


def test_torn_line_in_the_middle_is_an_error_naming_file_and_line(reference, tmp_path):
    run = _copy(reference, tmp_path)
    path = run / "metrics.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1][:10] + "\n"
    path.write_text("".join(lines))
    before = path.read_bytes()
    with pytest.raises(LogError, match=r"metrics\.jsonl:2: "):
        read_metrics(run)
    with pytest.raises(SetupError, match=r"metrics\.jsonl:2: "):
        _resume(run)
    assert path.read_bytes() == before  # nothing rewritten


# -- planted pickles are never loaded -------------------------------------------------------------

class _Payload:
    """Unpickling this creates (truncates) ``path``: a harmless stand-in for arbitrary code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _plant(path, marker):
    torch.save({"python": _Payload(marker), "torch": torch.get_rng_state()}, path)


def test_the_payload_is_live(tmp_path):
    """The planted file really runs its payload when unpickled (else the tests below prove
    nothing)."""
    probe = tmp_path / "probe"
    _plant(tmp_path / "rng_rank0.pt", probe)
    torch.load(tmp_path / "rng_rank0.pt", weights_only=False)
    assert probe.exists()


def test_old_pickled_rng_checkpoint_is_refused_not_unpickled(reference, tmp_path):
    run = _copy(reference, tmp_path)
    marker = tmp_path / "PWNED"
    for last in (run / "checkpoints").iterdir():  # the layout of older versions
        (last / ckpt.MANIFEST).unlink()
        (last / "rng_rank0.json").unlink()
        _plant(last / "rng_rank0.pt", marker)
    with pytest.raises(SetupError, match=r"step_000004/rng_rank0\.pt: .*will not be unpickled"):
        _resume(run)
    assert not marker.exists()


def test_pickle_planted_in_a_current_checkpoint_is_ignored(reference, tmp_path):
    run = _copy(reference, tmp_path)
    marker = tmp_path / "PWNED"
    _plant(run / "checkpoints" / "step_000004" / "rng_rank0.pt", marker)
    _plant(run / "checkpoints" / "step_000004" / "rng_rank1.pt", marker)
    result = _resume(run)
    assert result.steps == 4 and not marker.exists()
    _assert_same_run(run, reference)


def test_crafted_optimizer_state_is_refused_not_unpickled(reference, tmp_path):
    run = _copy(reference, tmp_path)
    marker = tmp_path / "PWNED"
    last = run / "checkpoints" / "step_000004"
    torch.save({"state": {}, "param_groups": [_Payload(marker)]}, last / "optimizer.pt")
    manifest = json.loads((last / ckpt.MANIFEST).read_text())  # a consistent forgery
    manifest["files"]["optimizer.pt"] = (last / "optimizer.pt").stat().st_size
    (last / ckpt.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(SetupError, match=r"optimizer\.pt: not a plain optimizer state"):
        _resume(run)
    assert not marker.exists()
