"""The study's plan for the Snakefile, cached, so that parsing the workflow imports no torch.

Validating the config needs the families, networks and trainers (torch and friends: 5-10 s of
imports on a small machine). The Snakefile instead asks for the plan here: a JSON file under
`.snakemake/tinyrl-plans/`, keyed by the config and by the content of the library's sources and
schema, made on a miss by `python -m tinyrl.plan.study` in a child process. A no-op rerun reads one
small JSON file. This module imports only the standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tinyrl.errors import ConfigError
from tinyrl.jobs.settings import Plan, check_keys

LIBRARY = Path(__file__).resolve().parents[1]  # the tinyrl package: its code and its schema make the plan
CACHE_DIR = Path(".snakemake") / "tinyrl-plans"
KEEP = 20  # plans kept in the cache; older ones are removed


def _fingerprint(config: dict) -> str:
    # Key order kept: the order of agents and variants is the tables' order.
    digest = hashlib.sha256(json.dumps(config, default=str).encode())
    # The plan holds what checkpoint files say of their agents, and which RL Zoo files go with them
    # (tinyrl.plan.agents): a replaced file, or a file added to or removed from the folders the Zoo's files
    # are looked for in (which changes the folder's mtime), is a new plan.
    for agent in (config.get("agents") or {}).values():
        path = agent.get("checkpoint") if isinstance(agent, dict) else None
        if not isinstance(path, str):
            continue
        file = Path(path)
        env_folder = str(agent.get("env_id", "")).split("/")[-1]
        for candidate in (file, file.parent, file.parent / file.stem, file.parent / env_folder):
            if candidate.exists():
                stat = candidate.stat()
                digest.update(f"{candidate}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for folder, pattern in ((LIBRARY, "**/*.py"), (LIBRARY, "**/*.yaml")):
        for path in sorted(folder.glob(pattern)):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _compute(config: dict) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(LIBRARY.parent), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tinyrl.plan.study"],
        input=json.dumps(config, default=str),
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode == 2:
        raise ConfigError(done.stderr.strip())
    if done.returncode != 0:
        raise RuntimeError(f"planning the study failed (python -m tinyrl.plan.study):\n{done.stderr}")
    return done.stdout


def study_plan(config: dict, cache_dir: Path = CACHE_DIR) -> Plan:
    """The plan of tinyrl.plan.study.plan_study for this config, from the cache when the config and library are
    unchanged. Raises ConfigError, naming the field, for an invalid config."""
    path = cache_dir / f"{_fingerprint(config)}.json"
    if path.exists():
        return _checked(json.loads(path.read_text()), path)
    text = _compute(config)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=cache_dir, suffix=".tmp", delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)  # whole or absent, even with two workflows planning at once
    for old in sorted(cache_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
        old.unlink(missing_ok=True)
    return _checked(json.loads(text), path)


def _checked(plan: dict, path: Path) -> Plan:
    check_keys(plan, Plan, f"the study plan ({path})")
    return plan
