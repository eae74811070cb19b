"""Configuration: schema validation, per-family parameter checks and sweep expansion.

Errors name the offending field as a path, e.g. ``variants[2].params.engine``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tinyrl.algorithms import ALGORITHMS, finetunable, get_algorithm
from tinyrl.compression.base import BASELINE, resolve_layers
from tinyrl.compression.finetune import SEEDS_PER_ROUND, SEEDS_PER_TRAINING_SEED
from tinyrl.errors import CheckpointError, ConfigError
from tinyrl.families import get_family
from tinyrl.plan.agents import resolve_agents
from tinyrl.plan.own_policy import PRESETS, preset_for_agents
from tinyrl.policies.actions import ACTION_MODES
from tinyrl.policies.networks import OUTPUT_KINDS, build_network

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"
VARIANT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# results/<agent>/<name> folders that are not variants: a variant of that name would share them
AGENT_FOLDERS = frozenset({"deploy", "timing", "import", "pretrain"})


def _field_path(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _check_schema(instance: Any, schema: dict, prefix: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        path = [*([prefix] if prefix else []), *err.absolute_path]
        message, allowed = err.message, ""
        if err.validator == "enum":
            allowed = f" (allowed: {', '.join(map(str, err.validator_value))})"
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = err.schema.get("properties", {})
            unknown = sorted(set(err.instance) - set(known))
            path.append(unknown[0])
            message = "unknown key"
            allowed = f" (allowed: {', '.join(sorted(known)) or 'none'})"
        where = _field_path(path)
        raise ConfigError(f"config field {where}: {message}{allowed}")


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    return yaml.safe_load(path.read_text())


def name_part(value: Any) -> str:
    """How a swept value reads in a variant name: [64, 64] -> 64x64, {fc1: 0.3} -> fc1-0.3."""
    if isinstance(value, list):
        return "x".join(map(name_part, value))
    if isinstance(value, dict):
        return "_".join(f"{key}-{name_part(item)}" for key, item in value.items())
    return str(value)


def _placeholders(name: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(name) if field}


def _network_or_none(agent_cfg: dict):
    """The agent's network built from the config's spec, or None if the spec is incomplete
    (then the checkpoint's architecture is checked when it loads)."""
    try:
        return build_network(agent_cfg["network"])
    except (KeyError, TypeError, ValueError, CheckpointError):
        return None


def _check_layer_names(model, agent: str, params: dict, where: str) -> None:
    """Layer and part names must exist in the agent's network."""
    names = [*(params.get("layers") or []), *params.get("amounts", {})]
    if not names or model is None:
        return
    field = "layers" if params.get("layers") else "amounts"
    try:
        resolve_layers(model, names)
    except ValueError as exc:
        raise ConfigError(f"config field {where}.{field}: for agent {agent!r}: {exc}") from None


def _check_rl_finetuning(agent_cfg: dict, agent: str, params: dict, where: str) -> None:
    if (
        params.get("finetune_with") == "rl"
        and params.get("finetune_steps")
        and agent_cfg["algorithm"] not in finetunable()
    ):
        raise ConfigError(
            f"config field {where}.finetune_with: agent {agent!r} ({agent_cfg['algorithm']}) has no RL "
            f"fine-tuning (available for: {', '.join(finetunable())}); use distillation or list the "
            f"variant's agents"
        )


def expand_variants(config: dict) -> dict[str, list[dict]]:
    """Expand sweeps; return {agent: [variant, ...]} with each variant's full, default-filled recipe,
    for the agents the study runs (`only_agents`, else all)."""
    active = config.get("only_agents") or list(config["agents"])
    for i, agent in enumerate(active):
        if agent not in config["agents"]:
            raise ConfigError(
                f"config field only_agents[{i}]: unknown agent {agent!r} (allowed: {', '.join(config['agents'])})"
            )
    by_agent: dict[str, list[dict]] = {agent: [] for agent in active}
    networks = {agent: _network_or_none(cfg) for agent, cfg in config["agents"].items()}  # built once, for names
    seen: dict[tuple[str, str], str] = {}
    for i, spec in enumerate(config["variants"]):
        where = f"variants[{i}]"
        family = get_family(spec["family"])
        sweep = spec.get("sweep", {})
        holes = _placeholders(spec["name"])
        if holes != set(sweep):
            raise ConfigError(
                f"config field {where}.name: {spec['name']!r} must contain exactly one placeholder per "
                f"swept parameter (sweep keys: {sorted(sweep) or 'none'}, placeholders: {sorted(holes) or 'none'})"
            )
        overlap = set(sweep) & set(spec.get("params", {}))
        if overlap:
            raise ConfigError(f"config field {where}.sweep: {sorted(overlap)} also set in {where}.params")
        agents = spec.get("agents", list(config["agents"]))
        for agent in agents:
            if agent not in config["agents"]:
                raise ConfigError(
                    f"config field {where}.agents: unknown agent {agent!r} (allowed: {', '.join(config['agents'])})"
                )
        agents = [agent for agent in agents if agent in by_agent]
        keys = list(sweep)
        for values in itertools.product(*(sweep[k] for k in keys)):
            point = dict(zip(keys, values))
            params = {**family.defaults, **spec.get("params", {}), **point}
            _check_schema(params, family.param_schema, f"{where}.params")
            chosen = spec.get("chosen")
            if chosen and params.get(chosen["param"]) not in chosen["candidates"]:
                raise ConfigError(
                    f"config field {where}.chosen: params.{chosen['param']} = {params.get(chosen['param'])!r} "
                    f"is not one of its candidates {chosen['candidates']}"
                )
            for agent in agents:
                _check_layer_names(networks[agent], agent, params, f"{where}.params")
                _check_rl_finetuning(config["agents"][agent], agent, params, f"{where}.params")
            name = spec["name"].format(**{key: name_part(value) for key, value in point.items()})
            if not VARIANT_NAME.match(name):
                raise ConfigError(f"config field {where}.name: expanded name {name!r} is not a valid file name")
            if name in AGENT_FOLDERS:
                raise ConfigError(
                    f"config field {where}.name: {name!r} is the name of a folder every agent's results have "
                    f"(reserved: {', '.join(sorted(AGENT_FOLDERS))})"
                )
            for agent in agents:
                if (agent, name) in seen:
                    raise ConfigError(
                        f"config field {where}.name: variant {name!r} for agent {agent!r} is already "
                        f"defined by {seen[(agent, name)]}"
                    )
                seen[(agent, name)] = where
                variant = {"name": name, "family": family.name, "table": family.table.name, "params": params}
                if "after" in spec:
                    _check_after(spec["after"], family, agent, by_agent[agent], f"{where}.after")
                    variant["after"] = spec["after"]  # only when set: other variants' recipes stay as they were
                by_agent[agent].append(variant)
                for replica in _training_seed_replicas(config, agent, spec, variant, where):
                    if (agent, replica["name"]) in seen:
                        raise ConfigError(
                            f"config field {where}.seeds: training seed variant {replica['name']!r} for agent "
                            f"{agent!r} is already defined by {seen[(agent, replica['name'])]}"
                        )
                    seen[(agent, replica["name"])] = where
                    by_agent[agent].append(replica)
    return by_agent


def training_seed_name(variant: str, training_seed: int) -> str:
    return f"{variant}_seed{training_seed}"


def _training_seed_replicas(config: dict, agent: str, spec: dict, variant: dict, where: str) -> list[dict]:
    """A trained variant made from several training seeds (the variant's `seeds`, else finetune.seeds):
    the variant itself is seed 0 and records how many there are; seeds 1.. are variants of their own
    (made and played, not timed: they share its architecture), named <name>_seed<k>."""
    trained = bool(variant["params"].get("finetune_steps"))
    if "seeds" in spec and spec["seeds"] > 1 and not trained:
        raise ConfigError(
            f"config field {where}.seeds: variant {variant['name']!r} does not train (no finetune_steps), so "
            f"every training seed would make the same file; set seeds only on trained variants"
        )
    count = spec.get("seeds", agent_finetune(config, agent)["seeds"]) if trained else 1
    if count == 1:
        return []
    variant["training_seeds"] = count
    return [
        {**variant, "name": training_seed_name(variant["name"], k), "seed_of": variant["name"], "training_seed": k}
        for k in range(1, count)
    ]


def _check_after(base: str, family, agent: str, earlier: list[dict], where: str) -> None:
    """A variant made from another variant's model: a self-contained program, made from one that comes first."""
    if not family.self_contained:
        raise ConfigError(
            f"config field {where}: family {family.name!r} saves weights for the agent's own architecture, so "
            f"it cannot be made from another variant's model (only a family whose file holds a whole program can)"
        )
    if base not in {variant["name"] for variant in earlier}:
        raise ConfigError(
            f"config field {where}: no variant {base!r} for agent {agent!r} before this one "
            f"(the variant it is made from must come earlier in `variants`)"
        )


def _check_hyperparameters(algorithm: str, settings: dict, field: str) -> None:
    """Every key must be a hyperparameter of the algorithm's trainer (env and network come from the agent)."""
    try:
        known = get_algorithm(algorithm).hyperparameter_names() - {"env_id", "hidden"}
    except KeyError:
        raise ConfigError(f"config field {field}: no trainer for algorithm {algorithm!r} (imported file?)") from None
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(
            f"config field {field}: unknown hyperparameter(s) {unknown} (allowed: {', '.join(sorted(known))})"
        )


def _check_pretrain(config: dict) -> None:
    for agent, agent_cfg in config["agents"].items():
        if "pretrain" in agent_cfg:
            _check_hyperparameters(agent_cfg["algorithm"], agent_cfg["pretrain"], f"agents.{agent}.pretrain")
    for algorithm, overrides in config.get("finetune", {}).get("rl_hyperparameters", {}).items():
        _check_hyperparameters(algorithm, overrides, f"finetune.rl_hyperparameters.{algorithm}")


def _check_action_modes(config: dict) -> None:
    for agent, agent_cfg in config["agents"].items():
        kind = OUTPUT_KINDS[agent_cfg["network"]["kind"]]
        if agent_cfg["actions"] not in ACTION_MODES[kind]:
            raise ConfigError(
                f"config field agents.{agent}.actions: {agent_cfg['actions']!r} does not apply to a "
                f"{agent_cfg['network']['kind']} network (allowed: {', '.join(ACTION_MODES[kind])})"
            )


def with_schema_defaults(section: dict | None, section_schema: dict) -> dict:
    """The section with every field it leaves out set to the schema's default (one level deep)."""
    defaults = {key: prop["default"] for key, prop in section_schema["properties"].items() if "default" in prop}
    return {**defaults, **(section or {})}


def finetune_settings(section: dict | None = None) -> dict:
    """The fine-tuning settings: the config's `finetune` section over the schema's defaults."""
    return with_schema_defaults(section, load_schema()["properties"]["finetune"])


def _check_finetune_seeds(config: dict, variants: dict[str, list[dict]]) -> None:
    """Fine-tuning must never play the episodes a variant is then evaluated on: the seed block it resets
    environments with ([finetune.seed, finetune.seed + 1000 x rounds): distillation's on-policy episodes and
    RL's training environments) must not hold an evaluation seed of an agent with a fine-tuned variant.
    A variant that sets its own `rounds` (iterative pruning) fine-tunes in that many; the float32 policy's
    own episodes (`teacher_episodes`) take the block after the rounds'."""
    for agent, agent_variants in variants.items():
        tuned = [variant for variant in agent_variants if variant["params"].get("finetune_steps")]
        if not tuned:
            continue
        settings = agent_finetune(config, agent)
        start = settings["seed"]
        rounds = max(variant["params"].get("rounds", settings["rounds"]) for variant in tuned)
        blocks = rounds + (1 if settings["teacher_episodes"] else 0)
        several = any(variant.get("training_seeds", 1) > 1 for variant in tuned)
        if several and SEEDS_PER_ROUND * blocks > SEEDS_PER_TRAINING_SEED:  # the seeds' blocks would meet
            raise ConfigError(
                f"config field finetune.rounds: agent {agent!r}'s fine-tuning resets environments in {blocks} "
                f"blocks of {SEEDS_PER_ROUND} seeds, more than the {SEEDS_PER_TRAINING_SEED} one training seed "
                f"owns; use fewer rounds"
            )
        evaluation = agent_evaluation(config, agent)
        seeds = range(evaluation["seed"], evaluation["seed"] + evaluation["episodes"])
        for k in sorted({variant.get("training_seed", 0) for variant in tuned}):
            first = start + SEEDS_PER_TRAINING_SEED * k
            block = range(first, first + SEEDS_PER_ROUND * blocks)
            if _overlap(block, seeds):
                raise ConfigError(
                    f"config field finetune.seed: fine-tuning (training seed {k}) resets environments with seeds "
                    f"{block.start}-{block.stop - 1} (finetune.seed + {SEEDS_PER_TRAINING_SEED} x training seed + "
                    f"{SEEDS_PER_ROUND} per round), which include agent {agent!r}'s evaluation seeds "
                    f"{seeds.start}-{seeds.stop - 1}: a fine-tuned variant would be evaluated on episodes it "
                    f"trained on; move finetune.seed (or evaluation.seed) so the two do not overlap"
                )


def _overlap(a: range, b: range) -> bool:
    return a.start < b.stop and b.start < a.stop


def _check_selection(config: dict, agents: list[str]) -> None:
    """No choice is made on the evaluation seeds: the selection episodes (and each trainer's own selection
    episodes, `selection_seed` + i) never meet an agent's evaluation seeds (a variant's
    `chosen` value is checked against its candidates where its parameters are, in expand_variants)."""
    chosen_from = range(config["selection"]["seed"], config["selection"]["seed"] + config["selection"]["episodes"])
    for agent in agents:
        evaluation = agent_evaluation(config, agent)
        seeds = range(evaluation["seed"], evaluation["seed"] + evaluation["episodes"])
        blocks = {"selection.seed": chosen_from}
        pretrain = config["agents"][agent].get("pretrain")
        if pretrain is not None and config["agents"][agent].get("algorithm") in ALGORITHMS:
            defaults = ALGORITHMS[config["agents"][agent]["algorithm"]].hyperparameter_defaults()
            start = pretrain.get("selection_seed", defaults.get("selection_seed"))
            if start is not None:
                count = pretrain.get("eval_episodes", defaults.get("eval_episodes", 1))
                blocks[f"agents.{agent}.pretrain.selection_seed"] = range(start, start + count)
        for field, block in blocks.items():
            if _overlap(block, seeds):
                raise ConfigError(
                    f"config field {field}: its episodes (seeds {block.start}-{block.stop - 1}) include agent "
                    f"{agent!r}'s evaluation seeds {seeds.start}-{seeds.stop - 1}: a setting chosen there would be "
                    f"chosen on the episodes it is then judged on; move one of the two"
                )


def validate_config(config: dict) -> dict[str, list[dict]]:
    """Validate against the JSON schema and the families' parameter schemas; return the expanded variants.
    Fills in place the schema's defaults into the config's `finetune` and `evaluation` sections, and the
    agents' settings their checkpoint files supply (tinyrl.plan.agents)."""
    schema = load_schema()
    preset = config.get("variants") if isinstance(config.get("variants"), str) else None
    if preset is not None:  # `variants: recommended`: checked here, made per agent once its network is known
        if preset not in PRESETS:
            raise ConfigError(
                f"config field variants: {preset!r} is neither a list nor a preset ({', '.join(PRESETS)})"
            )
        config["variants"] = [{"name": "fp32", "family": "baseline"}]  # stands in for the schema's check
    _check_schema(config, schema, "")
    resolve_agents(config)  # algorithm, network and actions read off files that say them
    if preset is not None:
        config["variants"] = preset_for_agents(preset, config)
    config["finetune"] = with_schema_defaults(config.get("finetune"), schema["properties"]["finetune"])
    config["evaluation"] = with_schema_defaults(config["evaluation"], schema["properties"]["evaluation"])
    config["selection"] = with_schema_defaults(config.get("selection"), schema["properties"]["selection"])
    config["timing"] = with_schema_defaults(config["timing"], schema["properties"]["timing"])
    _check_pretrain(config)
    _check_action_modes(config)
    variants = expand_variants(config)
    _check_finetune_seeds(config, variants)
    _check_selection(config, list(variants))
    _check_robustness(config, variants)
    return variants


def agent_evaluation(config: dict, agent: str) -> dict:
    """The evaluation settings for one agent: the top-level ones with the agent's overrides."""
    return {**config["evaluation"], **config["agents"][agent].get("evaluation", {})}


def agent_finetune(config: dict, agent: str) -> dict:
    """The fine-tuning settings for one agent: the top-level ones with the agent's overrides."""
    return {**config["finetune"], **config["agents"][agent].get("finetune", {})}


@cache
def _robustness_defaults() -> dict:
    """The schema's defaults of an agent's `robustness` section, read once per process (not once per agent)."""
    section = load_schema()["properties"]["agents"]["additionalProperties"]["properties"]["robustness"]
    return with_schema_defaults(None, section)


def agent_robustness(config: dict, agent: str) -> dict | None:
    """The robustness check's settings for one agent (tinyrl.evaluation.robustness), with the evaluation's seeds,
    parallel episodes and step limit; None when it plays no episodes."""
    settings = {**_robustness_defaults(), **config["agents"][agent].get("robustness", {})}
    if not settings["episodes"]:
        return None
    evaluation = agent_evaluation(config, agent)
    keep = ("seed", "num_envs", "max_episode_steps")
    return settings | {key: evaluation[key] for key in keep if key in evaluation}


def _check_robustness(config: dict, variants: dict[str, list[dict]]) -> None:
    """Played only under the seed's Atari protocol, and compared with the agent's float32 evaluation."""
    for agent, agent_variants in variants.items():
        agent_cfg = config["agents"][agent]
        if not agent_cfg.get("robustness", {}).get("episodes"):
            continue
        if not agent_cfg["env_id"].startswith("ALE/"):
            raise ConfigError(
                f"config field agents.{agent}.robustness: sticky actions and no-op starts apply to the seed's "
                f"Atari protocol (ALE/ env ids) only, not {agent_cfg['env_id']!r}"
            )
        if not any(variant["family"] == BASELINE for variant in agent_variants):
            raise ConfigError(
                f"config field agents.{agent}.robustness: the agent has no baseline variant, whose seed-protocol "
                f"evaluation the robustness check is compared with"
            )


def agent_observations(config: dict, agent: str) -> dict:
    """The observation-set settings for one agent: the top-level ones with the agent's overrides."""
    return {**config["observations"], **config["agents"][agent].get("observations", {})}


def agent_timing(config: dict, agent: str) -> dict:
    """The timing settings for one agent: the top-level ones with the agent's overrides."""
    return {**config["timing"], **config["agents"][agent].get("timing", {})}


def config_hash(config: dict) -> str:
    """Short stable hash of a config, for provenance."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]
