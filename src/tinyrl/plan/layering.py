"""How a study given on the command line (`--configfile`, `--config`) layers over config.yaml, beyond
Snakemake's own merge (mappings update config.yaml's, lists replace them): when it names an agent that
config.yaml does not define (your own policy), it studies its new agents only (unless it sets
`only_agents`), with the recommended variants for each one's network kind (unless it sets `variants`).
Naming one of config.yaml's agents, to change its settings, changes nothing else. Read by rules/common.smk
before the plan, so it imports only yaml.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tinyrl.errors import ConfigError

DEFAULT_PRESET = "recommended"  # tinyrl.plan.own_policy.PRESETS


def defined_agents(paths) -> set[str]:
    """The agents the workflow's own config files define (a ConfigError names a file that is no mapping)."""
    agents: set[str] = set()
    for path in paths:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a config file is a YAML mapping of sections, not {type(data).__name__}")
        agents |= set(data.get("agents") or {})
    return agents


def apply_layering(config: dict, given: dict, defined: set[str]) -> None:
    """The rule above, in place on the merged config. `given`: what the command line gave (its config files
    and --config values, merged); `defined`: the agents of the workflow's own config files."""
    new = [name for name in (given.get("agents") or {}) if name not in defined]
    if not new:
        return
    if "only_agents" not in given:
        config["only_agents"] = new
    if "variants" not in given:
        config["variants"] = DEFAULT_PRESET
