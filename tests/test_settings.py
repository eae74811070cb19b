"""The plan and the settings each stage receives are typed (tinyrl.jobs.settings): their keys are the config
schema's, and a misspelt key fails where the dict crosses into a stage or out of the planner, naming it."""

import copy

import pytest

from tinyrl.jobs.settings import (
    EvaluationSettings,
    FinetuneSettings,
    ObservationSettings,
    Plan,
    RobustnessSettings,
    SelectionSettings,
    TimingSettings,
    check_keys,
    check_stage_arguments,
)
from tinyrl.plan.config import load_schema
from tinyrl.plan.study import plan_study
from tinyrl.stages.evaluate import evaluate_random


def keys(typed) -> set[str]:
    return set(typed.__annotations__)


def test_the_settings_keys_are_the_schemas():
    schema = load_schema()["properties"]
    for section, typed in (
        ("evaluation", EvaluationSettings),
        ("timing", TimingSettings),
        ("finetune", FinetuneSettings),
        ("observations", ObservationSettings),
        ("selection", SelectionSettings),
    ):
        assert keys(typed) == set(schema[section]["properties"]), section
        assert typed.__required_keys__ == set(schema[section].get("required", [])), section
    assert keys(TimingSettings.__annotations__["latency"].__args__[0]) == set(
        schema["timing"]["properties"]["latency"]["properties"]
    )
    robustness = schema["agents"]["additionalProperties"]["properties"]["robustness"]["properties"]
    assert keys(RobustnessSettings) == set(robustness) | {"seed", "num_envs", "max_episode_steps"}  # the evaluation's


def test_every_plan_is_checked_and_a_stray_key_fails(tiny_config):
    plan = plan_study(copy.deepcopy(tiny_config))
    check_keys(plan, Plan, "plan")
    agent = next(iter(plan["agents"]))
    plan["agents"][agent]["timing"]["pases"] = 5
    with pytest.raises(KeyError, match=rf"plan\.agents\.{agent}\.timing: unknown key\(s\) pases"):
        check_keys(plan, Plan, "plan")


def test_a_misspelt_setting_fails_at_the_stage_boundary(tiny_config):
    settings = plan_study(copy.deepcopy(tiny_config))["agents"]["lunarlander"]["evaluation"]
    agent = {"env_id": "LunarLander-v3", "algorithm": "ddqn", "network": {}, "actions": "greedy"}
    check_stage_arguments(evaluate_random, {"evaluation": "x.json", "agent": agent, "settings": settings})
    settings["episode"] = settings.pop("episodes")
    with pytest.raises(
        KeyError, match=r"evaluate_random\(settings=...\): unknown key\(s\) episode; missing key\(s\) episodes"
    ):
        check_stage_arguments(evaluate_random, {"evaluation": "x.json", "agent": agent, "settings": settings})
    with pytest.raises(KeyError, match=r"evaluate_random\(agent=...\): missing key\(s\) actions"):
        check_stage_arguments(evaluate_random, {"agent": {k: v for k, v in agent.items() if k != "actions"}})
