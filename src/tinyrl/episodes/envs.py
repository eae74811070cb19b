"""Environment construction for every agent (the evaluator and the trainers build their own vector envs from it)."""

from __future__ import annotations

import gymnasium as gym

from tinyrl.episodes import atari
from tinyrl.episodes.atari import is_atari, make_atari_env


def make_env(env_id: str, **kwargs) -> gym.Env:
    """Atari games get the seed's evaluation protocol (tinyrl.episodes.atari). Continuous actions are
    clipped to the action box here, so every policy (and its compressed variants) is played
    under the same rule."""
    if is_atari(env_id):
        return make_atari_env(env_id, **kwargs)
    env = gym.make(env_id, **kwargs)
    if isinstance(env.action_space, gym.spaces.Box):
        env = gym.wrappers.ClipAction(env)
    return env


def action_space_of(env_id: str) -> gym.Space:
    """The env's own action space (before clipping)."""
    env = make_atari_env(env_id) if is_atari(env_id) else gym.make(env_id)  # ClipAction's box is unbounded
    space = env.action_space
    env.close()
    return space


def spaces_of(env_id: str) -> tuple[gym.Space, gym.Space]:
    """The env's (observation space, action space), as the policy sees them (the action box before clipping)."""
    env = make_atari_env(env_id) if is_atari(env_id) else gym.make(env_id)
    spaces = env.observation_space, env.action_space
    env.close()
    return spaces


def space_record(space: gym.Space) -> dict:
    """A Box or Discrete space as plain data, as policy files record it (tinyrl.importers.sb3_zip.read_space)."""
    if isinstance(space, gym.spaces.Discrete):
        return {"type": "discrete", "n": int(space.n)}
    if isinstance(space, gym.spaces.Box):
        return {
            "type": "box",
            "shape": list(space.shape),
            "low": [float(x) for x in space.low.ravel()],
            "high": [float(x) for x in space.high.ravel()],
        }
    return {"type": type(space).__name__}


def space_dims(env: gym.Env) -> tuple[int, int]:
    """(observation size, number of discrete actions) of a flat-observation env."""
    return int(env.observation_space.shape[0]), int(env.action_space.n)


def episode_observers(env_id: str, episodes: int) -> list:
    """The observers (tinyrl.episodes.rollout.EpisodeObserver) that record what an environment's module keeps of each
    episode beyond return and length, each with a `record()` of what it kept for the evaluation."""
    return atari.episode_observers(env_id, episodes) if is_atari(env_id) else []


def observer_records(observers: list) -> dict:
    """What the observers kept, merged into one record for the evaluation (rooms visited, ...)."""
    return {key: value for observer in observers for key, value in observer.record().items()}
