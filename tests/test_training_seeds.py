"""A recipe made from several training seeds is judged as one: its row pools every seed that played."""

import numpy as np
import pandas as pd
import pytest

from tinyrl.analysis.aggregate import paired_columns
from tinyrl.analysis.answers import verdict_text
from tinyrl.analysis.training_seeds import pool_training_seeds, pooled_returns, seed_members, training_seed_table
from tinyrl.statistics.inference import INCONCLUSIVE, NON_INFERIOR

EPISODES = 20
COMPARISON = {
    "lander": {"noninferiority_margin": 0.05, "min_paired_episodes": 10, "bootstrap_samples": 1000, "confidence": 0.95}
}
SHARED = 30 * np.random.default_rng(3).standard_normal(EPISODES)  # what every variant's episode i shares


def row(variant, family="prune_l1", seeds=1, seed=0, seed_of="", status="ok", finetune_steps=100):
    return {
        "agent": "lander",
        "variant": variant,
        "family": family,
        "status": status,
        "reason": "" if status == "ok" else "compression failed: NaN",
        "reward_mean": np.nan,
        "reward_iqm": np.nan,
        "reward_std": np.nan,
        "reward_ci_low": np.nan,
        "reward_ci_high": np.nan,
        "episodes": EPISODES,
        "random_reward_mean": -200.0,
        "random_reward_min": -400.0,
        "random_reward_max": 0.0,
        "training_seeds": seeds,
        "training_seed": seed,
        "seed_of": seed_of,
        "finetune_steps": finetune_steps if family != "baseline" else 0,
    }


def played(offsets: dict[str, float]) -> dict:
    return {
        ("lander", name): {"seeds": list(range(EPISODES)), "returns": list(200 + offset + SHARED)}
        for name, offset in offsets.items()
    }


def files(rows, episodes):
    return paired_columns(pd.DataFrame(rows), episodes, COMPARISON)


def test_a_recipes_row_pools_its_seeds_and_its_further_seeds_leave_the_summary():
    rows = [
        row("fp32", "baseline"),
        row("ft", seeds=3),
        row("ft_seed1", seeds=3, seed=1, seed_of="ft"),
        row("ft_seed2", seeds=3, seed=2, seed_of="ft"),
    ]
    episodes = played({"fp32": 0.0, "ft": -1.0, "ft_seed1": -2.0, "ft_seed2": 0.0})
    table = files(rows, episodes)
    assert seed_members(table) == {("lander", "ft"): ["ft", "ft_seed1", "ft_seed2"]}
    summary = pool_training_seeds(table, episodes, COMPARISON, {"lander": (-400.0, 300.0)})
    assert list(summary["variant"]) == ["fp32", "ft"]
    ft = summary.set_index("variant").loc["ft"]
    assert ft["reward_mean"] == pytest.approx(200 - 1.0 + SHARED.mean())
    assert ft["reward_diff_mean"] == pytest.approx(-1.0)
    assert (ft["seed_reward_low"], ft["seed_reward_high"]) == pytest.approx((198 + SHARED.mean(), 200 + SHARED.mean()))
    assert ft["reward_diff_method"] == "two-level bootstrap" and ft["paired_episodes"] == EPISODES
    assert ft["verdict"] == NON_INFERIOR and ft["episodes"] == 3 * EPISODES
    assert "x 3 training seeds" in verdict_text(ft)
    seeds = training_seed_table(table)
    assert list(seeds["file_variant"]) == ["ft", "ft_seed1", "ft_seed2"] and list(seeds["training_seed"]) == [0, 1, 2]
    assert seeds.set_index("file_variant").loc["ft_seed1", "reward_diff_mean"] == pytest.approx(-2.0)


def test_one_bad_seed_widens_the_recipes_interval():
    """Two seeds that keep the reward and one that loses a third of it: no longer non-inferior."""
    rows = [
        row("fp32", "baseline"),
        row("ft", seeds=3),
        row("ft_seed1", seeds=3, seed=1, seed_of="ft"),
        row("ft_seed2", seeds=3, seed=2, seed_of="ft"),
    ]
    episodes = played({"fp32": 0.0, "ft": 0.0, "ft_seed1": 0.0, "ft_seed2": -140.0})
    summary = pool_training_seeds(files(rows, episodes), episodes, COMPARISON, {})
    ft = summary.set_index("variant").loc["ft"]
    assert ft["verdict"] != NON_INFERIOR
    assert ft["seed_reward_low"] == pytest.approx(60 + SHARED.mean())


def test_a_recipe_with_a_failed_seed_is_at_best_inconclusive():
    rows = [
        row("fp32", "baseline"),
        row("ft", seeds=2),
        row("ft_seed1", seeds=2, seed=1, seed_of="ft", status="failed"),
    ]
    episodes = played({"fp32": 0.0, "ft": 0.0}) | {("lander", "ft_seed1"): {"seeds": [], "returns": []}}
    table = files(rows, episodes)
    assert pooled_returns(table, episodes)[("lander", "ft")] == [episodes[("lander", "ft")]["returns"]]
    ft = pool_training_seeds(table, episodes, COMPARISON, {}).set_index("variant").loc["ft"]
    assert ft["verdict"] == INCONCLUSIVE and ft["training_seeds_failed"] == 1
    assert "1 of them failed" in verdict_text(ft)


def test_a_trained_variant_of_one_seed_says_so():
    rows = [row("fp32", "baseline"), row("ft")]
    episodes = played({"fp32": 0.0, "ft": 0.0})
    ft = pool_training_seeds(files(rows, episodes), episodes, COMPARISON, {}).set_index("variant").loc["ft"]
    assert "one training seed" in verdict_text(ft)
    assert training_seed_table(files(rows, episodes)).empty
