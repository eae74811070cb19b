"""The plan and the settings each stage receives, typed: what keys each holds, findable by name.

They stay plain dicts (TypedDicts), so the plan is still the JSON Snakemake compares to decide what to rerun.
The config schema (tinyrl/plan/schemas/config.schema.yaml) validates the values; these declare the keys, and
`check_keys` holds a dict to its declaration where it crosses a boundary: the plan when it is made or read
from the cache, a stage's arguments when its job starts (run_stage). A misspelt key fails there, naming it.
tests/test_settings.py checks these keys against the schema's.
"""

# No `from __future__ import annotations`: TypedDict reads NotRequired[...] off evaluated annotations only.
import types
import typing
from typing import Any, NotRequired, TypedDict, Union


class AgentSettings(TypedDict):
    """What every job of an agent knows of it."""

    env_id: str
    algorithm: str | None
    network: dict  # the network's kind and dimensions (tinyrl.policies.networks.build_network)
    actions: str  # greedy, sampled or mean


class PretrainSettings(AgentSettings):
    pretrain: dict | None  # the trainer's hyperparameters (the algorithm record's dataclass fields)


class EvaluationSettings(TypedDict):
    episodes: int
    seed: int  # the first episode seed; episode i plays seed + i
    num_envs: int
    bootstrap_samples: int
    confidence: float
    max_episode_steps: NotRequired[int | None]
    noninferiority_margin: NotRequired[float]
    min_paired_episodes: NotRequired[int]
    return_range: NotRequired[list[float] | None]


class LatencySettings(TypedDict):
    passes: NotRequired[int]
    warmup: NotRequired[int]


class TimingSettings(TypedDict):
    passes: int
    batch_size: int
    warmup: int
    threads: int
    rounds: NotRequired[int]
    backends: NotRequired[list[str]]
    latency: NotRequired[LatencySettings]


class FinetuneSettings(TypedDict):
    seed: NotRequired[int]
    seeds: NotRequired[int]
    learning_rate: NotRequired[float]
    batch_size: NotRequired[int]
    rounds: NotRequired[int]
    onpolicy_episodes: NotRequired[int]
    teacher_episodes: NotRequired[int]
    max_episode_steps: NotRequired[int]
    temperature: NotRequired[float]
    value_weight: NotRequired[float]
    logits_loss: NotRequired[str]
    rl_hyperparameters: NotRequired[dict]


class ObservationSettings(TypedDict):
    episodes: int
    max_observations: int
    seed: int


class RobustnessSettings(TypedDict):
    episodes: int
    sticky_actions: NotRequired[float]
    noop_max: NotRequired[int]
    seed: NotRequired[int]  # the evaluation's, so that both play the same episode seeds
    num_envs: NotRequired[int]
    max_episode_steps: NotRequired[int | None]


class SelectionSettings(TypedDict):
    episodes: NotRequired[int]
    seed: NotRequired[int]


class ReportSettings(TypedDict):
    """What the report states of the protocol (tinyrl.plan.study.report_settings)."""

    evaluation: EvaluationSettings
    timing: TimingSettings
    finetune: FinetuneSettings
    observations: ObservationSettings
    agents: dict[str, dict]  # each agent's AgentSettings with its evaluation, timing and finetune overrides
    selection: SelectionSettings
    chosen: list[dict]  # the settings chosen on the selection episodes, as their `chosen` records say
    training_seeds: dict[str, dict[str, int]]  # agent -> recipe -> its number of training seeds
    config_hash: str


# `import` is a Python keyword, hence the functional form
AgentPlan = TypedDict(
    "AgentPlan",
    {
        "settings": AgentSettings,
        "pretrain": dict | None,
        "checkpoint": str | None,
        "import": dict | None,  # a file from elsewhere and its companions (the import_policy rule)
        "evaluation": EvaluationSettings,
        "observations": ObservationSettings,
        "timing": TimingSettings,
        "finetune": FinetuneSettings,
        "robustness": RobustnessSettings | None,
        "variants": list[dict],  # the expanded variants (tinyrl.plan.config.validate_config)
    },
)


class Plan(TypedDict):
    """The study's plan (tinyrl.plan.study.plan_study), as the Snakefile reads it."""

    agents: dict[str, AgentPlan]
    tables: list[str]
    figures: list[str]
    timing: TimingSettings
    finetune: FinetuneSettings
    report: ReportSettings


def _is_typed_dict(kind: Any) -> bool:
    return typing.is_typeddict(kind)


def check_keys(value: Any, kind: Any, where: str) -> None:
    """Raise KeyError naming `where` and the key if `value` has a key its declaration lacks, or lacks a required
    one; descends into typed fields, `dict[str, T]`, `list[T]` and `T | None`."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if _is_typed_dict(kind):
        if not isinstance(value, dict):
            raise TypeError(f"{where}: expected a mapping of {kind.__name__}'s keys, got {type(value).__name__}")
        hints = typing.get_type_hints(kind)
        unknown = sorted(set(value) - set(hints))
        missing = sorted(kind.__required_keys__ - set(value))
        if unknown or missing:
            raise KeyError(
                f"{where}: {'unknown key(s) ' + ', '.join(unknown) if unknown else ''}"
                f"{'; ' if unknown and missing else ''}{'missing key(s) ' + ', '.join(missing) if missing else ''}"
                f" (the keys of {kind.__name__}: {', '.join(hints)})"
            )
        for key, item in value.items():
            check_keys(item, hints[key], f"{where}.{key}")
    elif origin in (Union, types.UnionType):
        if value is not None:
            for option in (a for a in arguments if a is not type(None)):
                check_keys(value, option, where)
    elif origin is dict and isinstance(value, dict) and len(arguments) == 2:
        for key, item in value.items():
            check_keys(item, arguments[1], f"{where}.{key}")
    elif origin is list and isinstance(value, list) and arguments:
        for index, item in enumerate(value):
            check_keys(item, arguments[0], f"{where}[{index}]")


def check_stage_arguments(stage: Any, arguments: dict[str, Any]) -> None:
    """Each argument a stage function declares with a typed settings dict holds that dict's keys."""
    hints = typing.get_type_hints(stage)
    for name, value in arguments.items():
        if name in hints:
            check_keys(value, hints[name], f"{stage.__name__}({name}=...)")
