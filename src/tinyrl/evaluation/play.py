"""Evaluate a policy over the study's fixed episode seeds, with system metrics."""

from __future__ import annotations

import os
import resource
import time

import psutil

from tinyrl.episodes.envs import episode_observers, observer_records
from tinyrl.episodes.observations import ObservationSample
from tinyrl.episodes.rollout import play_episodes, replay_step_rate, step_rate_over_first
from tinyrl.policies.actions import PolicyFn
from tinyrl.statistics.summaries import describe_returns


def episode_seeds(eval_cfg: dict) -> list[int]:
    return [eval_cfg["seed"] + i for i in range(eval_cfg["episodes"])]


REPLAY_MAX_SECONDS = 1.0  # wall seconds of replay per evaluation job: the raw rate's sample, kept short for the budget


def evaluate(
    policy: PolicyFn,
    env_id: str,
    eval_cfg: dict,
    baseline_rss: int | None = None,
    sample: ObservationSample | None = None,
) -> dict:
    """Play the configured episodes; return per-episode returns, summary with CI, and system metrics.

    Run in a fresh process per variant (each Snakemake job is one), so peak RSS
    belongs to this evaluation alone. `baseline_rss` is the resident memory
    before the model was loaded. `sample`, if given, keeps a sample of the observations the
    policy acted on.
    """
    if sample is not None:
        policy = sample.watching(policy)
    process = psutil.Process()
    baseline_rss = baseline_rss if baseline_rss is not None else process.memory_info().rss
    cpu_before = process.cpu_times()
    start = time.perf_counter()
    seeds = episode_seeds(eval_cfg)
    observers = episode_observers(env_id, len(seeds))
    rollouts = play_episodes(policy, env_id, seeds, eval_cfg["num_envs"], eval_cfg.get("max_episode_steps"), observers)
    wall = time.perf_counter() - start
    cpu_after = process.cpu_times()
    cpu_s = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    raw = replay_step_rate(
        env_id,
        rollouts.seeds,
        rollouts.actions,
        eval_cfg["num_envs"],
        eval_cfg.get("max_episode_steps"),
        REPLAY_MAX_SECONDS,
    )
    # Per second of the episodes themselves: building the environments is not stepping them.
    steps_per_s = rollouts.env_steps / rollouts.stepping_s if rollouts.stepping_s > 0 else float("nan")
    # Like with like: the policy's rate over the very steps the replay covered (same episodes, same
    # schedule, the same busy environments), not over the whole run and its thinner tail.
    same_steps_rate = step_rate_over_first(rollouts, raw["env_steps"])
    extra = observer_records(observers)
    return extra | {
        "env_id": env_id,
        "seeds": rollouts.seeds,
        "returns": rollouts.returns,
        "lengths": rollouts.lengths,
        "reward": describe_returns(rollouts.returns),  # the CI is computed at aggregation (tinyrl.statistics.inference)
        "system": {
            "eval_wall_time_s": wall,
            "env_steps": rollouts.env_steps,
            "steps_per_s": steps_per_s,
            "raw_env": raw,  # the same episodes replayed with no policy, in this job
            "steps_per_s_over_replayed_steps": same_steps_rate,
            "policy_to_raw_step_rate": same_steps_rate / raw["steps_per_s"],
            "cpu_time_s": cpu_s,
            "cpu_utilisation": cpu_s / wall if wall > 0 else float("nan"),  # 1.0 = one core busy
            "peak_rss_bytes": peak_rss,
            "baseline_rss_bytes": baseline_rss,
            "rss_increase_bytes": max(0, peak_rss - baseline_rss),
            "cpu_count": os.cpu_count(),
        },
    }
