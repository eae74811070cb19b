"""The record every Atari protocol module declares: `PROTOCOL = AtariProtocol(...)` (found by tinyrl.episodes.atari)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym

MAX_EPISODE_STEPS = 4500  # agent steps per episode, as the seed's evaluation; every protocol's default

# (env_id, max_episode_steps, repeat_action_probability, noop_max) -> the env under the protocol
EnvMaker = Callable[[str, "int | None", float, int], gym.Env]
# (env_id, episodes) -> observers recording what the protocol keeps of each episode (tinyrl.episodes.rollout)
ObserverMaker = Callable[[str, int], list]


@dataclass(frozen=True)
class AtariProtocol:
    namespace: str  # the env id's namespace that names the protocol: ALE/, sb3_atari/, cleanrl_atari/
    description: str  # the preprocessing in one sentence, as the report's protocol states it
    make: EnvMaker
    observers: ObserverMaker | None = None


def library_protocol(build: Callable[[str], gym.Env]) -> EnvMaker:
    """The maker of an imported policy's protocol: a library's own evaluation wrappers (`build(env_id)`, with their
    own no-op starts), under the episode step limit. Sticky actions and our no-op starts are the seed's only."""

    def make(
        env_id: str,
        max_episode_steps: int | None = MAX_EPISODE_STEPS,
        repeat_action_probability: float = 0.0,
        noop_max: int = 0,
    ) -> gym.Env:
        if repeat_action_probability or noop_max:
            raise ValueError(f"{env_id}: sticky actions and no-op starts apply to the seed's ALE/ protocol only")
        env = build(env_id)
        return gym.wrappers.TimeLimit(env, max_episode_steps) if max_episode_steps else env

    return make
