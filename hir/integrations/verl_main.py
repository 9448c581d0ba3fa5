"""Launch ``HiRRayPPOTrainer`` the way verl launches ``main_ppo``:

    python -m hir.integrations.verl_main trainer.use_v1=False \\
        reward.custom_reward_function.path=pkg://hir.integrations.verl \\
        reward.custom_reward_function.name=compute_score \\
        +hir.k=2 +hir.budget=global  [any other verl override]

verl's own ``ppo_trainer`` Hydra config, prelude (device, config validation) and ``run_ppo``; the
only change is the Ray task runner: verl's legacy ``TaskRunner``, whose ``run`` builds the trainer
through the module-level name ``RayPPOTrainer``, which this runner points at ``HiRRayPPOTrainer``
inside its own Ray actor process. ``examples/verl_hir_qwen3_4b.sh`` is the authors' setting.
"""

from __future__ import annotations

import hydra
import ray
from verl.trainer import main_ppo, main_ppo_v0

from .verl_trainer import HiRRayPPOTrainer


class _HiRTaskRunner(main_ppo_v0.TaskRunner.__ray_actor_class__):
    def run(self, config):
        main_ppo_v0.RayPPOTrainer = HiRRayPPOTrainer
        return super().run(config)


HiRTaskRunner = ray.remote(num_cpus=1)(_HiRTaskRunner)


@hydra.main(config_path="pkg://verl.trainer.config", config_name="ppo_trainer", version_base=None)
def main(config) -> None:
    if config.trainer.use_v1:
        raise SystemExit("HiR's verl trainer is a RayPPOTrainer: pass trainer.use_v1=False")
    main_ppo.auto_set_device(config)
    main_ppo.validate_config(config=config,
                             use_reference_policy=main_ppo.need_reference_policy(config),
                             use_critic=main_ppo.need_critic(config))
    main_ppo.run_ppo(config, task_runner_class=HiRTaskRunner)


if __name__ == "__main__":
    main()
