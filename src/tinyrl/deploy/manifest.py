"""policy.json: what a shipped policy file takes and gives, which runtime loads it, and how it was verified."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tinyrl.deploy.acting import OUTPUT_MEANINGS, ActionRule
from tinyrl.deploy.formats.record import DeployFormat, Written
from tinyrl.episodes.atari import MAX_EPISODE_STEPS, get_protocol, is_atari, protocol_of
from tinyrl.episodes.observations import observation_shape

MANIFEST_VERSION = "tinyrl-deployed-policy/1"


def environment_record(env_id: str, max_episode_steps: int | None) -> dict:
    """The env and its protocol as run_policy.py builds it: `gymnasium` (gym.make, continuous actions clipped),
    `ale-seed` (the seed study's Atari protocol), or an imported policy's library protocol by its namespace."""
    if not is_atari(env_id):
        return {"env_id": env_id, "protocol": "gymnasium", "max_episode_steps": max_episode_steps}
    namespace = protocol_of(env_id)
    return {
        "env_id": env_id,
        "protocol": "ale-seed" if namespace == "ALE" else namespace.lower(),
        "max_episode_steps": max_episode_steps or MAX_EPISODE_STEPS,
        "description": get_protocol(namespace).description,
    }


def file_record(folder: Path, written: Written) -> dict:
    """The policy file (and the files beside it) with sizes and SHA-256."""
    names = (written.file, *written.extra_files)
    return {
        "name": written.file,
        "files": {
            name: {
                "bytes": (folder / name).stat().st_size,
                "sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest(),
            }
            for name in names
        },
    }


def build_manifest(
    *,
    agent: str,
    variant: str,
    backend: str,
    arch: dict,
    env_id: str,
    max_episode_steps: int | None,
    action_space: dict,
    log_std: list[float] | None,
    rule: ActionRule,
    fmt: DeployFormat,
    written: Written,
    folder: Path,
) -> dict:
    """The manifest of a pick's folder, before it is played (tinyrl.stages.deploy adds `played`)."""
    loader = written.loader or {}
    action = {
        "space": action_space,
        "file_output": OUTPUT_MEANINGS[rule.graph_step]
        if written.in_graph or rule.graph_step is None
        else "the network's raw action outputs (float32), before the host's steps",
        "host_steps": rule.host_steps(written.in_graph),
        "rule_in_file": written.in_graph,
    }
    if log_std is not None:
        action["log_std"] = log_std
    return {
        "format": MANIFEST_VERSION,
        "agent": agent,
        "variant": variant,
        "timed_on": backend,
        "runtime": {"name": fmt.runtime, "versions": fmt.versions(tuple(loader.get("imports", ()))), "loader": loader},
        "file": file_record(folder, written),
        "observation": {
            "shape": list(observation_shape(arch) or ()),
            "dtype": "float32",
            "batch_axis": 0,
            "preprocessing": "none outside the file: the environment's observation cast to float32 (an Atari "
            "frame stack's uint8 values as they are; the network divides by 255 and any observation normaliser "
            "is inside the file)",
        },
        "action": action,
        "environment": environment_record(env_id, max_episode_steps),
    }
