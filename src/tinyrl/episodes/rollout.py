"""Play episodes with fixed per-episode seeds on several environments at once, with batched inference.

One scheduler (`run_episodes`) steps the episodes; its callers say what to do at each step:
`play_episodes` asks a policy (and records its actions), `collect_observations` keeps the
observations too, `replay_episodes` takes recorded actions instead of a policy. What an
environment records per episode beyond return and length (Montezuma's rooms) comes from an
*observer* its module supplies (`envs.episode_observers`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from tinyrl.episodes.envs import make_env
from tinyrl.policies.actions import PolicyFn


class EpisodeObserver(Protocol):
    """Records something of each episode from its environment, after the reset and after every step."""

    def on_reset(self, episode: int, env) -> None: ...

    def on_step(self, episode: int, env) -> None: ...


class ObservationBuffer:
    """Observations kept in large preallocated blocks. Thousands of small arrays kept between the large
    temporaries of each step fragment the heap: 381 MB of Montezuma frames kept as per-step arrays
    took 1.7 GB of resident memory."""

    BLOCK_BYTES = 32 * 2**20

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.count = 0
        self.keys: list[tuple[int, int, int]] = []  # per row, its place in wave order (see take)

    def __len__(self) -> int:
        return self.count

    def append(self, batch: np.ndarray, keys: list[tuple[int, int, int]]) -> None:
        self.keys += keys
        for row in batch:
            if not self.blocks or self.count % len(self.blocks[0]) == 0:
                rows = max(1, int(self.BLOCK_BYTES // max(1, row.nbytes)))
                self.blocks.append(np.empty((rows, *row.shape), dtype=row.dtype))
            per_block = len(self.blocks[0])
            self.blocks[self.count // per_block][self.count % per_block] = row
            self.count += 1

    def take(self, indices: np.ndarray | None = None) -> np.ndarray:
        """The observations at `indices` of the wave order (all of them by default).

        Wave order: episodes in groups of `num_envs` by seed, each group step by step, episodes in
        seed order within a step; the order lock-step waves of environments visit them in. A set
        therefore does not depend on how finished slots are refilled, and neither do the
        calibration and fine-tuning data drawn from it."""
        if not self.blocks:
            return np.empty((0,))
        order = sorted(range(self.count), key=self.keys.__getitem__)
        indices = order if indices is None else [order[i] for i in np.asarray(indices)]
        per_block = len(self.blocks[0])
        out = np.empty((len(indices), *self.blocks[0].shape[1:]), dtype=self.blocks[0].dtype)
        for i, index in enumerate(indices):
            out[i] = self.blocks[index // per_block][index % per_block]
        return out


@dataclass
class Rollouts:
    seeds: list[int]
    returns: list[float]
    lengths: list[int]
    env_steps: int = 0  # environment steps of all episodes (the sum of their lengths)
    stepping_s: float = 0.0  # wall time of the episodes' steps (and later resets); building and first resets excluded
    # After each scheduler step: the environment steps so far, and the seconds since stepping began
    progress_steps: list[int] = field(default_factory=list)
    progress_s: list[float] = field(default_factory=list)
    actions: list[list] = field(default_factory=list)  # per episode, every action taken (play_episodes)
    observations: ObservationBuffer = field(default_factory=ObservationBuffer)  # collect_observations only


# (observations of the running episodes, their episode indices, their step counts) -> one action each
ChooseActions = Callable[[np.ndarray, list[int], list[int]], Sequence]


def run_episodes(
    choose: ChooseActions,
    env_id: str,
    seeds: list[int],
    num_envs: int,
    max_episode_steps: int | None = None,
    observers: Sequence[EpisodeObserver] = (),
    episode_ends: Callable[[int, int], bool] | None = None,
    time_limit_s: float | None = None,
    env_kwargs: dict | None = None,
) -> Rollouts:
    """The scheduler. Episode i starts from ``reset(seed=seeds[i])``; up to `num_envs` episodes run at
    once, with one `choose` call per step of all running episodes.

    A slot whose episode ends starts the next seed at once, and finished episodes are never stepped,
    so every environment step counted is one of the episodes'. The schedule is fixed by the seeds
    and the episode lengths, so reruns are identical; an episode of a deterministic policy depends
    only on its seed. `episode_ends(episode, length)` may end an episode early (replays end where
    the recording did); `time_limit_s` stops stepping at the first step after that many seconds.
    `env_kwargs` go to tinyrl.episodes.envs.make_env (the robustness check's sticky actions and no-op starts).
    """
    kwargs = ({"max_episode_steps": max_episode_steps} if max_episode_steps else {}) | (env_kwargs or {})
    slots = min(num_envs, len(seeds))
    envs = [make_env(env_id, **kwargs) for _ in range(slots)]
    out = Rollouts(seeds=list(seeds), returns=[0.0] * len(seeds), lengths=[0] * len(seeds))
    pending = iter(range(len(seeds)))
    episode_in = [None] * slots  # the episode each slot is playing, None when the slot is done
    # One observation array for all slots, written in place: frames stay uint8, vectors become float32
    # (what the policy's forward pass takes), so no step stacks and converts them anew.
    space = envs[0].observation_space
    obs = np.zeros((slots, *space.shape), dtype=np.uint8 if space.dtype == np.uint8 else np.float32)

    def start(slot: int) -> None:
        episode = episode_in[slot] = next(pending, None)
        if episode is not None:
            obs[slot], _ = envs[slot].reset(seed=seeds[episode])
            for observer in observers:
                observer.on_reset(episode, envs[slot])

    try:
        for slot in range(slots):
            start(slot)
        began = time.perf_counter()  # after the first resets: an ALE reset with a seed reloads the game
        while running := [slot for slot in range(slots) if episode_in[slot] is not None]:
            episodes = [episode_in[slot] for slot in running]
            batch = obs if len(running) == slots else obs[running]
            actions = choose(batch, episodes, [out.lengths[episode] for episode in episodes])
            for action, slot, episode in zip(actions, running, episodes):
                obs[slot], reward, terminated, truncated, _ = envs[slot].step(action)
                out.returns[episode] += float(reward)
                out.lengths[episode] += 1
                for observer in observers:
                    observer.on_step(episode, envs[slot])
                if terminated or truncated or (episode_ends and episode_ends(episode, out.lengths[episode])):
                    start(slot)
            out.env_steps += len(running)
            elapsed = time.perf_counter() - began
            out.progress_steps.append(out.env_steps)
            out.progress_s.append(elapsed)
            if time_limit_s is not None and elapsed >= time_limit_s:
                break
        out.stepping_s = time.perf_counter() - began
    finally:
        for env in envs:
            env.close()
    return out


def play_episodes(
    policy: PolicyFn,
    env_id: str,
    seeds: list[int],
    num_envs: int,
    max_episode_steps: int | None = None,
    observers: Sequence[EpisodeObserver] = (),
    env_kwargs: dict | None = None,
) -> Rollouts:
    """The policy's episodes, with every action it took (for `replay_episodes`)."""
    actions: list[list] = [[] for _ in seeds]

    def choose(batch: np.ndarray, episodes: list[int], steps: list[int]) -> Sequence:
        chosen = policy(batch, [seeds[episode] for episode in episodes])
        for episode, action in zip(episodes, chosen):
            actions[episode].append(action)
        return chosen

    out = run_episodes(choose, env_id, seeds, num_envs, max_episode_steps, observers, env_kwargs=env_kwargs)
    out.actions = actions
    return out


def collect_observations(
    policy: PolicyFn, env_id: str, seeds: list[int], num_envs: int, max_episode_steps: int | None = None
) -> Rollouts:
    """The policy's episodes and every observation it acted on, in wave order (ObservationBuffer.take)."""
    buffer = ObservationBuffer()

    def choose(batch: np.ndarray, episodes: list[int], steps: list[int]) -> Sequence:
        buffer.append(batch, [(episode // num_envs, step, episode) for episode, step in zip(episodes, steps)])
        return policy(batch, [seeds[episode] for episode in episodes])

    out = run_episodes(choose, env_id, seeds, num_envs, max_episode_steps)
    out.observations = buffer
    return out


def replay_episodes(
    env_id: str,
    seeds: list[int],
    actions: list[list],
    num_envs: int,
    max_episode_steps: int | None = None,
    time_limit_s: float | None = None,
) -> Rollouts:
    """Recorded episodes stepped again with their own actions and no policy (same seeds, same schedule):
    the environments' own cost."""
    return run_episodes(
        lambda batch, episodes, steps: [actions[episode][step] for episode, step in zip(episodes, steps)],
        env_id,
        seeds,
        num_envs,
        max_episode_steps,
        episode_ends=lambda episode, length: length == len(actions[episode]),
        time_limit_s=time_limit_s,
    )


def step_rate_over_first(rollouts: Rollouts, env_steps: int) -> float:
    """Steps per second over the rollouts' first `env_steps` environment steps (the whole run if it had
    fewer): the span a time-limited replay of the same schedule covers."""
    done = int(np.searchsorted(rollouts.progress_steps, env_steps))
    done = min(done, len(rollouts.progress_steps) - 1)
    if done < 0 or rollouts.progress_s[done] <= 0:
        return float("nan")
    return rollouts.progress_steps[done] / rollouts.progress_s[done]


def replay_step_rate(
    env_id: str,
    seeds: list[int],
    actions: list[list],
    num_envs: int,
    max_episode_steps: int | None = None,
    max_seconds: float = 3.0,
) -> dict:
    """Environment steps per second replaying recorded episodes (same seeds, same actions, same
    schedule over `num_envs` environments) with no policy: the same environment work as playing
    them, so the rate that playing is read against. Stops after `max_seconds`."""
    replayed = replay_episodes(env_id, seeds, actions, num_envs, max_episode_steps, time_limit_s=max_seconds)
    return {
        "env_steps": replayed.env_steps,
        "wall_time_s": replayed.stepping_s,
        "num_envs": min(num_envs, len(seeds)),
        "steps_per_s": replayed.env_steps / replayed.stepping_s if replayed.stepping_s > 0 else float("nan"),
        "actions": "the evaluation's own, replayed on the same schedule without the policy",
    }
