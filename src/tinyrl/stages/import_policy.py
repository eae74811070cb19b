"""Stage `import_policy`: a policy file from elsewhere, converted once into a tiny_rl checkpoint."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tinyrl.errors import CheckpointError
from tinyrl.importers import read_policy_file
from tinyrl.jobs.settings import AgentSettings
from tinyrl.policies.checkpoint import save_checkpoint


def import_policy(
    *,
    source: str,
    checkpoint: str,
    agent: AgentSettings,
    vecnormalize: str | None = None,
    zoo_config: str | None = None,
) -> None:
    """Read `source` (with the RL Zoo's `vecnormalize` and `zoo_config` when they go with it) and save the
    policy it holds, with the network the config's plan declares; the metadata names every file read and
    its SHA-256."""
    companions = {key: path for key, path in (("vecnormalize", vecnormalize), ("zoo_config", zoo_config)) if path}
    data = read_policy_file(source, declared=agent["network"], companions=companions)
    if data["arch"] != agent["network"]:
        raise CheckpointError(f"{source}: the network read now, {data['arch']}, is not the plan's {agent['network']}")
    files = {"source": source, **companions}
    sha256 = {key: hashlib.sha256(Path(path).read_bytes()).hexdigest() for key, path in files.items()}
    meta = data["meta"] | {"imported_files": files, "sha256": sha256}
    save_checkpoint(checkpoint, data["arch"], data["state_dict"], meta)
