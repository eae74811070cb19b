"""Checkpoint selection during training: the deterministic policy's mean return on selection seeds."""

from __future__ import annotations

import numpy as np
from torch import nn

from tinyrl.episodes.envs import make_env
from tinyrl.policies.actions import deterministic_mode, network_policy


def selection_score(model: nn.Module, env_id: str, seeds: list[int]) -> float:
    """Mean undiscounted return of the deterministic policy (greedy / mean action) over seeded episodes.

    Trainers score with seeds disjoint from the study's evaluation seeds, so a
    checkpoint is never chosen on the episodes it is reported on.
    """
    act = network_policy(model, deterministic_mode(model.output_kind))
    env = make_env(env_id)
    returns = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        done, total = False, 0.0
        while not done:
            action = act(np.asarray(obs, dtype=np.float32)[None], [seed])[0]
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns))
