import os
import sys

# The library is importable here even before `pip install -e .`; jobs find it through
# the scripts/tinyrl link (Snakemake puts each script's folder on sys.path).
sys.path.insert(0, os.path.join(workflow.basedir, "src"))

from snakemake.exceptions import WorkflowError
from tinyrl.errors import ConfigError
from tinyrl.plan.cache import study_plan
from tinyrl.plan.layering import apply_layering, defined_agents

# The validated study (variants expanded, defaults filled): computed once per config and library
# version and cached, so that parsing the workflow imports no torch (tinyrl.plan.cache).
try:
    # A command line that names an agent config.yaml lacks studies its new agents, with a preset of variants.
    given = [os.path.abspath(path) for path in workflow.overwrite_configfiles]
    own = [path for path in workflow.configfiles if os.path.abspath(path) not in given]
    apply_layering(config, workflow.config_settings.overwrite_config or {}, defined_agents(own))
    PLAN = study_plan(config)
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

# Single-threaded jobs claim a share of --cores proportional to the machine's cores, rounded up,
# so that whatever --cores says (8 or 3 on a 2-core laptop) no more jobs run than there are
# cores and no two jobs share one: evaluation wall time, CPU% and memory stay each variant's
# own. Jobs still run one torch thread.
try:
    LOCAL_CORES = workflow.cores
except WorkflowError:  # a cluster executor sets no total: every job is its own allocation
    LOCAL_CORES = None
CORE_SHARE = max(1, -(-LOCAL_CORES // (os.cpu_count() or 1))) if LOCAL_CORES else 1
# Timing jobs claim every local core so that no other job runs beside them; on a cluster
# they ask for a node of their own instead (profiles/slurm).
TIMING_CORES = LOCAL_CORES or 1

AGENTS = list(PLAN["agents"])  # the agents this study runs (only_agents, else all)
PAIRS = [(agent, v["name"]) for agent in AGENTS for v in PLAN["agents"][agent]["variants"]]
# The agents whose float32 policy is also played off the seed's protocol (their `robustness` settings).
ROBUST_AGENTS = [agent for agent in AGENTS if PLAN["agents"][agent]["robustness"]]
# the agents with a float32 variant: their answers are shipped and played against it (rules/deploy.smk)
DEPLOY_AGENTS = [agent for agent in AGENTS if any(v["family"] == "baseline" for v in PLAN["agents"][agent]["variants"])]
TABLES = PLAN["tables"]
FIGURES = PLAN["figures"]


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
    config. Jobs are held to mem_mb and runtime (tinyrl.jobs.budget); executors schedule by them."""
    return config.get("resources", {}).get(rule, {}).get(key, default)


def agent_section(section):
    """An input function: one section of the wildcard agent's plan, key order fixed."""
    return lambda wildcards: canonical(PLAN["agents"][wildcards.agent][section])


def pretrain_settings(wildcards):
    agent = PLAN["agents"][wildcards.agent]
    return canonical({**agent["settings"], "pretrain": agent["pretrain"]})


def checkpoint_of(agent):
    """The shipped checkpoint; the import_policy rule's conversion of a file from elsewhere; or the pretrain
    rule's output when the config sets none."""
    if PLAN["agents"][agent]["import"]:
        return f"results/{agent}/import/checkpoint.pt"
    return PLAN["agents"][agent]["checkpoint"] or f"results/{agent}/pretrain/checkpoint.pt"


def import_sources(wildcards):
    """The file from elsewhere and the files that go with it, by name (source, vecnormalize, zoo_config)."""
    return PLAN["agents"][wildcards.agent]["import"]


def baseline_evaluation(agent):
    """The evaluation of the agent's float32 variant (its baseline-family one; config validation checks
    that an agent played off the protocol has one)."""
    name = next(v["name"] for v in PLAN["agents"][agent]["variants"] if v["family"] == "baseline")
    return f"results/{agent}/{name}/evaluation.json"


def agent_checkpoint(wildcards):
    return checkpoint_of(wildcards.agent)


def compress_source(wildcards):
    """What a variant is made from: the agent's policy, or the model of the variant it names in `after`."""
    after = variant_spec(wildcards).get("after")
    if after:
        return f"results/{wildcards.agent}/{after}/model.pt"
    return agent_checkpoint(wildcards)


def variant_spec(wildcards):
    for variant in PLAN["agents"][wildcards.agent]["variants"]:
        if variant["name"] == wildcards.variant:
            return canonical(variant)
    raise WorkflowError(f"no variant {wildcards.variant!r} for agent {wildcards.agent!r} in the config")


def finetune_settings(wildcards):
    """Only variants that fine-tune depend on the fine-tuning settings, so editing them reruns only those."""
    if variant_spec(wildcards)["params"].get("finetune_steps"):
        return canonical(PLAN["agents"][wildcards.agent]["finetune"])
    return {}


def agent_variants(wildcards):
    """The variants timed: a recipe's further training seeds (`seed_of`) share its architecture, so only
    its first is."""
    return [variant["name"] for variant in PLAN["agents"][wildcards.agent]["variants"] if "seed_of" not in variant]


def agent_variant_files(name):
    """An input function: the file `name` of every variant of the wildcard agent, in the config's order."""
    return lambda wildcards: [f"results/{wildcards.agent}/{variant}/{name}" for variant in agent_variants(wildcards)]


def per_variant(pattern):
    return [pattern.format(agent=agent, variant=variant) for agent, variant in PAIRS]
