"""The study's plan: the validated config, its variants and what the workflow's rules need of it.

Run as `python -m tinyrl.plan.study` with the config as JSON on standard input, it prints the plan as
JSON: that is how the Snakefile gets it (tinyrl.plan.cache), without importing torch itself.
"""

from __future__ import annotations

import json
import sys

from tinyrl.errors import ConfigError
from tinyrl.families import tables_of
from tinyrl.jobs.settings import Plan, ReportSettings, check_keys
from tinyrl.plan.config import (
    agent_evaluation,
    agent_finetune,
    agent_observations,
    agent_robustness,
    agent_timing,
    config_hash,
    validate_config,
)
from tinyrl.reporting.figure_specs import FIGURES

AGENT_SETTINGS = ("env_id", "algorithm", "network", "actions")  # what every job of an agent needs to know


def report_settings(config: dict, variants: dict[str, list[dict]]) -> ReportSettings:
    """What the report states of the protocol: the settings it was run with, and the config's hash.
    `variants`: each agent's expanded variants (tinyrl.plan.config.validate_config)."""
    agents = list(variants)
    keep = (*AGENT_SETTINGS, "evaluation", "timing", "finetune")
    return {
        "evaluation": config["evaluation"],
        "timing": config["timing"],
        "finetune": config["finetune"],
        "observations": config["observations"],
        "agents": {agent: {k: v for k, v in config["agents"][agent].items() if k in keep} for agent in agents},
        "selection": config["selection"],
        # the variants whose setting was chosen on the selection episodes, as their `chosen` records say
        "chosen": [
            {"variant": spec["name"], "value": spec.get("params", {}).get(spec["chosen"]["param"]), **spec["chosen"]}
            for spec in config["variants"]
            if "chosen" in spec and set(spec.get("agents", agents)) & set(agents)
        ],
        # the recipes made from several training seeds (tinyrl.analysis.training_seeds), with how many
        "training_seeds": {
            agent: {
                v["name"]: v["training_seeds"] for v in variants[agent] if "training_seeds" in v and "seed_of" not in v
            }
            for agent in agents
        },
        "config_hash": config_hash(config),
    }


def plan_study(config: dict) -> Plan:
    """Validate the config (a ConfigError names the field) and lay out the study as plain JSON data."""
    variants = validate_config(config)  # fills the schema's defaults into config
    agents = list(variants)
    families = [variant["family"] for agent in agents for variant in variants[agent]]
    plan: Plan = {
        "agents": {
            agent: {
                "settings": {k: config["agents"][agent][k] for k in AGENT_SETTINGS},
                "pretrain": config["agents"][agent].get("pretrain"),
                "checkpoint": config["agents"][agent]["checkpoint"],
                # A file from elsewhere, with the files that go with it: the import_policy rule converts it.
                "import": config["agents"][agent].get("import"),
                "evaluation": agent_evaluation(config, agent),
                "observations": agent_observations(config, agent),
                "timing": agent_timing(config, agent),
                "finetune": agent_finetune(config, agent),
                "robustness": agent_robustness(config, agent),
                "variants": variants[agent],
            }
            for agent in agents
        },
        "tables": list(tables_of(families)),
        "figures": list(FIGURES),
        "timing": config["timing"],
        "finetune": config["finetune"],
        "report": report_settings(config, variants),
    }
    check_keys(plan, Plan, "the study plan")
    return plan


def main() -> int:
    try:
        plan = plan_study(json.load(sys.stdin))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    json.dump(plan, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
