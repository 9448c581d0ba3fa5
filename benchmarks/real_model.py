"""A real chat model under ``hir train``: SmolLM2-135M-Instruct (``make smollm2``), CPU or GPU.

Part 1 (always): a few training steps of ``hir.train.Trainer`` on IFEval-style instructions (the
toy task's instructions with the checkers' own IFEval sentences, ``ToyTaskConfig(phrasing=
"ifeval")``), each step split into its phases as ``Trainer.step`` calls them: generation
(``rollout``), verify + select/rewrite (``verify``, ``replay``), old log-probs (``old_logprobs``:
a no-grad forward pass over the batch; with ``update_epochs`` 1 the trainer takes them from the
update pass and this phase is 0, so the default here is 2), reference log-probs (only with
``--kl``) and the update (``update``: forward + backward + AdamW, ``update_epochs`` times). Per
phase: median wall seconds and median CPU seconds of this process over the measured steps (the
first step is warm-up and not counted). Also generated tokens/s (generation phase), update
tokens/s (sequence tokens trained on per second of the update phase) and peak memory:

* CPU: the process's peak resident set size (``getrusage(RUSAGE_SELF).ru_maxrss``, over the whole
  run: model load included) and its resident size right after the model loaded (``VmRSS``);
* GPU: ``torch.cuda.max_memory_allocated`` / ``max_memory_reserved`` over the measured steps.

The device is chosen as ``hir train`` chooses it (``cuda`` when available; ``--device`` forces
one); on a GPU the forward passes run under bf16 autocast with float32 weights, as in training.

Part 2 (``--compare``): HiR against binary-reward RL (``--replay none``) from the same model on
the same prompts and seed, each ``--compare-steps`` steps, held-out greedy eval before and after
on ``--eval-prompts`` IFEval-form rows, reported as ``hir check`` reports them (prompt- and
instruction-level, strict and loose) plus the run's own ILA/CLA. Sized for one GPU: the defaults
are expected to take well under 15 minutes (not yet measured on a GPU), and the steps are cut,
with a message, when part 1's measured speed says they would not fit in ``--budget-minutes``
(default 14, the whole script). On CPU use it only with tiny settings.

    python benchmarks/real_model.py                       # CPU: 3 steps of B=2 x m=2, 48 tokens
    python benchmarks/real_model.py --device cuda --compare --out runs/bench-real
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHASES = {  # Trainer method -> phase name (in step order)
    "rollout": "generation",
    "verify": "verify",
    "replay": "select+rewrite",
    "old_logprobs": "old log-probs",
    "ref_logprobs": "ref log-probs",
    "update": "update",
}
ACCURACIES = ("prompt_strict", "prompt_loose", "instruction_strict", "instruction_loose")


def write_data(directory: Path, n_train: int, n_eval: int, seed: int) -> tuple[Path, Path]:
    """IFEval-style train rows (hir form, replayable) and held-out rows (IFEval form)."""
    from hir.toy import ToyTaskConfig, make_splits

    train, held = make_splits(seed, ToyTaskConfig(n_train=n_train, n_eval=n_eval,
                                                  phrasing="ifeval"))
    train_path, eval_path = directory / "train.jsonl", directory / "eval.jsonl"
    with open(train_path, "w", encoding="utf-8") as f:
        for i, inst in enumerate(train):
            f.write(json.dumps({"key": f"train-{i}", "instruction": inst.model_dump()}) + "\n")
    with open(eval_path, "w", encoding="utf-8") as f:
        for i, inst in enumerate(held):
            f.write(json.dumps({"key": i, "prompt": inst.render(),
                                "instruction_id_list": inst.ids,
                                "kwargs": inst.kwargs}) + "\n")
    return train_path, eval_path


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(method, name: str, times: dict[str, list[float]]):
    """``method`` that also records its wall and CPU seconds under ``name``."""
    def wrapper(*args, **kwargs):
        w, c = time.perf_counter(), time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            times.setdefault(name, []).append(time.perf_counter() - w)
            times.setdefault(name + " cpu", []).append(time.process_time() - c)
    return wrapper


def step_split(args, model: Path, data: Path, out: Path) -> dict:
    """Part 1: per-phase times, tokens/s and peak memory over ``args.steps`` steps."""
    import torch

    from hir.train.config import load_config
    from hir.train.trainer import Trainer

    cfg = load_config(None, dict(
        model=str(model), data=str(data), output_dir=str(out), device=args.device,
        max_steps=args.steps, prompts_per_step=args.prompts, responses_per_prompt=args.responses,
        max_new_tokens=args.tokens, update_epochs=args.update_epochs, kl_coef=args.kl,
        micro_batch_size=args.micro_batch, lr=1e-6, eval_fraction=0.0, eval_every=0,
        save_every=0, tensorboard=False, progress=False, samples_per_step=0,
        threads=args.threads, seed=0))
    t0 = time.perf_counter()
    trainer = Trainer(cfg)
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mib()
    cuda = trainer.device.type == "cuda"
    times: dict[str, list[float]] = {}
    for method, name in PHASES.items():
        setattr(trainer, method, _timed(getattr(trainer, method), name, times))
    rows, step_wall, step_cpu = [], [], []
    for i in range(args.steps):
        if i == 1:  # the first step is warm-up: start counting (and the GPU peak) here
            times.clear()
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
        w, c = time.perf_counter(), time.process_time()
        rows.append(trainer.step())
        if cuda:
            torch.cuda.synchronize()
        step_wall.append(time.perf_counter() - w)
        step_cpu.append(time.process_time() - c)
    measured = rows[1:] if len(rows) > 1 else rows
    walls = step_wall[1:] if len(rows) > 1 else step_wall
    cpus = step_cpu[1:] if len(rows) > 1 else step_cpu
    n = args.prompts * args.responses
    result = {
        "device": str(trainer.device), "bf16 autocast": trainer.bf16,
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "model load s": load_s,
        "step s": statistics.median(walls), "step cpu s": statistics.median(cpus),
        "phases": {name: {"s": statistics.median(times.get(name, [0.0])),
                          "cpu s": statistics.median(times.get(name + " cpu", [0.0]))}
                   for name in PHASES.values()},
        "response tokens (mean)": statistics.fmean(r["response_tokens"] for r in measured),
        "replays per step (mean)": statistics.fmean(r["replays"] for r in measured),
        "generated tokens/s": statistics.median(r["response_tokens"] * n /
                                                times["generation"][i]
                                                for i, r in enumerate(measured)),
        "update tokens/s": statistics.median(r["update_tokens_per_s"] for r in measured),
        "end-to-end generated tokens/s": statistics.median(r["response_tokens"] * n / w
                                                           for r, w in zip(measured, walls)),
    }
    if cuda:
        result["peak GPU MiB allocated"] = torch.cuda.max_memory_allocated() / 2**20
        result["peak GPU MiB reserved"] = torch.cuda.max_memory_reserved() / 2**20
    result["RSS after load MiB"] = rss_loaded
    result["peak RSS MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def compare(args, model: Path, data: Path, eval_data: Path, out: Path) -> dict:
    """Part 2: HiR vs binary RL, same model, prompts, seed and budget of generated rollouts."""
    from hir.train.config import load_config
    from hir.train.metrics import read_metrics
    from hir.train.trainer import train

    results = {}
    for method, replay in (("hir", "hir"), ("binary", "none")):
        cfg = load_config(None, dict(
            model=str(model), data=str(data), eval_data=str(eval_data),
            output_dir=str(out / method), device=args.device, replay=replay,
            max_steps=args.compare_steps, prompts_per_step=args.compare_prompts,
            responses_per_prompt=args.compare_responses, max_new_tokens=args.compare_tokens,
            lr=args.compare_lr, micro_batch_size=args.micro_batch,
            eval_every=args.compare_steps, eval_max_prompts=args.eval_prompts,
            save_every=0, tensorboard=False, progress=False, threads=args.threads, seed=0))
        t0 = time.perf_counter()
        train(cfg)
        seconds = time.perf_counter() - t0
        rows = read_metrics(out / method)
        evals = [r for r in rows if r.get("eval")]
        steps = [r for r in rows if not r.get("eval")]
        results[method] = {
            "seconds": seconds,
            "rollouts": steps[-1]["rollouts"] if steps else 0,
            "train reward (mean)": statistics.fmean(r["reward"] for r in steps) if steps else None,
            "replays per step": statistics.fmean(r["replays"] for r in steps) if steps else 0,
            "before": {k: evals[0][f"eval_{k}"] for k in ("ila", "cla") + ACCURACIES},
            "after": {k: evals[-1][f"eval_{k}"] for k in ("ila", "cla") + ACCURACIES},
        }
    return results


def fit_compare_steps(args, split: dict, elapsed_s: float) -> int:
    """The compare's steps, cut so the whole script ends within ``--budget-minutes``.

    Estimated from part 1 on the same device: its step time scaled by the compare's batch x
    tokens (part 1 runs mu=2, the compare mu=1, so this errs long), plus two greedy evals per run
    at part 1's generation speed and one model load per run.
    """
    work = lambda b, m, t: b * m * t  # noqa: E731
    scale = (work(args.compare_prompts, args.compare_responses, args.compare_tokens)
             / work(args.prompts, args.responses, args.tokens))
    step_s = split["step s"] * scale
    eval_s = (split["phases"]["generation"]["s"] * args.eval_prompts * args.compare_tokens
              / (args.prompts * args.responses * args.tokens))
    per_run = (args.budget_minutes * 60 - elapsed_s) / 2 - 2 * eval_s - split["model load s"]
    return max(1, min(args.compare_steps, int(per_run / step_s)))


def _device_defaults(args) -> None:
    """Batch sizes by device: small on CPU, a real batch on a GPU (unless given)."""
    import torch

    gpu = args.device.startswith("cuda") or (args.device == "auto" and torch.cuda.is_available())
    for name, cpu, cuda in (("prompts", 2, 16), ("responses", 2, 8), ("tokens", 48, 128),
                            ("micro_batch", 8, 64)):
        if getattr(args, name) is None:
            setattr(args, name, cuda if gpu else cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "smollm2-135m-instruct")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--steps", type=int, default=3, help="steps of part 1 (first: warm-up)")
    parser.add_argument("--prompts", type=int, help="B (default 2 on CPU, 16 on GPU)")
    parser.add_argument("--responses", type=int, help="m (default 2 on CPU, 8 on GPU)")
    parser.add_argument("--tokens", type=int, help="max new tokens (default 48 CPU, 128 GPU)")
    parser.add_argument("--micro-batch", type=int, help="sequences per forward (8 CPU, 64 GPU)")
    parser.add_argument("--update-epochs", type=int, default=2,
                        help="mu; >= 2 makes old log-probs their own pass (default 2)")
    parser.add_argument("--kl", type=float, default=0.0, help="kl_coef (> 0 adds ref log-probs)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--compare", action="store_true", help="part 2: HiR vs binary RL")
    parser.add_argument("--compare-steps", type=int, default=40)
    parser.add_argument("--compare-prompts", type=int, default=16)
    parser.add_argument("--compare-responses", type=int, default=8)
    parser.add_argument("--compare-tokens", type=int, default=128)
    parser.add_argument("--compare-lr", type=float, default=5e-6)
    parser.add_argument("--eval-prompts", type=int, default=100)
    parser.add_argument("--out", type=Path, help="keep the runs and results.json here")
    parser.add_argument("--budget-minutes", type=float, default=14.0,
                        help="the whole script's time budget: --compare runs fewer steps when "
                             "part 1's speed says its steps would not fit (default 14)")
    args = parser.parse_args()
    started = time.perf_counter()
    if not (args.model / "config.json").exists():
        raise SystemExit(f"{args.model}: no model there; run `make smollm2` first")

    import torch
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()
    _device_defaults(args)
    with tempfile.TemporaryDirectory(prefix="hir-real-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        data, eval_data = write_data(out, n_train=1000, n_eval=args.eval_prompts, seed=0)
        split = step_split(args, args.model, data, out / "steps")
        report = {"date": time.strftime("%Y-%m-%d"), "machine": platform.machine(),
                  "cpu": platform.processor() or "?", "torch": torch.__version__,
                  "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
                  "settings": {k: getattr(args, k) for k in ("prompts", "responses", "tokens",
                                                            "update_epochs", "kl", "steps")},
                  "steps": split}
        print(f"{args.model.name}: {split['parameters']:,} parameters on {split['device']}"
              f"{' (bf16 autocast)' if split['bf16 autocast'] else ''}, {split['threads']} "
              f"threads; B={args.prompts} m={args.responses} max_new_tokens={args.tokens} "
              f"mu={args.update_epochs}; {args.steps} steps, first = warm-up")
        print(f"{'phase':18}{'wall s':>10}{'cpu s':>10}{'share':>8}")
        for name, t in split["phases"].items():
            print(f"{name:18}{t['s']:10.2f}{t['cpu s']:10.2f}"
                  f"{t['s'] / split['step s']:8.0%}")
        print(f"{'step':18}{split['step s']:10.2f}{split['step cpu s']:10.2f}")
        for key in ("generated tokens/s", "update tokens/s", "end-to-end generated tokens/s",
                    "response tokens (mean)", "replays per step (mean)", "model load s",
                    "RSS after load MiB", "peak RSS MiB", "peak GPU MiB allocated",
                    "peak GPU MiB reserved"):
            if key in split:
                print(f"{key:32}{split[key]:10.1f}")
        if args.compare:
            steps = fit_compare_steps(args, split, time.perf_counter() - started)
            if steps < args.compare_steps:
                print(f"\n--compare-steps {args.compare_steps} would not fit in "
                      f"--budget-minutes {args.budget_minutes} at the speed measured above: "
                      f"running {steps} steps per method")
                args.compare_steps = steps
            report["compare settings"] = {k: getattr(args, k) for k in (
                "compare_steps", "compare_prompts", "compare_responses", "compare_tokens",
                "compare_lr", "eval_prompts")}
            report["compare"] = compare(args, args.model, data, eval_data, out / "compare")
            print(f"\nHiR vs binary RL: {args.compare_steps} steps of B={args.compare_prompts} "
                  f"m={args.compare_responses}, {args.compare_tokens} tokens, lr "
                  f"{args.compare_lr}; held-out {args.eval_prompts} IFEval-form prompts, greedy")
            print(f"{'':10}{'seconds':>9}{'reward':>8}{'replays':>8}" +
                  "".join(f"{k:>22}" for k in ("ila", "cla") + ACCURACIES))
            for method, r in report["compare"].items():
                cells = "".join(f"{r['before'][k]:>10.3f} -> {r['after'][k]:<8.3f}"
                                for k in ("ila", "cla") + ACCURACIES)
                print(f"{method:10}{r['seconds']:9.0f}{r['train reward (mean)']:8.3f}"
                      f"{r['replays per step']:8.1f}{cells}")
        if args.out is not None:
            (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
            print(f"\nwrote {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
