"""Environment construction for every agent, single and vectorised."""

from __future__ import annotations

import gymnasium as gym


def make_env(env_id: str, **kwargs) -> gym.Env:
    """Continuous actions are clipped to the action box here, so every policy (and its
    compressed variants) is played under the same rule."""
    env = gym.make(env_id, **kwargs)
    if isinstance(env.action_space, gym.spaces.Box):
        env = gym.wrappers.ClipAction(env)
    return env


def action_space_of(env_id: str) -> gym.Space:
    """The env's own action space (before clipping)."""
    env = gym.make(env_id)
    space = env.action_space
    env.close()
    return space


def make_vector_env(env_id: str, num_envs: int, **kwargs) -> gym.vector.VectorEnv:
    """Synchronous vector env: policies here are tiny, so batching the forward
    pass matters more than stepping environments in parallel processes."""
    return gym.vector.SyncVectorEnv([lambda: make_env(env_id, **kwargs) for _ in range(num_envs)])


def space_dims(env: gym.Env) -> tuple[int, int]:
    """(observation size, number of discrete actions) of a flat-observation env."""
    return int(env.observation_space.shape[0]), int(env.action_space.n)
