"""Go-Explore, phase 1 (Ecoffet et al., 2019): find a high-scoring action sequence by
deterministic exploration of the emulator.

One file, CleanRL style: settings in `GoExploreConfig`, the loop in `explore`.
Montezuma's Revenge without sticky actions is deterministic (the same actions from
reset give the same game, whatever the reset seed), so a state reached once can be
returned to exactly by restoring the emulator's saved state. The archive keeps, for
every *cell* (level, room, inventory, score and the player's position on a coarse
grid, all read from RAM: the "domain knowledge" cells of the paper), the best
trajectory that reached it: higher score first, then fewer steps. Each iteration
picks a cell (rarely chosen cells and cells at the best score are preferred),
restores its state and explores with random actions that repeat the previous one
with probability `repeat_action_prob`. Exploration stops at a life loss, so every
trajectory in the archive, and the demonstration, is played without dying.

Steps are agent steps of the evaluation protocol (4 emulator frames per action,
tinyrl.episodes.atari.ale), so the demonstration replays exactly through the protocol's env.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinyrl.episodes.atari import make_atari_env
from tinyrl.episodes.atari.ale import FRAME_SKIP, MAX_EPISODE_STEPS, MONTEZUMA_RAM, room_of


@dataclass
class GoExploreConfig:
    env_id: str = "ALE/MontezumaRevenge-v5"
    seed: int = 0
    total_steps: int = 3_000_000  # agent steps spent exploring (x4 emulator frames)
    explore_steps: int = 100  # random steps from a restored cell per iteration
    repeat_action_prob: float = 0.95
    cell_size: int = 8  # position grid in RAM units (x: 2-151, y: 134-252)
    best_score_weight: float = 3.0  # selection favours cells at the best score found so far
    target_score: float | None = None  # stop early once a trajectory scores this much
    max_trajectory_steps: int = MAX_EPISODE_STEPS - 500  # leave the policy room within the episode limit


@dataclass
class Cell:
    state: object  # the emulator state (ale.cloneState())
    actions: bytes  # the action sequence from reset that reaches it
    score: float
    times_chosen: int = 0
    times_seen: int = 0


@dataclass
class Demonstration:
    actions: list[int]
    score: float
    cells: int
    steps_explored: int
    wall_time_s: float
    history: list[dict] = field(default_factory=list)  # (steps, best score, cells) as the search went


def cell_key(ram: np.ndarray, score: float, cell_size: int) -> tuple:
    r = MONTEZUMA_RAM
    return (
        int(ram[r["level"]]),
        int(ram[r["room"]]),
        int(ram[r["inventory"]]),
        float(score),
        int(ram[r["x"]]) // cell_size,
        int(ram[r["y"]]) // cell_size,
    )


def act_frames(ale, action, frames: int = FRAME_SKIP) -> float:
    """One agent step on the bare emulator: the action held for the protocol's 4 frames; the reward."""
    return float(sum(ale.act(action) for _ in range(frames)))


def _ram_after(ale, state, action) -> np.ndarray:
    """The RAM one agent step of `action` leads to from emulator state `state`."""
    ale.restoreState(state)
    act_frames(ale, action)
    return ale.getRAM().copy()


def explore(cfg: GoExploreConfig, log: Callable[[str], None] = print) -> Demonstration:
    rng = np.random.default_rng(cfg.seed)
    env = make_atari_env(cfg.env_id, max_episode_steps=None)
    env.reset(seed=cfg.seed)
    ale = env.unwrapped.ale
    action_set = env.unwrapped._action_set
    n_actions = len(action_set)

    archive: dict[tuple, Cell] = {}
    start_key = cell_key(ale.getRAM(), 0.0, cfg.cell_size)
    archive[start_key] = Cell(ale.cloneState(), b"", 0.0)
    best_key, steps, start, history = start_key, 0, time.perf_counter(), []
    next_report = 0

    while steps < cfg.total_steps:
        keys = list(archive)
        best_score = archive[best_key].score
        weights = np.array(
            [
                (1.0 / math.sqrt(archive[k].times_chosen + 1) + 1.0 / math.sqrt(archive[k].times_seen + 1))
                * (cfg.best_score_weight if archive[k].score >= best_score else 1.0)
                for k in keys
            ]
        )
        chosen = archive[keys[rng.choice(len(keys), p=weights / weights.sum())]]
        chosen.times_chosen += 1
        ale.restoreState(chosen.state)
        actions, score, lives = bytearray(chosen.actions), chosen.score, ale.lives()
        action = int(rng.integers(n_actions))
        for _ in range(cfg.explore_steps):
            if len(actions) >= cfg.max_trajectory_steps:
                break
            if rng.random() > cfg.repeat_action_prob:
                action = int(rng.integers(n_actions))
            score += act_frames(ale, action_set[action])
            actions.append(action)
            steps += 1
            if ale.game_over() or ale.lives() < lives:
                break  # dying ends the exploration: the archive holds only trajectories without a death
            key = cell_key(ale.getRAM(), score, cfg.cell_size)
            cell = archive.get(key)
            if cell is None or score > cell.score or (score == cell.score and len(actions) < len(cell.actions)):
                seen = cell.times_seen if cell else 0
                archive[key] = Cell(ale.cloneState(), bytes(actions), score, 0, seen)
                cell = archive[key]
                if score > archive[best_key].score:
                    best_key = key
            cell.times_seen += 1
        if steps >= next_report:
            history.append({"steps": steps, "best_score": archive[best_key].score, "cells": len(archive)})
            log(
                f"go-explore: {steps} steps, {len(archive)} cells, best score {archive[best_key].score:.0f} "
                f"({len(archive[best_key].actions)} steps), {time.perf_counter() - start:.0f} s"
            )
            next_report += 100_000
        if cfg.target_score is not None and archive[best_key].score >= cfg.target_score:
            break
    env.close()
    best = archive[best_key]
    history.append({"steps": steps, "best_score": best.score, "cells": len(archive)})
    return Demonstration(list(best.actions), best.score, len(archive), steps, time.perf_counter() - start, history)


# NOOP, the four directions, FIRE, then the combinations: the order in which an equivalent action is preferred.
ACTION_PREFERENCE = [0, 3, 4, 2, 5, 1, 6, 7, 8, 9, 11, 12, 10, 13, 14, 15, 16, 17]


def canonical_actions(ale, action_set, actions: list[int]) -> list[int]:
    """The same trajectory with consistent labels: each action replaced by the first action in
    ACTION_PREFERENCE that leads from the current emulator state to the same RAM (mid-jump, say,
    every action does). Random exploration picks among equivalent actions at random; a policy
    cloned from such labels sees near-identical frames labelled differently. Plays from the
    emulator's current state and leaves it at the trajectory's end."""
    out = []
    for action in actions:
        before = ale.cloneState()
        target, after = _ram_after(ale, before, action_set[action]), ale.cloneState()
        for candidate in ACTION_PREFERENCE:
            if candidate == action:
                ale.restoreState(after)
                break
            if np.array_equal(_ram_after(ale, before, action_set[candidate]), target):
                action = candidate  # the emulator stays where the preferred action led
                break
        out.append(action)
    return out


def canonical_demonstration(env_id: str, actions: list[int]) -> list[int]:
    env = make_atari_env(env_id, max_episode_steps=None)
    env.reset(seed=0)
    out = canonical_actions(env.unwrapped.ale, env.unwrapped._action_set, actions)
    env.close()
    return out


def equivalent_actions(env_id: str, actions: list[int]) -> np.ndarray:
    """For each step of the trajectory from reset, which actions lead to exactly the same RAM as the
    trajectory's own action: a (steps, n_actions) boolean mask. The game being deterministic, a
    policy that always takes one of them replays the trajectory exactly."""
    env = make_atari_env(env_id, max_episode_steps=None)
    env.reset(seed=0)
    ale, action_set = env.unwrapped.ale, env.unwrapped._action_set
    masks = np.zeros((len(actions), len(action_set)), dtype=bool)
    for t, action in enumerate(actions):
        before = ale.cloneState()
        target, after = _ram_after(ale, before, action_set[action]), ale.cloneState()
        for candidate in range(len(action_set)):
            masks[t, candidate] = np.array_equal(_ram_after(ale, before, action_set[candidate]), target)
        ale.restoreState(after)
    env.close()
    return masks


def replay(env_id: str, actions: list[int]) -> tuple[np.ndarray, float, list[int]]:
    """Play the actions through the protocol's env: (observations before each action, score, rooms)."""
    env = make_atari_env(env_id, max_episode_steps=None)
    obs, _ = env.reset(seed=0)
    observations, score, rooms = [], 0.0, []
    for action in actions:
        observations.append(np.asarray(obs, dtype=np.uint8))
        obs, reward, terminated, truncated, _ = env.step(action)
        score += float(reward)
        room = room_of(env)
        if room not in rooms:
            rooms.append(room)
        if terminated or truncated:
            break
    env.close()
    return np.stack(observations) if observations else np.zeros((0, 4, 84, 84), np.uint8), score, rooms
