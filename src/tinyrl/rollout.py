"""Play episodes with fixed per-episode seeds on vectorised environments, with batched inference."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tinyrl.atari import room_of
from tinyrl.envs import make_env
from tinyrl.policy import PolicyFn


class ObservationBuffer:
    """Observations kept in large preallocated blocks. Thousands of small arrays kept between the large
    temporaries of each step fragment the heap: 381 MB of Montezuma frames kept as per-step arrays
    took 1.7 GB of resident memory."""

    BLOCK_BYTES = 32 * 2 ** 20

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
    observations: ObservationBuffer = field(default_factory=ObservationBuffer)  # if kept: every step's, in order
    env_steps: int = 0  # environment steps of all episodes (the sum of their lengths)
    stepping_s: float = 0.0  # wall time of the episodes' steps (and later resets); building and first resets excluded
    rooms: list[list[int]] = field(default_factory=list)  # per episode, rooms in order of first visit (Montezuma)
    actions: list[list] = field(default_factory=list)  # per episode, every action taken (if recorded)


def play_episodes(policy: PolicyFn | None, env_id: str, seeds: list[int], num_envs: int,
                  max_episode_steps: int | None = None, keep_observations: bool = False,
                  track_rooms: bool = False, record_actions: bool = False, replay: list[list] | None = None,
                  time_limit_s: float | None = None) -> Rollouts:
    """Episode i starts from ``reset(seed=seeds[i])``; up to `num_envs` episodes run at once, with one
    batched policy call per step of all running episodes.

    A slot whose episode ends starts the next seed at once, and finished episodes are never stepped,
    so every environment step counted is one of the episodes'. The schedule is fixed by the seeds
    and the episode lengths, so reruns are identical; an episode of a deterministic policy depends
    only on its seed.

    With `replay` (per episode, the actions an earlier run took) there is no policy: the same
    episodes are stepped on the same schedule, the environments' own cost. `time_limit_s` stops
    stepping at the first step of all running episodes after that many seconds.
    """
    kwargs = {"max_episode_steps": max_episode_steps} if max_episode_steps else {}
    slots = min(num_envs, len(seeds))
    envs = [make_env(env_id, **kwargs) for _ in range(slots)]
    out = Rollouts(seeds=list(seeds), returns=[0.0] * len(seeds), lengths=[0] * len(seeds),
                   rooms=[[] for _ in seeds] if track_rooms else [],
                   actions=[[] for _ in seeds] if record_actions else [])
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
            if track_rooms:
                out.rooms[episode].append(room_of(envs[slot]))

    try:
        for slot in range(slots):
            start(slot)
        began = time.perf_counter()  # after the first resets: an ALE reset with a seed reloads the game
        while running := [slot for slot in range(slots) if episode_in[slot] is not None]:
            if replay is not None:
                actions = [replay[episode_in[slot]][out.lengths[episode_in[slot]]] for slot in running]
            else:
                batch = obs if len(running) == slots else obs[running]
                if keep_observations:
                    out.observations.append(batch, [(episode_in[slot] // num_envs, out.lengths[episode_in[slot]],
                                                     episode_in[slot]) for slot in running])
                actions = policy(batch)
            for action, slot in zip(actions, running):
                episode = episode_in[slot]
                obs[slot], reward, terminated, truncated, _ = envs[slot].step(action)
                if record_actions:
                    out.actions[episode].append(action)
                out.returns[episode] += float(reward)
                out.lengths[episode] += 1
                if track_rooms and (room := room_of(envs[slot])) not in out.rooms[episode]:
                    out.rooms[episode].append(room)
                if terminated or truncated or (replay is not None and out.lengths[episode] == len(replay[episode])):
                    start(slot)
            out.env_steps += len(running)
            if time_limit_s is not None and time.perf_counter() - began >= time_limit_s:
                break
        out.stepping_s = time.perf_counter() - began
    finally:
        for env in envs:
            env.close()
    return out


def replay_step_rate(env_id: str, seeds: list[int], actions: list[list], num_envs: int,
                     max_episode_steps: int | None = None, max_seconds: float = 3.0) -> dict:
    """Environment steps per second replaying recorded episodes (same seeds, same actions, same
    schedule over `num_envs` environments) with no policy: the same environment work as playing
    them, so the rate that playing is read against. Stops after `max_seconds`."""
    replayed = play_episodes(None, env_id, seeds, num_envs, max_episode_steps, replay=actions,
                             time_limit_s=max_seconds)
    return {"env_steps": replayed.env_steps, "wall_time_s": replayed.stepping_s, "num_envs": min(num_envs, len(seeds)),
            "steps_per_s": replayed.env_steps / replayed.stepping_s if replayed.stepping_s > 0 else float("nan"),
            "actions": "the evaluation's own, replayed on the same schedule without the policy"}
