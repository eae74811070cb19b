import os
import sys

# The library is importable here even before `pip install -e .`; jobs find it through
# the scripts/tinyrl link (Snakemake puts each script's folder on sys.path).
sys.path.insert(0, os.path.join(workflow.basedir, "src"))

from snakemake.exceptions import WorkflowError
from tinyrl.aggregate import table_names
from tinyrl.config import agent_evaluation, agent_observations, agent_timing, validate_config
from tinyrl.errors import ConfigError
from tinyrl.figures import FIGURES

try:
    VARIANTS = validate_config(config)
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

# Single-threaded jobs claim a share of --cores proportional to the machine's cores, so that
# with --cores above the core count (say 8 on a 2-core laptop) no two jobs share a core:
# evaluation wall time, CPU% and memory stay each variant's own. Jobs still run one torch thread.
try:
    LOCAL_CORES = workflow.cores
except WorkflowError:  # a cluster executor sets no total: every job is its own allocation
    LOCAL_CORES = None
CORE_SHARE = max(1, LOCAL_CORES // (os.cpu_count() or 1)) if LOCAL_CORES else 1
# Timing jobs claim every local core so that no other job runs beside them; on a cluster
# they ask for a node of their own instead (profiles/slurm).
TIMING_CORES = LOCAL_CORES or 1

AGENTS = list(VARIANTS)  # the agents this study runs (only_agents, else all)
PAIRS = [(agent, v["name"]) for agent in AGENTS for v in VARIANTS[agent]]
TABLES = table_names(v["table"] for variants in VARIANTS.values() for v in variants)


wildcard_constraints:
    agent="[A-Za-z0-9_]+",
    variant="[A-Za-z0-9_.-]+",


def canonical(value):
    """Sort dict keys recursively: Snakemake compares params by repr, so key order must not matter."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def budget(rule, key, default):
    """A rule's declared resource (mem_mb, runtime in minutes, gpu), overridable under `resources:` in the
    config. Jobs are held to mem_mb and runtime (tinyrl.budget); executors schedule by them."""
    return config.get("resources", {}).get(rule, {}).get(key, default)


def settings(section):
    return canonical(config[section])


def evaluation_settings(wildcards):
    return canonical(agent_evaluation(config, wildcards.agent))


def timing_settings(wildcards):
    return canonical(agent_timing(config, wildcards.agent))


def observation_settings(wildcards):
    return canonical(agent_observations(config, wildcards.agent))


def agent_settings(wildcards):
    """What jobs need to know of an agent; the checkpoint path travels as an input instead."""
    cfg = config["agents"][wildcards.agent]
    return canonical({k: cfg[k] for k in ("env_id", "algorithm", "network", "actions")})


def pretrain_settings(wildcards):
    cfg = config["agents"][wildcards.agent]
    return canonical({k: cfg[k] for k in ("env_id", "algorithm", "network", "actions", "pretrain")})


def checkpoint_of(agent):
    """The shipped checkpoint, or the pretrain rule's output when the config sets none."""
    return config["agents"][agent]["checkpoint"] or f"results/{agent}/pretrain/checkpoint.pt"


def agent_checkpoint(wildcards):
    return checkpoint_of(wildcards.agent)


def variant_spec(wildcards):
    for variant in VARIANTS[wildcards.agent]:
        if variant["name"] == wildcards.variant:
            return canonical(variant)
    raise WorkflowError(f"no variant {wildcards.variant!r} for agent {wildcards.agent!r} in the config")


def finetune_settings(wildcards):
    """Only variants that fine-tune depend on the fine-tuning settings, so editing them reruns only those."""
    if variant_spec(wildcards)["params"].get("finetune_steps"):
        return canonical(config.get("finetune", {}))
    return {}


def per_variant(pattern):
    return [pattern.format(agent=agent, variant=variant) for agent, variant in PAIRS]
