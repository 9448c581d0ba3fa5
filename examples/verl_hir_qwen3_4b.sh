#!/usr/bin/env bash
# HiR with verl: Qwen3-4B-Instruct-2507, REINFORCE++, each step 64 prompts x (6 fresh + 2 replays).
#
#   pip install "hir[verl]"            # verl 0.9.x with its CUDA torch and vLLM (see docs/integrations.md)
#   TRAIN=hir16k/train.parquet VAL=hir16k/val.parquet bash examples/verl_hir_qwen3_4b.sh
#
# The data are verl parquet rows: `prompt` (chat messages), `data_source`, and the constraints in
# `reward_model.ground_truth` (a hir instruction object, IFEval ids + kwargs + task, or either as
# JSON text). The reward is hir's compute_score (score = ILA, binary); HiRRayPPOTrainer adds up to
# k * prompts = 128 hindsight replays per step (global budget, as the authors select over the
# batch), each beside its original with the same uid, and recomputes the advantages over the 512
# sequences. Settings the issue does not fix (lengths, learning rate, KL) are verl-style defaults
# for a 4B model: check them against the paper before comparing numbers.
#
# NOT RUN in this project: it needs GPUs (written for one node of 8). On CPU the tests compose this
# script's overrides with verl's own Hydra config and validate them
# (tests/test_integrations_verl.py::test_run_script_overrides_compose).
set -euo pipefail

MODEL=${MODEL:-Qwen/Qwen3-4B-Instruct-2507}
TRAIN=${TRAIN:-data/hir16k/train.parquet}
VAL=${VAL:-data/hir16k/val.parquet}
NGPUS=${NGPUS:-8}

# overrides (one per line; the test reads the lines between the markers)
OVERRIDES=(
# -- begin overrides
trainer.use_v1=False
algorithm.adv_estimator=reinforce_plus_plus
algorithm.use_kl_in_reward=False
data.train_batch_size=64
data.max_prompt_length=2048
data.max_response_length=4096
data.return_raw_chat=True
actor_rollout_ref.model.path=${MODEL}
actor_rollout_ref.actor.optim.lr=1e-6
actor_rollout_ref.actor.ppo_mini_batch_size=64
actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4
actor_rollout_ref.actor.use_kl_loss=True
actor_rollout_ref.actor.kl_loss_coef=0.001
actor_rollout_ref.rollout.name=vllm
actor_rollout_ref.rollout.n=6
actor_rollout_ref.rollout.tensor_model_parallel_size=1
actor_rollout_ref.rollout.gpu_memory_utilization=0.6
actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=8
actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=8
reward.custom_reward_function.path=pkg://hir.integrations.verl
reward.custom_reward_function.name=compute_score
+hir.k=2
+hir.budget=global
+hir.lambda0=2.0
+hir.eta=0.05
+hir.old_log_probs=copy
+hir.ref_log_probs=copy
trainer.n_gpus_per_node=${NGPUS}
trainer.nnodes=1
trainer.logger=[console]
trainer.project_name=hir
trainer.experiment_name=qwen3-4b-hir
# -- end overrides
)

python -m hir.integrations.verl_main \
    data.train_files="${TRAIN}" data.val_files="${VAL}" \
    "${OVERRIDES[@]}" "$@"
