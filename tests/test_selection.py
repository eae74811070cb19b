"""Settings are chosen on the selection episodes: the study that plays them, and the rule that picks."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from tinyrl.plan.config import validate_config
from tinyrl.plan.selection import candidate_name, pick, selection_study

TUNED = {"name": "l1_ft", "family": "prune_l1", "agents": ["lunarlander"], "params": {"amount": 0.5}}


def test_the_selection_study_plays_the_candidates_on_the_selection_seeds_only(tiny_config):
    config = copy.deepcopy(tiny_config) | {"selection": {"seed": 700, "episodes": 4}}
    config["variants"].append(copy.deepcopy(TUNED))
    study = selection_study(config, "lunarlander", ["l1_ft"], "finetune_steps", [10, 20])
    variants = validate_config(study)  # still a valid study: its evaluation seeds are apart from its selection
    names = [variant["name"] for variant in variants["lunarlander"]]
    assert list(variants) == ["lunarlander"]
    assert names == [
        "fp32",
        candidate_name("l1_ft", "finetune_steps", 10),
        candidate_name("l1_ft", "finetune_steps", 20),
    ]
    assert [v["params"]["finetune_steps"] for v in variants["lunarlander"][1:]] == [10, 20]
    assert study["evaluation"]["seed"] == 700 and study["agents"]["lunarlander"]["evaluation"]["episodes"] == 4
    assert config["evaluation"]["seed"] == 0  # the study's own config is left as it was


def test_only_a_single_variant_made_from_float32_is_chosen_on(tiny_config):
    with pytest.raises(KeyError, match="no variant named"):
        selection_study(tiny_config, "lunarlander", ["nothing"], "finetune_steps", [1, 2])
    tiny_config["variants"].append(TUNED | {"name": "l1_{amount}", "sweep": {"amount": [0.5]}, "params": {}})
    tiny_config["variants"].append(TUNED | {"name": "l1_ft"})
    with pytest.raises(ValueError, match="no sweep"):
        selection_study(tiny_config, "lunarlander", ["l1_{amount}"], "finetune_steps", [1, 2])


def _summary(rows: dict[int, float], margin: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "variant": candidate_name("v", "finetune_steps", steps),
                "status": "ok",
                "reward_mean": 100 + diff,
                "reward_diff_mean": diff,
                "noninferiority_margin": margin,
            }
            for steps, diff in rows.items()
        ]
    )


def test_the_smallest_candidate_within_the_margin_is_chosen():
    choice = pick(_summary({4000: 0.0, 1000: -50.0, 2000: -5.0}), ["v"], "finetune_steps", [4000, 1000, 2000])[0]
    assert choice["value"] == 2000 and "smallest candidate within the margin" in choice["rule"]
    assert [row["value"] for row in choice["candidates"]] == [1000, 2000, 4000]


def test_with_none_within_the_margin_the_best_mean_is_chosen_and_said():
    choice = pick(_summary({1000: -50.0, 2000: -20.0, 4000: -30.0}), ["v"], "finetune_steps", [1000, 2000, 4000])[0]
    assert choice["value"] == 2000 and "none within the margin" in choice["rule"]
