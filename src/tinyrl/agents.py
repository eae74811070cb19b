"""An agent's settings, completed from its checkpoint file where the config leaves them out.

A policy file from elsewhere (a Stable-Baselines3 zip) says what it is: its network, the algorithm
that trained it, the spaces it was trained on. The config may then name only `env_id` and
`checkpoint`; a field it does give must agree with the file. The file's spaces are checked against
the environment's before any job runs. A checkpoint the pretrain rule is to make (null) needs
`algorithm`, `network` and `pretrain` in the config, as before.
"""

from __future__ import annotations

import math

from tinyrl.envs import space_record, spaces_of
from tinyrl.errors import CheckpointError, ConfigError
from tinyrl.importers import archive_format, read_policy_file
from tinyrl.importers.rl_zoo import companion_files
from tinyrl.networks import OUTPUT_KINDS
from tinyrl.policy import deterministic_mode

READ_OFF_FILE = ("algorithm", "network", "actions")  # what a policy file may supply


def _same_space(recorded: dict, actual: dict) -> bool:
    if recorded.get("type") != actual.get("type"):
        return False
    if recorded["type"] == "discrete":
        return recorded["n"] == actual["n"]
    if recorded["shape"] != actual["shape"]:
        return False
    return all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6) or a == b  # a == b: matching infinities
        for key in ("low", "high")
        for a, b in zip(recorded[key], actual[key])
    )


def _describe(space: dict) -> str:
    if space.get("type") == "discrete":
        return f"Discrete({space['n']})"
    if space.get("type") == "box":
        return f"Box(shape {space['shape']}, low {space['low'][:6]}, high {space['high'][:6]})"
    return space.get("type", "unknown")


def check_spaces(env_id: str, meta: dict, where: str) -> None:
    """The spaces the file records (if it records any) must be the environment's."""
    if "observation_space" not in meta:
        return
    observation_space, action_space = spaces_of(env_id)
    for name, recorded, actual in (
        ("observation", meta["observation_space"], space_record(observation_space)),
        ("action", meta["action_space"], space_record(action_space)),
    ):
        if not _same_space(recorded, actual):
            raise ConfigError(
                f"config field {where}: the file's {name} space is {_describe(recorded)}, but {env_id}'s is "
                f"{_describe(actual)}: the policy was trained on another environment"
            )


def _companions(agent: dict, path: str) -> dict:
    """The RL Zoo's files for the agent's zip: those its `rl_zoo` setting names (null: none), else those found."""
    found = companion_files(path, agent["env_id"])
    chosen = {"vecnormalize": found.get("vecnormalize"), "zoo_config": found.get("zoo_config")}
    chosen |= {key: value for key, value in agent.get("rl_zoo", {}).items()}
    return {key: value for key, value in chosen.items() if value}


def resolve_agent(name: str, agent: dict) -> dict:
    """The agent's settings with `algorithm`, `network` and `actions` filled in from its checkpoint file."""
    where = f"agents.{name}"
    path = agent.get("checkpoint")
    resolved = dict(agent)
    if path is None:
        missing = [key for key in ("algorithm", "network", "pretrain") if key not in agent]
        if missing:
            raise ConfigError(
                f"config field {where}: {', '.join(missing)} must be set when checkpoint is null "
                f"(the pretrain rule trains the agent from them)"
            )
    elif (
        any(key not in agent for key in READ_OFF_FILE)
        or "kind" not in agent["network"]
        or archive_format(path) is not None  # a file from elsewhere: its spaces are checked
    ):
        companions = {}
        if archive_format(path) is not None:  # converted by the import_policy rule, with its companions
            companions = _companions(agent, path)
            resolved["import"] = {"source": path, **companions}
        try:
            data = read_policy_file(path, declared=agent.get("network"), companions=companions)
        except CheckpointError as exc:
            raise ConfigError(f"config field {where}.checkpoint: {exc}") from None
        arch, meta = data["arch"], data["meta"]
        declared = agent.get("network", {})
        differs = {key: (value, arch.get(key)) for key, value in declared.items() if arch.get(key) != value}
        if differs:
            detail = ", ".join(f"{key}: config {a!r}, file {b!r}" for key, (a, b) in differs.items())
            raise ConfigError(f"config field {where}.network: does not match the checkpoint {path} ({detail})")
        resolved["network"] = arch
        algorithm = meta.get("algorithm")
        if "algorithm" in agent and algorithm and agent["algorithm"] != algorithm:
            raise ConfigError(
                f"config field {where}.algorithm: {agent['algorithm']!r}, but {path} was trained by {algorithm!r}"
            )
        if "algorithm" not in agent:
            if not algorithm:
                raise ConfigError(f"config field {where}.algorithm: required: {path} does not say what trained it")
            resolved["algorithm"] = algorithm
        check_spaces(agent["env_id"], meta, f"{where}.checkpoint")
    resolved.setdefault("actions", deterministic_mode(OUTPUT_KINDS[resolved["network"]["kind"]]))
    return resolved


def resolve_agents(config: dict) -> None:
    """Complete every agent's settings from its file, in place."""
    config["agents"] = {name: resolve_agent(name, agent) for name, agent in config["agents"].items()}
