"""Play episodes with fixed per-episode seeds on vectorised environments, with batched inference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinyrl.atari import room_of
from tinyrl.envs import make_vector_env
from tinyrl.policy import PolicyFn


@dataclass
class Rollouts:
    seeds: list[int]
    returns: list[float]
    lengths: list[int]
    observations: list[np.ndarray] = field(default_factory=list)
    env_steps: int = 0  # every vector-env step, including the idle slots of finished episodes
    rooms: list[list[int]] = field(default_factory=list)  # per episode, rooms in order of first visit (Montezuma)


def play_episodes(policy: PolicyFn, env_id: str, seeds: list[int], num_envs: int,
                  max_episode_steps: int | None = None, keep_observations: bool = False,
                  track_rooms: bool = False) -> Rollouts:
    """Episode i starts from ``reset(seed=seeds[i])``; episodes run `num_envs` at a time.

    Each wave of episodes is reset with its own seeds and stepped until all of
    its episodes are over, so an episode's result depends only on its seed and
    the policy, not on which slot or wave it ran in.
    """
    out = Rollouts(seeds=list(seeds), returns=[], lengths=[])
    kwargs = {"max_episode_steps": max_episode_steps} if max_episode_steps else {}
    envs = None
    for start in range(0, len(seeds), num_envs):
        wave = seeds[start:start + num_envs]
        if envs is None or envs.num_envs != len(wave):
            if envs is not None:
                envs.close()
            envs = make_vector_env(env_id, len(wave), **kwargs)
        obs, _ = envs.reset(seed=list(wave))
        active = np.ones(len(wave), dtype=bool)
        returns = np.zeros(len(wave))
        lengths = np.zeros(len(wave), dtype=np.int64)
        rooms = [[room_of(env)] if track_rooms else [] for env in envs.envs]
        while active.any():
            if keep_observations:
                out.observations.append(np.asarray(obs)[active].copy())
            obs, reward, terminated, truncated, _ = envs.step(policy(obs))
            returns[active] += reward[active]
            lengths[active] += 1
            out.env_steps += len(wave)
            if track_rooms:  # before the done mask: a finished slot is reset on its next step
                for i in np.flatnonzero(active):
                    room = room_of(envs.envs[i])
                    if room not in rooms[i]:
                        rooms[i].append(room)
            active &= ~(terminated | truncated)
        if track_rooms:
            out.rooms += rooms
        out.returns += returns.tolist()
        out.lengths += lengths.tolist()
    if envs is not None:
        envs.close()
    return out
