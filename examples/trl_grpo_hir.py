"""HiR inside TRL's GRPOTrainer, on the built-in toy task and model, on CPU.

    pip install hir[trl]          # or: make trl-install
    python examples/trl_grpo_hir.py --max-steps 3 --output-dir runs/trl-hir

The toy task, tokenizer and SFT-warmed tiny model are ``hir.toy.default_setup`` (what ``hir train``
uses with no --model/--data; nothing is downloaded). The dataset has TRL's conversational
``prompt`` column and the row's constraints in an ``instruction`` column (our instruction form as
JSON text: Arrow cannot always unify the parameter objects of different checkers). Rewards are
``ConstraintReward("ila")`` (the training reward) and ``ConstraintReward("cla")`` with weight 0
(logged only). ``HiRGRPOTrainer`` appends the hindsight replays to each generated batch; every
logged step is printed and appended to OUTPUT_DIR/log.jsonl, with ``hir/replays`` and the all-fail
groups before/after replay. The ILA reward also dumps every judged group to
OUTPUT_DIR/rollouts.jsonl, which ``hir relabel`` reads.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from datasets import Dataset
from transformers import TrainerCallback
from trl import GRPOConfig

from hir.integrations.trl import ConstraintReward, HiRGRPOTrainer, ReplayOptions
from hir.toy import ToyConfig, default_setup
from hir.toy.warmup import WarmupConfig

SHOWN = ("reward", "rewards/hir_ila/mean", "rewards/hir_cla/mean", "hir/replays",
         "hir/all_fail_groups_before", "hir/all_fail_groups_after", "hir/lambda")


class LogToFile(TrainerCallback):
    """Print the HiR metrics of each logged step and append every log to ``path`` (JSON lines)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"step": state.global_step, **logs}) + "\n")
        shown = "  ".join(f"{k.split('/')[-1] if k.startswith('hir/') else k}="
                          f"{logs[k]:.3g}" for k in SHOWN if k in logs)
        print(f"step {state.global_step}: {shown}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--output-dir", type=Path, default=Path("runs/trl-hir"))
    parser.add_argument("--prompts-per-step", type=int, default=8)
    parser.add_argument("--generations", type=int, default=8, help="completions per prompt")
    parser.add_argument("--warmup-steps", type=int, default=WarmupConfig().steps,
                        help="SFT warm-up steps of the toy model (0: a random model)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    toy = ToyConfig(warmup=WarmupConfig(steps=args.warmup_steps))
    setup = default_setup(seed=args.seed, toy=toy)
    print(f"toy model ready ({time.perf_counter() - started:.0f} s)", flush=True)
    dataset = Dataset.from_list([
        {"prompt": [{"role": "user", "content": inst.render()}],
         "instruction": json.dumps(inst.model_dump())} for inst in setup.train_instructions])

    args.output_dir.mkdir(parents=True, exist_ok=True)
    log = args.output_dir / "log.jsonl"
    rollouts = args.output_dir / "rollouts.jsonl"
    for path in (log, rollouts):
        path.unlink(missing_ok=True)
    config = GRPOConfig(
        output_dir=str(args.output_dir), max_steps=args.max_steps, seed=args.seed,
        per_device_train_batch_size=args.prompts_per_step * args.generations,
        num_generations=args.generations, max_completion_length=48, temperature=1.0,
        learning_rate=3e-4, logging_steps=1, save_strategy="no", report_to="none",
        use_cpu=True, reward_weights=[1.0, 0.0], dataloader_num_workers=0)
    trainer = HiRGRPOTrainer(
        model=setup.model, processing_class=setup.tokenizer, train_dataset=dataset, args=config,
        reward_funcs=[ConstraintReward("ila", dump=rollouts),
                      ConstraintReward("cla", log_rates=False)],
        replay=ReplayOptions(), callbacks=[LogToFile(log)])
    trainer.train()
    print(f"done in {time.perf_counter() - started:.0f} s; log: {log}")
    print(f"rollout dump (fresh groups, no replays): {rollouts}; relabel it offline with "
          f"`hir relabel {rollouts} -o replays.jsonl`")


if __name__ == "__main__":
    main()
