"""A recipe, not one lucky file: a trained variant made from several training seeds (tinyrl.plan.config), each
played on float32's episode seeds, judged as one.

Seed 0 is the variant itself (its file is the one sized, timed and shipped); seeds 1.. are the variants
<name>_seed<k> (`seed_of` names the recipe). The summary keeps one row per recipe, whose reward columns and
verdict pool every seed that played (the two-level bootstrap of tinyrl.statistics.inference over seeds and
episodes), with the lowest and highest seed's mean beside them; the training-seeds table keeps each file's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tinyrl.compression.base import BASELINE
from tinyrl.statistics.inference import (
    BETTER,
    INCONCLUSIVE,
    NON_INFERIOR,
    noninferiority_verdict,
    pooled_paired_difference,
    summarize_returns_over_seeds,
)

nan = float("nan")

# Each file of a recipe made from several training seeds: its own reward and its own paired verdict.
SEED_TABLE_COLUMNS = [
    "agent",
    "variant",
    "training_seed",
    "file_variant",
    "status",
    "reason",
    "reward_mean",
    "reward_diff_mean",
    "reward_diff_ci_low",
    "reward_diff_ci_high",
    "paired_episodes",
    "verdict",
]


def seed_members(df: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """Per recipe made from several training seeds, (agent, variant): the variant names of its files in
    seed order, the recipe itself first."""
    members: dict[tuple[str, str], list[str]] = {}
    for agent, variant, seeds, seed_of in zip(df["agent"], df["variant"], df["training_seeds"], df["seed_of"]):
        if seeds > 1 and not seed_of:
            members[(agent, variant)] = [variant]
    ordered = df[df["seed_of"] != ""].sort_values("training_seed")
    for agent, variant, seed_of in zip(ordered["agent"], ordered["variant"], ordered["seed_of"]):
        members[(agent, seed_of)].append(variant)
    return members


def training_seed_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per file of every recipe made from several training seeds, with its own paired comparison
    (the columns of tinyrl.analysis.aggregate.paired_columns, before pooling)."""
    rows = df.set_index(["agent", "variant"])
    records = []
    for (agent, recipe), names in seed_members(df).items():
        for name in names:
            row = rows.loc[(agent, name)]
            records.append(
                {
                    "agent": agent,
                    "variant": recipe,
                    "training_seed": int(row["training_seed"]),
                    "file_variant": name,
                    **{column: row[column] for column in SEED_TABLE_COLUMNS[4:]},
                }
            )
    return pd.DataFrame(records, columns=SEED_TABLE_COLUMNS)


def pooled_returns(df: pd.DataFrame, episodes: dict[tuple[str, str], dict]) -> dict[tuple[str, str], list]:
    """Per (agent, variant) that played: the returns of each of its training seeds that played (one list
    for a variant made from one seed)."""
    members = seed_members(df)
    ok = set(zip(df.loc[df["status"] == "ok", "agent"], df.loc[df["status"] == "ok", "variant"]))
    return {
        (agent, variant): [
            episodes[(agent, name)]["returns"]
            for name in members.get((agent, variant), [variant])
            if (agent, name) in ok
        ]
        for agent, variant in ok
    }


def pool_training_seeds(
    df: pd.DataFrame,
    episodes: dict[tuple[str, str], dict],
    comparison: dict[str, dict],
    ranges: dict[str, tuple[float, float]],
    returns: dict[tuple[str, str], list] | None = None,
) -> pd.DataFrame:
    """The summary's rows, one per recipe: the further training seeds' rows dropped, and a recipe made
    from several seeds given the reward statistics and the paired verdict of all its seeds that played.
    A recipe with a seed that failed is at best inconclusive: the recipe does not reliably make a policy.

    `df` holds every file's paired columns (tinyrl.analysis.aggregate.paired_columns); `episodes[(agent, variant)]`
    its episode seeds and returns; `ranges` each agent's return range (tinyrl.analysis.aggregate.return_ranges);
    `returns`: pooled_returns(df, episodes), when the caller has them."""
    members = seed_members(df)
    returns = pooled_returns(df, episodes) if returns is None else returns
    status = dict(zip(zip(df["agent"], df["variant"]), df["status"]))
    baselines = df[df["family"] == BASELINE].groupby("agent")["variant"].first()
    out = df[df["seed_of"] == ""].copy()
    out["training_seeds_failed"] = 0
    out["seed_reward_low"] = nan
    out["seed_reward_high"] = nan
    for index, agent, variant in zip(out.index, out["agent"], out["variant"]):
        names = members.get((agent, variant))
        if not names:
            continue
        out.loc[index, "training_seeds_failed"] = sum(status[(agent, name)] != "ok" for name in names)
        played = returns.get((agent, variant))
        if not played or agent not in baselines:
            continue
        settings = comparison[agent]
        means = [float(np.mean(seed)) for seed in played]
        reward = summarize_returns_over_seeds(played, settings["bootstrap_samples"], settings["confidence"])
        diff = pooled_paired_difference(
            played,
            episodes[(agent, baselines[agent])]["returns"],
            settings["bootstrap_samples"],
            settings["confidence"],
            return_range=ranges.get(agent),
        )
        verdict = noninferiority_verdict(
            diff["ci_low"],
            diff["ci_high"],
            out.loc[index, "noninferiority_margin"],
            diff["episodes"],
            settings["min_paired_episodes"],
        )
        if out.loc[index, "training_seeds_failed"] and verdict in (BETTER, NON_INFERIOR):
            verdict = INCONCLUSIVE
        out.loc[index, ["seed_reward_low", "seed_reward_high"]] = [min(means), max(means)]
        out.loc[index, ["reward_mean", "reward_iqm", "reward_std", "reward_ci_low", "reward_ci_high", "episodes"]] = [
            reward["mean"],
            reward["iqm"],
            reward["std"],
            reward["ci_low"],
            reward["ci_high"],
            reward["episodes"],
        ]
        out.loc[index, ["reward_diff_mean", "reward_diff_ci_low", "reward_diff_ci_high", "reward_diff_method"]] = [
            diff["mean"],
            diff["ci_low"],
            diff["ci_high"],
            diff["method"],
        ]
        out.loc[index, ["paired_episodes", "verdict"]] = [diff["episodes"], verdict]
    return out.drop(columns=["seed_of", "training_seed"])
