"""Evaluate a policy over the study's fixed episode seeds, with system metrics."""

from __future__ import annotations

import os
import resource
import time

import psutil

from tinyrl.atari import tracks_rooms
from tinyrl.envs import make_env
from tinyrl.policy import PolicyFn
from tinyrl.rollout import play_episodes
from tinyrl.stats import summarize_returns


def episode_seeds(eval_cfg: dict) -> list[int]:
    return [eval_cfg["seed"] + i for i in range(eval_cfg["episodes"])]


def summarize_rooms(rooms: list[list[int]]) -> dict:
    """Rooms per episode (mean, max) and every room any episode reached."""
    counts = [len(r) for r in rooms]
    return {"mean": sum(counts) / len(counts), "max": max(counts), "distinct": sorted({x for r in rooms for x in r})}


RAW_MIN_SECONDS = 1.0
RAW_MIN_STEPS = 2000


def raw_env_rate(env_id: str, num_envs: int, seed: int, max_episode_steps: int | None = None) -> dict:
    """Environment steps per second of the evaluator's environments with no policy: `num_envs`
    envs stepped in turn with pre-drawn random actions, reset when an episode ends, for at least
    RAW_MIN_SECONDS and RAW_MIN_STEPS steps. The rate that evaluation with a policy is read against."""
    kwargs = {"max_episode_steps": max_episode_steps} if max_episode_steps else {}
    envs = [make_env(env_id, **kwargs) for _ in range(num_envs)]
    try:
        for i, env in enumerate(envs):
            env.reset(seed=seed + i)
            env.action_space.seed(seed + i)
        actions = [[env.action_space.sample() for env in envs] for _ in range(64)]
        steps, start = 0, time.perf_counter()
        while steps < RAW_MIN_STEPS or time.perf_counter() - start < RAW_MIN_SECONDS:
            for env, action in zip(envs, actions[(steps // num_envs) % len(actions)]):
                _, _, terminated, truncated, _ = env.step(action)
                if terminated or truncated:
                    env.reset()
            steps += num_envs
        wall = time.perf_counter() - start
    finally:
        for env in envs:
            env.close()
    return {"env_steps": steps, "wall_time_s": wall, "steps_per_s": steps / wall, "num_envs": num_envs,
            "actions": "pre-drawn uniform random"}


def evaluate(policy: PolicyFn, env_id: str, eval_cfg: dict, baseline_rss: int | None = None) -> dict:
    """Play the configured episodes; return per-episode returns, summary with CI, and system metrics.

    Run in a fresh process per variant (each Snakemake job is one), so peak RSS
    belongs to this evaluation alone. `baseline_rss` is the resident memory
    before the model was loaded.
    """
    process = psutil.Process()
    baseline_rss = baseline_rss if baseline_rss is not None else process.memory_info().rss
    slots = min(eval_cfg["num_envs"], eval_cfg["episodes"])
    # The raw rate is measured right before and right after the episodes: this machine's speed drifts.
    raw_before = raw_env_rate(env_id, slots, eval_cfg["seed"], eval_cfg.get("max_episode_steps"))
    cpu_before = process.cpu_times()
    start = time.perf_counter()
    rollouts = play_episodes(policy, env_id, episode_seeds(eval_cfg), eval_cfg["num_envs"],
                             eval_cfg.get("max_episode_steps"), track_rooms=tracks_rooms(env_id))
    wall = time.perf_counter() - start
    cpu_after = process.cpu_times()
    cpu_s = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    raw_after = raw_env_rate(env_id, slots, eval_cfg["seed"], eval_cfg.get("max_episode_steps"))
    raw = {"steps_per_s": (raw_before["steps_per_s"] + raw_after["steps_per_s"]) / 2,
           "before": raw_before, "after": raw_after}
    # Per second of the episodes themselves: building the environments is not stepping them.
    steps_per_s = rollouts.env_steps / rollouts.stepping_s if rollouts.stepping_s > 0 else float("nan")
    extra = {"rooms": rollouts.rooms, "rooms_visited": summarize_rooms(rollouts.rooms)} if rollouts.rooms else {}
    return extra | {
        "env_id": env_id,
        "seeds": rollouts.seeds,
        "returns": rollouts.returns,
        "lengths": rollouts.lengths,
        "reward": summarize_returns(rollouts.returns, eval_cfg["bootstrap_samples"], eval_cfg["confidence"]),
        "system": {
            "eval_wall_time_s": wall,
            "env_steps": rollouts.env_steps,
            "steps_per_s": steps_per_s,
            "raw_env": raw,  # the same environments stepped with no policy, in this job: mean of before and after
            "policy_to_raw_step_rate": steps_per_s / raw["steps_per_s"],
            "cpu_time_s": cpu_s,
            "cpu_utilisation": cpu_s / wall if wall > 0 else float("nan"),  # 1.0 = one core busy
            "peak_rss_bytes": peak_rss,
            "baseline_rss_bytes": baseline_rss,
            "rss_increase_bytes": max(0, peak_rss - baseline_rss),
            "cpu_count": os.cpu_count(),
        },
    }
