"""Stage `robustness`: the float32 policy under sticky actions and under no-op starts (tinyrl.evaluation.robustness)."""

from __future__ import annotations

import torch

from tinyrl.atomic import write_json
from tinyrl.compression.loading import load_policy
from tinyrl.evaluation.robustness import play_conditions
from tinyrl.jobs.settings import AgentSettings, RobustnessSettings
from tinyrl.policies.actions import network_policy


def robustness(*, checkpoint: str, robustness: str, agent: AgentSettings, settings: RobustnessSettings) -> None:
    """`settings`: the agent's robustness settings merged with its evaluation's seed, num_envs and
    max_episode_steps (the episodes are the seed-protocol evaluation's, perturbed)."""
    torch.set_num_threads(1)
    model, _ = load_policy(checkpoint, expected_arch=agent["network"])
    conditions = play_conditions(
        lambda: network_policy(model, agent["actions"], seed=settings["seed"]), agent["env_id"], settings
    )
    write_json(
        robustness,
        {"agent_env": agent["env_id"], "actions": agent["actions"], "settings": settings, "conditions": conditions},
    )
