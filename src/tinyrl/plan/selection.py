"""Choosing a variant's setting on the selection episodes, never on the evaluation ones.

A setting chosen by looking at returns (how many fine-tuning steps bring a pruned policy back) must be
chosen on episodes the study then does not judge it on: the config's `selection` seeds, which validation
keeps apart from every evaluation seed. `selection_study` turns a study config into one that plays the
candidates on those seeds (the workflow's own jobs, with their portable numerics and paired statistics),
and `pick` reads its summary with one rule: the smallest candidate whose mean return came within the
agent's non-inferiority margin of float32's on the same seeds, else the best one. The variant then records
the choice under `chosen`, and the report's protocol states it. `tools/select_setting.py` runs it.
"""

from __future__ import annotations

import copy

import pandas as pd

from tinyrl.compression.base import BASELINE
from tinyrl.plan.config import load_schema, name_part, with_schema_defaults

# Timing is not what is chosen on: the fewest passes the workflow's timing job accepts.
MINIMAL_TIMING = {
    "rounds": 1,
    "passes": 1,
    "warmup": 0,
    "latency": {"passes": 1, "warmup": 0},
    "backends": ["torch-eager"],
}


def candidate_name(variant: str, param: str, value) -> str:
    return f"{variant}__{param}_{name_part(value)}"


def selection_study(config: dict, agent: str, variants: list[str], param: str, candidates: list) -> dict:
    """The config of a study that plays float32 and each named variant at every candidate value of `param`,
    for `agent` only, on the selection seeds (as its evaluation seeds; the evaluation seeds become the
    selection block, so validation still finds the two apart). `config` is the study's, as layered."""
    study = copy.deepcopy(config)
    specs = {spec["name"]: spec for spec in config["variants"]}
    missing = [name for name in variants if name not in specs]
    if missing:
        raise KeyError(f"no variant named {missing} in the config's variants (a swept name cannot be chosen on)")
    if any(specs[name].get("sweep") or specs[name].get("after") for name in variants):
        raise ValueError("a variant chosen on must be a single variant made from float32 (no sweep, no after)")
    selection = with_schema_defaults(config.get("selection"), load_schema()["properties"]["selection"])
    evaluation = study.setdefault("evaluation", {})
    study["selection"] = {"seed": evaluation.get("seed", 0), "episodes": 1}
    evaluation["seed"] = selection["seed"]
    agent_cfg = study["agents"][agent]
    agent_cfg["evaluation"] = {**agent_cfg.get("evaluation", {}), "episodes": selection["episodes"]}
    agent_cfg["timing"] = {**agent_cfg.get("timing", {}), **MINIMAL_TIMING}
    agent_cfg.pop("robustness", None)
    study["only_agents"] = [agent]
    baseline = next(spec for spec in config["variants"] if spec["family"] == BASELINE)
    study["variants"] = [{**baseline, "agents": [agent]}]
    for name in variants:
        spec = {k: v for k, v in specs[name].items() if k != "chosen"}
        for value in candidates:
            params = {**spec.get("params", {}), param: value}
            study["variants"].append(
                spec | {"name": candidate_name(name, param, value), "params": params, "agents": [agent]}
            )
    return study


def pick(summary: pd.DataFrame, variants: list[str], param: str, candidates: list) -> list[dict]:
    """Per variant, the smallest candidate whose paired mean difference from float32 on the selection
    episodes is within the margin (reward_diff_mean >= -margin), else the one with the best mean; with every
    candidate's mean and difference, for the record."""
    choices = []
    for name in variants:
        rows = []
        for value in sorted(candidates):
            row = summary[summary["variant"] == candidate_name(name, param, value)]
            if row.empty or row["status"].iloc[0] != "ok":
                rows.append({"value": value, "status": "failed"})
                continue
            row = row.iloc[0]
            rows.append(
                {
                    "value": value,
                    "status": "ok",
                    "reward_mean": float(row["reward_mean"]),
                    "reward_diff_mean": float(row["reward_diff_mean"]),
                    "margin": float(row["noninferiority_margin"]),
                }
            )
        played = [r for r in rows if r["status"] == "ok"]
        within = [r for r in played if r["reward_diff_mean"] >= -r["margin"]]
        if within:
            chosen, rule = within[0], "the smallest candidate within the margin of float32's mean"
        elif played:
            chosen, rule = max(played, key=lambda r: r["reward_mean"]), "none within the margin: the best mean"
        else:
            chosen, rule = None, "every candidate failed"
        choices.append(
            {"variant": name, "param": param, "value": chosen and chosen["value"], "rule": rule, "candidates": rows}
        )
    return choices
