"""RL trainers, one readable file per algorithm (CleanRL style)."""

from tinyrl.algorithms import ddqn

TRAINERS = {"ddqn": ddqn.train}
TRAINER_CONFIGS = {"ddqn": ddqn.DDQNConfig}
