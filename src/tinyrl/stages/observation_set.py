"""Stage `observation_set`: the fixed observation set (the seed's data.npy), from the float32 policy's episodes."""

from __future__ import annotations

import torch

from tinyrl.compression.loading import load_policy
from tinyrl.episodes.observations import collect_observations, save_observations
from tinyrl.jobs.settings import AgentSettings, ObservationSettings
from tinyrl.policies.actions import network_policy


def observation_set(*, checkpoint: str, observations: str, agent: AgentSettings, settings: ObservationSettings) -> None:
    torch.set_num_threads(1)  # a fixed thread count keeps the set identical from run to run
    model, _ = load_policy(checkpoint, expected_arch=agent["network"])
    policy = network_policy(model, agent["actions"], seed=settings["seed"])
    collected = collect_observations(
        policy, agent["env_id"], settings["episodes"], settings["max_observations"], settings["seed"]
    )
    save_observations(observations, collected)
