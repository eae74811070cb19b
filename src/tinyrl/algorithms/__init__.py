"""RL trainers, one readable file per algorithm (CleanRL style)."""

from tinyrl.algorithms import ddqn, ppo

TRAINERS = {"ddqn": ddqn.train, "ppo": ppo.train}
TRAINER_CONFIGS = {"ddqn": ddqn.DDQNConfig, "ppo": ppo.PPOConfig}
FINETUNERS = {"ddqn": ddqn.finetune, "ppo": ppo.finetune}  # RL fine-tuning of a compressed policy, in place
