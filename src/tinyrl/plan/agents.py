"""An agent's settings, completed from its checkpoint file where the config leaves them out.

A policy file from elsewhere (a Stable-Baselines3 zip) says what it is: its network, the algorithm
that trained it, the spaces it was trained on. The config may then name only `env_id` and
`checkpoint`; a field it does give must agree with the file. The file's spaces are checked against
the environment's before any job runs. A checkpoint the pretrain rule is to make (null) needs
`algorithm`, `network` and `pretrain` in the config, as before.
"""

from __future__ import annotations

import math

from tinyrl.episodes.envs import space_record, spaces_of
from tinyrl.errors import ConfigError, TinyRLError
from tinyrl.importers import archive_format, read_policy_file
from tinyrl.importers.common.rl_zoo import companion_files
from tinyrl.policies.actions import deterministic_mode
from tinyrl.policies.networks import OUTPUT_KINDS

READ_OFF_FILE = ("algorithm", "network", "actions")  # what a policy file may supply
UNKNOWN_ALGORITHM = "unknown"  # a file that does not say what trained it (a plain state dict)


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


def _network_spaces(arch: dict) -> tuple[int | None, dict | None]:
    """(observation size, action space as far as the network fixes it) of an MLP architecture."""
    if "obs_dim" not in arch:
        return None, None
    if "n_actions" in arch:
        return int(arch["obs_dim"]), {"type": "discrete", "n": int(arch["n_actions"])}
    return int(arch["obs_dim"]), {"type": "box", "shape": [int(arch["act_dim"])]}


def check_spaces(env_id: str, meta: dict, arch: dict, where: str) -> None:
    """The spaces the file records must be the environment's; a file that records none (CleanRL, a state
    dict) must at least have a network whose input and output sizes fit the environment's spaces."""
    observation_space, action_space = (space_record(space) for space in spaces_of(env_id))
    if "observation_space" in meta:
        pairs = [
            ("observation", meta["observation_space"], observation_space),
            ("action", meta["action_space"], action_space),
        ]
        for name, recorded, actual in pairs:
            if not _same_space(recorded, actual):
                raise ConfigError(
                    f"config field {where}: the file's {name} space is {_describe(recorded)}, but {env_id}'s is "
                    f"{_describe(actual)}: the policy was trained on another environment"
                )
        return
    obs_dim, actions = _network_spaces(arch)
    if obs_dim is None:
        return
    env_obs_dim = math.prod(observation_space.get("shape", [0]))
    env_actions = {key: action_space.get(key) for key in ("type", "n", "shape") if key in action_space}
    if obs_dim != env_obs_dim or (actions is not None and actions != env_actions):
        raise ConfigError(
            f"config field {where}: the file's network takes {obs_dim} observations and acts in {actions}, but "
            f"{env_id} gives {env_obs_dim} and acts in {env_actions}"
        )


def _companions(agent: dict, path: str) -> dict:
    """The RL Zoo's files for the agent's zip: those its `rl_zoo` setting names (null: none), else those found."""
    found = companion_files(path, agent["env_id"])
    chosen = {"vecnormalize": found.get("vecnormalize"), "zoo_config": found.get("zoo_config")}
    chosen |= agent.get("rl_zoo", {})
    return {key: value for key, value in chosen.items() if value}


def resolve_agent(name: str, agent: dict) -> dict:
    """The agent's settings with `algorithm`, `network` and `actions` filled in from its checkpoint file.

    A file from elsewhere (any format but ours) gets an `import` entry: the import_policy rule converts it,
    with the files that go with it, and its network is the one read off it."""
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
    else:
        archive = archive_format(path) is not None  # a file from elsewhere: always read, its spaces checked
        if (
            archive
            or any(key not in agent for key in READ_OFF_FILE)
            or agent["network"].get("kind") not in OUTPUT_KINDS
        ):
            _resolve_from_file(agent, resolved, path, where, archive)
    resolved.setdefault("actions", deterministic_mode(OUTPUT_KINDS[resolved["network"]["kind"]]))
    return resolved


def _resolve_from_file(agent: dict, resolved: dict, path: str, where: str, archive: bool) -> None:
    declared = dict(agent.get("network", {}))
    companions = _companions(agent, path) if archive else {}
    try:
        data = read_policy_file(path, declared=declared, companions=companions)
    except TinyRLError as exc:
        raise ConfigError(f"config field {where}.checkpoint: {exc}") from None
    arch, meta = data["arch"], data["meta"]
    foreign = meta.get("source_format") is not None
    if str(declared.get("kind", "")).startswith("cleanrl_"):  # names the file's layout, not our network
        declared.pop("kind")
    differs = {key: (value, arch.get(key)) for key, value in declared.items() if arch.get(key) != value}
    if differs:
        detail = ", ".join(f"{key}: config {a!r}, file {b!r}" for key, (a, b) in differs.items())
        raise ConfigError(f"config field {where}.network: does not match the checkpoint {path} ({detail})")
    if foreign or "kind" not in declared:
        resolved["network"] = arch
    algorithm = meta.get("algorithm")
    if "algorithm" in agent and algorithm and agent["algorithm"] != algorithm:
        raise ConfigError(
            f"config field {where}.algorithm: {agent['algorithm']!r}, but {path} was trained by {algorithm!r}"
        )
    resolved.setdefault("algorithm", algorithm or UNKNOWN_ALGORITHM)
    if foreign:
        resolved["import"] = {"source": path, **companions}
        check_spaces(agent["env_id"], meta, arch, f"{where}.checkpoint")


def resolve_agents(config: dict) -> None:
    """Complete every agent's settings from its file, in place."""
    config["agents"] = {name: resolve_agent(name, agent) for name, agent in config["agents"].items()}
