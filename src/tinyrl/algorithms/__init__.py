"""RL trainers, one readable file per algorithm (CleanRL style)."""

import dataclasses

from tinyrl.algorithms import ddqn, demo_clone, ppo, ppo_rnd

TRAINERS = {"ddqn": ddqn.train, "ppo": ppo.train, "demo_clone": demo_clone.train, "ppo_rnd": ppo_rnd.train}
TRAINER_CONFIGS = {"ddqn": ddqn.DDQNConfig, "ppo": ppo.PPOConfig, "demo_clone": demo_clone.DemoCloneConfig,
                   "ppo_rnd": ppo_rnd.PPORNDConfig}
FINETUNERS = {"ddqn": ddqn.finetune, "ppo": ppo.finetune}  # RL fine-tuning of a compressed policy, in place


def hyperparameter_names(algorithm: str) -> set[str]:
    """The fields of the algorithm's config dataclass."""
    return {f.name for f in dataclasses.fields(TRAINER_CONFIGS[algorithm])}
