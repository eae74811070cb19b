"""Study A's published rows are shown beside the variants that reproduce their recipes, and only those."""

import json

import pandas as pd

from tinyrl.analysis.seed_rows import SEED_ROWS, seed_comparison


def _row(variant, family, time_s, **params):
    return {
        "agent": "montezuma",
        "variant": variant,
        "family": family,
        "params": json.dumps({"finetune_steps": 0, **params}),
        "reward_mean": 1400.0,
        "verdict": "baseline" if family == "baseline" else "non-inferior",
        "size_mb": 5.6,
        "time_mean_s": time_s,
        "sparsity": 0.01,  # int8 rounding zeros, not pruning
        "pruned_sparsity": 0.0,
    }


def test_each_seed_row_meets_the_variants_of_its_recipe():
    summary = pd.DataFrame(
        [
            _row("fp32", "baseline", 0.02),
            _row("static_qint8_x86", "ptq_static", 0.01, dtype="qint8", engine="x86"),
            _row("static_qint8_onednn", "ptq_static", 0.008, dtype="qint8", engine="onednn"),
            _row("l1_rl_0.75_ft", "prune_l1", 0.02, amount=0.75, layers=["rl"], finetune_steps=3000),
            _row("l1_rl_0.75_sparse", "prune_l1", 0.02, amount=0.75, layers=["rl"], storage="sparse"),
        ]
    )
    table = seed_comparison(summary, "montezuma")
    static = table[table["seed row"] == "static qint8, CNN+RL"]
    assert list(static["our variant"]) == ["static_qint8_x86", "static_qint8_onednn"]  # one line per engine
    assert list(static["our time / float32"]) == [0.5, 0.4]
    assert static["seed time / float32"].iloc[0] == 0.0188 / 0.0148
    # Fine-tuned or sparse-stored variants are not the seed's recipe: its L1 row stays unmatched.
    l1 = table[table["seed row"] == "L1 unstructured, RL part, 0.75"]
    assert len(l1) == 1 and pd.isna(l1["our variant"].iloc[0]) and l1["seed reward"].iloc[0] == 5781
    assert set(table["seed row"]) == {row.label for row in SEED_ROWS}
    assert (static["our sparsity"] == 0.0).all()  # what pruning set, never incidental zeros
