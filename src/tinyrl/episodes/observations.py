"""The fixed observation set (the seed's data.npy): calibration, timing and fine-tuning input."""

from __future__ import annotations

import os

import numpy as np

from tinyrl.atomic import atomic_path
from tinyrl.episodes.rollout import collect_observations as play_and_collect
from tinyrl.errors import CheckpointError
from tinyrl.policies.actions import PolicyFn


def collect_observations(
    policy: PolicyFn, env_id: str, episodes: int, max_observations: int, seed: int, num_envs: int = 8
) -> np.ndarray:
    """Observations visited by `policy` in `episodes` seeded episodes, subsampled to at most
    `max_observations` with a seeded generator (order kept)."""
    seeds = [seed + i for i in range(episodes)]
    visited = play_and_collect(policy, env_id, seeds, num_envs).observations
    keep = None
    if len(visited) > max_observations:
        keep = np.sort(np.random.default_rng(seed).choice(len(visited), max_observations, replace=False))
    observations = visited.take(keep)
    if observations.dtype != np.uint8:  # frames stay uint8 (a quarter of the size); vectors are float32
        observations = observations.astype(np.float32)
    return observations


class ObservationSample:
    """A seeded uniform sample (reservoir, Algorithm R) of the observations a policy acts on, kept while
    it plays: what each backend of the variant is checked on (its own evaluation's observations)."""

    def __init__(self, size: int, seed: int):
        self.size, self.rng, self.seen = size, np.random.default_rng(seed), 0
        self.kept: np.ndarray | None = None

    def offer(self, batch: np.ndarray) -> None:
        if self.kept is None:
            self.kept = np.empty((self.size, *batch.shape[1:]), dtype=batch.dtype)
        filling = min(len(batch), max(0, self.size - self.seen))
        self.kept[self.seen : self.seen + filling] = batch[:filling]
        self.seen += filling
        rest = batch[filling:]
        if len(rest):  # row i replaces a random slot with probability size / (rows seen before it + 1)
            slots = self.rng.integers(0, self.seen + 1 + np.arange(len(rest)))
            for row, slot in zip(rest[slots < self.size], slots[slots < self.size]):  # in order: the last wins
                self.kept[slot] = row
            self.seen += len(rest)

    def watching(self, policy: PolicyFn) -> PolicyFn:
        """The policy, offering each batch it acts on to the sample first."""

        def act(obs: np.ndarray, episode_seeds) -> np.ndarray:
            self.offer(obs)
            return policy(obs, episode_seeds)

        return act

    def observations(self) -> np.ndarray:
        """The sample (every observation seen, if fewer than its size); frames uint8, vectors float32."""
        if self.kept is None:
            return np.empty((0, 0), dtype=np.float32)
        kept = self.kept[: min(self.seen, self.size)]
        return kept if kept.dtype == np.uint8 else kept.astype(np.float32)


def save_observations(path: str | os.PathLike, observations: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.save(handle, observations, allow_pickle=False)


def observation_shape(arch: dict) -> tuple[int, ...] | None:
    """One observation's shape as the architecture declares it: (obs_dim,) or the frame stack's shape."""
    if "input_shape" in arch:
        return tuple(int(d) for d in arch["input_shape"])
    return (int(arch["obs_dim"]),) if "obs_dim" in arch else None


def load_observations(
    path: str | os.PathLike, shape: tuple[int, ...] | None = None, allow_empty: bool = False
) -> np.ndarray:
    """The observations saved at `path`, checked against the policy's observation shape; `allow_empty`:
    an empty set (a failed evaluation's sample) is returned as it is."""
    try:
        observations = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise CheckpointError(f"{path}: not a readable observation set: {exc}") from exc
    if allow_empty and observations.size == 0:
        return observations
    if observations.ndim < 2 or len(observations) == 0:
        raise CheckpointError(
            f"{path}: observation set has shape {observations.shape}, expected (N, obs_dim) with N > 0"
        )
    if shape is not None and tuple(observations.shape[1:]) != tuple(shape):
        raise CheckpointError(
            f"{path}: observations have shape {tuple(observations.shape[1:])}, the policy expects {tuple(shape)}"
        )
    return observations
