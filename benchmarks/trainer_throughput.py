"""Trainer throughput on CPU: our ``hir train`` step against TRL's GRPOTrainer, same run.

Both train the same tiny random Llama (``tests/tiny_model.py``) on the same prompts with the same
batch: B prompts x m responses, ``max_new_tokens``, temperature 1, no KL, one update per step,
binary ILA reward from ``hir.masks``. Ours runs as ``--replay none --advantage grpo`` so both do
the same work per step (GRPO without replays); an HiR run (replays on) is reported beside it.

Reported: generated tokens/s of the generation phase, update tokens/s of the optimisation phase
(ours), and end-to-end generated tokens per second of wall time per step, for both trainers; the
ratio ours / TRL is the headline, per wall second and per CPU second of this process (the
latter is what to trust on a shared machine: other processes' load barely changes it). The first step of each run is warm-up and not counted; runs
alternate (ours, TRL, ours+HiR) for ``--rounds`` rounds and each figure is a median, because the
machine may be shared. TRL is not a
dependency: when ``import trl`` fails the TRL half is skipped with a message.

    python benchmarks/trainer_throughput.py [--steps 6 --prompts 8 --responses 4 --tokens 32]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tiny_model.py


def run_ours(model_dir: Path, data: Path, out: Path, args, replay: str) -> dict:
    from hir.train.config import load_config
    from hir.train.trainer import Trainer

    cfg = load_config(None, dict(
        model=str(model_dir), data=str(data), output_dir=str(out), max_steps=args.steps,
        prompts_per_step=args.prompts, responses_per_prompt=args.responses,
        max_new_tokens=args.tokens, temperature=1.0, lr=1e-4, replay=replay,
        advantage="grpo", eval_fraction=0.0, eval_every=0, save_every=0, tensorboard=False,
        progress=False, micro_batch_size=args.prompts * args.responses, threads=args.threads,
        samples_per_step=0))
    trainer = Trainer(cfg)
    rows, cpu = [], []
    for _ in range(args.steps):
        c0 = time.process_time()
        rows.append(trainer.step())
        cpu.append(time.process_time() - c0)
    rows, cpu = rows[1:], cpu[1:]
    n = args.prompts * args.responses
    return {
        "end-to-end tokens/cpu-s": statistics.median(r["response_tokens"] * n / c
                                                     for r, c in zip(rows, cpu)),
        "generated tokens/s": statistics.median(r["tokens_per_s"] for r in rows),
        "update tokens/s": statistics.median(r["update_tokens_per_s"] for r in rows),
        "end-to-end tokens/s": statistics.median(r["response_tokens"] * n / r["seconds"]
                                                 for r in rows),
        "mean response tokens": statistics.fmean(r["response_tokens"] for r in rows),
        "sequences per update": n + statistics.fmean(r["replays"] for r in rows),
        "seconds per step": statistics.fmean(r["seconds"] for r in rows),
    }


def run_trl(model_dir: Path, data: Path, out: Path, args) -> dict | None:
    try:
        from datasets import Dataset
        from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
        from trl import GRPOConfig, GRPOTrainer
    except ImportError as exc:
        print(f"TRL skipped: cannot import trl/datasets ({exc}); `pip install trl` to compare")
        return None
    from hir.masks import mask
    from hir.train.data import load

    items, _ = load(str(data))
    by_prompt = {it.prompt: it.instruction for it in items}
    rows = [{"prompt": [{"role": "user", "content": it.prompt}], "text": it.prompt}
            for it in items]

    def ila_reward(prompts, completions, text, **_):
        out = []
        for p, c in zip(text, completions):
            response = c[0]["content"] if isinstance(c, list) else c
            out.append(float(mask(by_prompt[p], response, semantics="corrected").ila))
        return out

    times: list[float] = []
    cpu: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.t, self.c = time.perf_counter(), time.process_time()

        def on_step_end(self, *a, **k):
            times.append(time.perf_counter() - self.t)
            cpu.append(time.process_time() - self.c)

    n = args.prompts * args.responses
    config = GRPOConfig(
        output_dir=str(out), per_device_train_batch_size=n, num_generations=args.responses,
        max_completion_length=args.tokens, max_steps=args.steps, learning_rate=1e-4, beta=0.0,
        temperature=1.0, num_iterations=1, logging_steps=1, save_strategy="no",
        report_to="none", use_cpu=True, bf16=False, dataloader_num_workers=0, seed=0,
        disable_tqdm=True)
    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(model_dir),
                          reward_funcs=[ila_reward], args=config,
                          train_dataset=_dataset(Dataset, rows),
                          processing_class=AutoTokenizer.from_pretrained(model_dir),
                          callbacks=[Clock()])
    trainer.train()
    lengths = [h["completions/mean_length"] for h in trainer.state.log_history
               if "completions/mean_length" in h]
    steps = list(zip(lengths, times))[1:]
    return {
        "end-to-end tokens/cpu-s": statistics.median(l * n / c for l, c in
                                                     list(zip(lengths, cpu))[1:]),
        "end-to-end tokens/s": statistics.median(l * n / t for l, t in steps),
        "mean response tokens": statistics.fmean(l for l, _ in steps),
        "seconds per step": statistics.fmean(t for _, t in steps),
    }


def _dataset(Dataset, rows):
    """A datasets.Dataset; given an explicit fingerprint because hashing the arrow table fails
    with some pyarrow/dill combinations (a datasets bug unrelated to what we measure)."""
    import pyarrow as pa

    try:
        return Dataset.from_list(rows)
    except Exception:
        return Dataset(pa.Table.from_pylist(rows), fingerprint="hir-throughput-bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--responses", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: least sensitive to other load)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-trl", action="store_true")
    args = parser.parse_args()

    import torch
    from transformers.utils import logging

    from tiny_model import write_tiny

    logging.disable_progress_bar()
    logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_dir, data = write_tiny(tmp, hidden=args.hidden, layers=args.layers)
        params = sum(p.numel() for p in
                     __import__("transformers").AutoModelForCausalLM.from_pretrained(
                         model_dir).parameters())
        print(f"tiny Llama: {params} parameters, {args.layers} layers, hidden {args.hidden}; "
              f"B={args.prompts} m={args.responses} max_new_tokens={args.tokens}, "
              f"{args.steps} steps (first = warm-up), {args.threads} threads")
        # ours and TRL alternate over rounds, so a load spike on a shared machine hits both;
        # each figure is the median over all measured steps of all rounds
        runs: dict[str, list[dict]] = {}
        for r in range(args.rounds):
            runs.setdefault("hir (replay none, grpo)", []).append(
                run_ours(model_dir, data, tmp / f"ours{r}", args, "none"))
            if not args.no_trl:
                trl = run_trl(model_dir, data, tmp / f"trl{r}", args)
                if trl is None:
                    args.no_trl = True
                else:
                    runs.setdefault("TRL GRPOTrainer", []).append(trl)
            runs.setdefault("hir (HiR replays)", []).append(
                run_ours(model_dir, data, tmp / f"hir{r}", args, "hir"))
        results = {name: {k: statistics.median(x[k] for x in rs) for k in rs[0]}
                   for name, rs in runs.items()}
        trl = results.get("TRL GRPOTrainer")
    keys = ["generated tokens/s", "update tokens/s", "end-to-end tokens/s",
            "end-to-end tokens/cpu-s",
            "mean response tokens", "sequences per update", "seconds per step"]
    print(f"{'':28}" + "".join(f"{k:>24}" for k in results))
    for key in keys:
        cells = [f"{r[key]:.1f}" if key in r else "-" for r in results.values()]
        print(f"{key:28}" + "".join(f"{c:>24}" for c in cells))
    if trl is not None:
        ours = results["hir (replay none, grpo)"]
        print(f"\nend-to-end generated tokens per wall second, ours / TRL: "
              f"{ours['end-to-end tokens/s'] / trl['end-to-end tokens/s']:.2f}x")
        print(f"end-to-end generated tokens per CPU second (this process, all threads; "
              f"robust to other load), ours / TRL: "
              f"{ours['end-to-end tokens/cpu-s'] / trl['end-to-end tokens/cpu-s']:.2f}x")


if __name__ == "__main__":
    main()
