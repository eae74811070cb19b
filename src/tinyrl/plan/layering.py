"""How a config file given with `--configfile` layers over config.yaml, beyond Snakemake's own merge (its
mappings update config.yaml's, its lists replace them): a file that names `agents:` studies those agents
only (unless some file sets `only_agents`), with the recommended variants for each one's network kind
(unless some file lists `variants:`). Read by rules/common.smk before the plan, so it imports only yaml.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tinyrl.errors import ConfigError

DEFAULT_PRESET = "recommended"  # tinyrl.plan.own_policy.PRESETS


def read_layers(paths) -> list[dict]:
    """The --configfile files as written (a ConfigError names a file that is not a YAML mapping)."""
    layers = []
    for path in paths:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a config file is a YAML mapping of sections, not {type(data).__name__}")
        layers.append(data)
    return layers


def apply_layering(config: dict, layers: list[dict]) -> None:
    """The rule above, in place on the merged config."""
    named = list(dict.fromkeys(name for layer in layers for name in (layer.get("agents") or {})))
    if not named:
        return
    if not any("only_agents" in layer for layer in layers):
        config["only_agents"] = named
    if not any("variants" in layer for layer in layers):
        config["variants"] = DEFAULT_PRESET
