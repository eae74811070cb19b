"""The report's figures: the Pareto frontier, and panels only for agents with something to show."""

import pandas as pd
from matplotlib import image

from tinyrl.reporting.figure_data import pareto_front
from tinyrl.reporting.figures import FIGURES, scatter


def test_pareto_front_keeps_the_variants_nothing_beats_on_both_counts():
    rows = pd.DataFrame(
        {
            "variant": ["fp32", "int8", "tiny_bad", "int8_worse", "mid"],
            "size_mb": [4.0, 1.0, 0.1, 1.5, 2.0],
            "reward_mean": [100.0, 99.0, 5.0, 98.0, 100.0],
        }
    )
    front = pareto_front(rows, "size_mb")
    # int8_worse is bigger and worse than int8; fp32 is bigger than mid for the same reward.
    assert list(front["variant"]) == ["tiny_bad", "int8", "mid"]


def _rows(agent, family, status="ok"):
    return {
        "agent": agent,
        "variant": f"{agent}_{family}",
        "family": family,
        "status": status,
        "size_mb": 1.0,
        "reward_mean": 1.0,
        "reward_ci_low": 0.5,
        "reward_ci_high": 1.5,
        "random_reward_mean": 0.0,
        "sparsity": 0.0,
        "rank_reduction": None,
        "parameter_reduction": 0.0,
        "finetune_steps": 0,
        "finetune_with": "",
    }


def test_an_agent_with_nothing_to_show_gets_no_panel(tmp_path):
    df = pd.DataFrame([_rows("a", "baseline"), _rows("b", "baseline", status="failed")])
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    scatter(df, FIGURES["reward_vs_size"], one)
    scatter(pd.concat([df, df.assign(agent="c", variant="c_fp32", status="ok")]), FIGURES["reward_vs_size"], two)
    # Panels stack vertically: a second agent with rows doubles the height; the failed agent adds nothing.
    height_one, height_two = image.imread(one).shape[0], image.imread(two).shape[0]
    assert 1.8 < height_two / height_one < 2.2
