"""Stages `evaluate` (a variant, loaded from its file) and `evaluate_random` (the uniform-random policy)."""

from __future__ import annotations

import numpy as np
import psutil
import torch

from tinyrl.atomic import write_json
from tinyrl.compression.loading import load_policy
from tinyrl.episodes.envs import action_space_of
from tinyrl.episodes.observations import ObservationSample, save_observations
from tinyrl.errors import VariantFailure
from tinyrl.evaluation.play import evaluate
from tinyrl.jobs.numerics import numerics_record
from tinyrl.jobs.settings import AgentSettings, EvaluationSettings
from tinyrl.policies.actions import network_policy, random_policy
from tinyrl.policies.model_stats import state_bytes
from tinyrl.timing.agreement import PARITY_OBSERVATIONS


def evaluate_variant(
    *, model: str, evaluation: str, observations: str, agent: AgentSettings, settings: EvaluationSettings
) -> None:
    """Evaluate the variant as loaded from its file, in this (fresh) process, with one torch thread; keep
    a seeded sample of the observations it acted on (`observations`, empty if it failed)."""
    torch.set_num_threads(1)
    baseline_rss = psutil.Process().memory_info().rss
    sample = ObservationSample(PARITY_OBSERVATIONS, seed=settings["seed"])
    try:
        policy_model, _ = load_policy(model)
        policy = network_policy(policy_model, agent["actions"], seed=settings["seed"])
        result = evaluate(policy, agent["env_id"], settings, baseline_rss, sample)
    except VariantFailure as exc:
        save_observations(observations, np.empty((0, 0), dtype=np.float32))
        return write_json(evaluation, {"status": "failed", "reason": str(exc)})
    kept = sample.observations()
    save_observations(observations, kept)
    result["observations_kept"] = {"kept": len(kept), "of": sample.seen}
    result["model_bytes_in_memory"] = state_bytes(policy_model.state_dict())
    result["actions"] = agent["actions"]
    result["torch_threads"] = torch.get_num_threads()
    # a variant whose file is a program for another runtime was played in that runtime's kernels
    result["numerics"] = numerics_record(getattr(policy_model, "RUNTIME", None) or None)
    result["status"] = "ok"
    write_json(evaluation, result)


def evaluate_random(*, evaluation: str, agent: AgentSettings, settings: EvaluationSettings) -> None:
    """The uniform-random policy on the same episode seeds: the floor every agent is shown beside."""
    policy = random_policy(action_space_of(agent["env_id"]), seed=settings["seed"])
    result = evaluate(policy, agent["env_id"], settings)
    result["actions"] = "uniform random"
    result["numerics"] = numerics_record()
    result["status"] = "ok"
    write_json(evaluation, result)
