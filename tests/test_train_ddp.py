"""Data parallelism: 2 gloo processes under torchrun, and the gradient all-reduce arithmetic."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from hir.train import checkpoint as ckpt  # noqa: E402
from hir.train.metrics import read_metrics  # noqa: E402
from tiny_model import write_tiny  # noqa: E402

ROOT = Path(__file__).parents[1]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed unavailable")
def test_two_process_gloo_run(tmp_path):
    model, data = write_tiny(tmp_path)
    out = tmp_path / "run"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
           "--master-port", str(port), "-m", "cli.main", "train", "--model", str(model), "--data",
           str(data), "-o", str(out), "--max-steps", "2", "-B", "4", "-m", "2",
           "--max-new-tokens", "6", "--threads", "1", "--lr", "1e-2", "--quiet",
           "--device", "cpu"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the workers too, not only the launcher
        stdout, stderr = proc.communicate()
        pytest.fail("torchrun run timed out: " + stderr[-3000:])
    assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
    rows = [r for r in read_metrics(out) if not r.get("eval")]
    # metrics are reduced over ranks: each step counts the whole global batch of B * m
    assert [r["rollouts"] for r in rows] == [8, 16]
    last = ckpt.latest(out)
    assert (last / "rng_rank0.json").exists() and (last / "rng_rank1.json").exists()
    # the trainer checks at every save that both ranks hold identical weights (else it fails)
    state = json.loads((last / "state.json").read_text())
    assert state["step"] == 2 and state["rollouts"] == 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _loss(w, rows):
    from hir.train.loss import ppo_loss

    lp_all = torch.stack([w * 0.1 * (i + 1) for i in range(4)])  # [4 sequences, 5 tokens]
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0], [1, 1, 1, 0, 0]])
    adv = torch.tensor([1.0, -0.5, 0.3, 2.0])
    return ppo_loss(lp_all[rows], lp_all[rows].detach() - 0.05, adv[rows], mask[rows],
                    n_tokens=int(mask.sum())).loss


def test_rank_gradients_summed_equal_the_full_batch_gradient():
    # what all_reduce_grads computes: each rank's loss is divided by the *global* token count,
    # so the sum of the ranks' gradients is the gradient of the full batch's token-mean loss
    w = torch.nn.Parameter(torch.randn(5, generator=torch.Generator().manual_seed(0)))
    _loss(w, [0, 1, 2, 3]).backward()
    full = w.grad.clone()
    parts = []
    for rows in ([0, 2], [1, 3]):
        w.grad = None
        _loss(w, rows).backward()
        parts.append(w.grad.clone())
    assert torch.allclose(parts[0] + parts[1], full, atol=1e-6)


def test_all_reduce_grads_returns_each_gradient_its_own_slice(monkeypatch):
    import torch.distributed as dist

    from hir.train.distributed import Dist, all_reduce_grads

    seen = []

    def fake_all_reduce(t, op=None):  # stands in for a peer rank holding 10x our gradients
        seen.append(t.numel())
        t.mul_(11)

    monkeypatch.setattr(dist, "all_reduce", fake_all_reduce)
    a = torch.nn.Parameter(torch.zeros(2, 3))
    b = torch.nn.Parameter(torch.zeros(4))
    unused = torch.nn.Parameter(torch.zeros(3))
    frozen = torch.nn.Parameter(torch.zeros(7), requires_grad=False)
    a.grad = torch.arange(6.0).view(2, 3)
    b.grad = torch.tensor([1.0, -1.0, 2.0, 0.5])
    all_reduce_grads([a, b, unused, frozen], Dist(rank=0, world=2))
    assert seen == [13]  # one collective over every trainable parameter, unused ones included
    assert torch.equal(a.grad, torch.arange(6.0).view(2, 3) * 11)
    assert torch.equal(b.grad, torch.tensor([11.0, -11.0, 22.0, 5.5]))
    assert torch.equal(unused.grad, torch.zeros(3)) and frozen.grad is None
