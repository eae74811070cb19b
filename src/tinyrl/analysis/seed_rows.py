"""Study A's published figures (SPEC §2, the seed's machine), and our variants that reproduce each row.

These are the only numbers tiny_rl prints that it did not measure: the report labels them as the seed's
published figures, beside our own measurement of the same recipe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from tinyrl.analysis.columns import agent_rows

SEED_NETWORK = "ppo_rnd_cnn"  # the seed's rows are of the reference PPO-RND policy network
SEED_ENV = "ALE/MontezumaRevenge-v5"  # under the seed's protocol (tinyrl.episodes.atari.ale)


@dataclass(frozen=True)
class SeedRow:
    """One published row: its label, the recipe it was made with, and what the seed measured."""

    label: str
    family: str
    params: dict = field(default_factory=dict)  # what our variant's parameters must include
    reward: float | None = None
    time_s: float | None = None  # mean of 500 forward passes of batch 100
    size_mb: float | None = None
    sparsity: float | None = None


SEED_ROWS = (
    SeedRow("float32 baseline", "baseline", {}, 6600, 0.0148, 5.6354),
    SeedRow("dynamic fp16, RL weights", "ptq_dynamic", {"dtype": "float16"}, 6600, 0.0287, 5.6402),
    SeedRow("dynamic qint8, RL weights", "ptq_dynamic", {"dtype": "qint8"}, 6600, 0.0155, 1.6568),
    SeedRow("static fp16, CNN+RL", "ptq_static", {"dtype": "float16"}, 6600, 0.0197, 5.6355),
    SeedRow("static qint8, CNN+RL", "ptq_static", {"dtype": "qint8"}, 6600, 0.0188, 1.4264),
    SeedRow("L1 unstructured, RL part, 0.75", "prune_l1", {"amount": 0.75, "layers": ["rl"]}, 5781, sparsity=0.7076),
    SeedRow("L1 unstructured, all layers, 0.75", "prune_l1", {"amount": 0.75, "layers": ["all"]}, 69, sparsity=0.7491),
    SeedRow("torch-pruning fc1 0.3 (256→180)", "prune_structural", {"amounts": {"fc1": 0.3}}, 6600, size_mb=4.5456),
    SeedRow(
        "torch-pruning fc1+fc2 0.3", "prune_structural", {"amounts": {"fc1": 0.3, "fc2": 0.3}}, 6251, size_mb=3.6197
    ),
    SeedRow("torch-pruning fc1 0.75", "prune_structural", {"amounts": {"fc1": 0.75}}, 499),
    SeedRow("torch-pruning conv3 0.05 (64→61)", "prune_structural", {"amounts": {"conv3": 0.05}}, 6600),
)


def _reproduces(row: SeedRow, family: str, params: dict) -> bool:
    """Our variant is the seed's recipe: same family, the row's parameters, stored dense, not fine-tuned."""
    return (
        family == row.family
        and all(params.get(key) == value for key, value in row.params.items())
        and not params.get("finetune_steps")
        and params.get("storage", "dense") == "dense"
    )


def seed_comparison(summary: pd.DataFrame, agent: str) -> pd.DataFrame:
    """Each published row beside every variant of ours that reproduces its recipe (none: the row is
    listed with our columns empty, so a reader sees what this study did not run). Times are also given
    as ratios to each side's own float32, the only way two machines' times compare."""
    rows, base = agent_rows(summary, agent)
    our_base_time = base["time_mean_s"].iloc[0] if len(base) else float("nan")
    seed_base_time = SEED_ROWS[0].time_s
    out = []
    for seed in SEED_ROWS:
        ours = [r for _, r in rows.iterrows() if _reproduces(seed, r["family"], json.loads(r["params"]))]
        for r in ours or [None]:
            out.append(
                {
                    "seed row": seed.label,
                    "seed reward": seed.reward,
                    "seed size (MB)": seed.size_mb,
                    "seed time (s)": seed.time_s,
                    "seed time / float32": None if seed.time_s is None else seed.time_s / seed_base_time,
                    "seed sparsity": seed.sparsity,
                    "our variant": None if r is None else r["variant"],
                    "our reward": None if r is None else r["reward_mean"],
                    "verdict": None if r is None else r["verdict"],
                    "our size (MB)": None if r is None else r["size_mb"],
                    "our time (s)": None if r is None else r["time_mean_s"],
                    "our time / float32": None if r is None else r["time_mean_s"] / our_base_time,
                    "our sparsity": None if r is None else r["pruned_sparsity"],  # int8 rounding zeros are not pruning
                }
            )
    return pd.DataFrame(out)
