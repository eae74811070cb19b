"""The report's robustness table: the float32 policy's seed-protocol score beside its score under each
perturbation of tinyrl.evaluation.robustness, paired on the same episode seeds, and what that means for the
compression results (read from the measured values, never fixed text)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tinyrl.statistics.inference import paired_difference, summarize_returns

SEED_PROTOCOL = "seed's protocol (no sticky actions, no no-op starts)"


def _row(label: str, returns: list[float], rooms: dict | None, samples: int, confidence: float) -> dict:
    summary = summarize_returns(returns, samples, confidence)
    return {
        "condition": label,
        "episodes": len(returns),
        "mean": summary["mean"],
        "CI low": summary["ci_low"],
        "CI high": summary["ci_high"],
        "min": float(np.min(returns)),
        "max": float(np.max(returns)),
        "rooms per episode": (rooms or {}).get("mean"),
    }


def robustness_table(record: dict, seed_protocol: dict, samples: int, confidence: float) -> tuple[pd.DataFrame, str]:
    """`record`: the robustness stage's output; `seed_protocol`: the float32 variant's evaluation. Returns
    the table (one row per condition, the paired difference from the seed protocol on the seeds both played)
    and a sentence on what it means."""
    seed_returns = dict(zip(seed_protocol["seeds"], seed_protocol["returns"]))
    rows = [_row(SEED_PROTOCOL, seed_protocol["returns"], seed_protocol.get("rooms_visited"), samples, confidence)]
    kept = []
    for condition in record["conditions"]:
        row = _row(condition["label"], condition["returns"], condition.get("rooms_visited"), samples, confidence)
        common = [seed for seed in condition["seeds"] if seed in seed_returns]
        returns = dict(zip(condition["seeds"], condition["returns"]))
        paired = paired_difference(
            [returns[seed] for seed in common], [seed_returns[seed] for seed in common], samples, confidence
        )
        row |= {
            "paired episodes": len(common),
            "difference": paired["mean"],
            "difference CI low": paired["ci_low"],
            "difference CI high": paired["ci_high"],
        }
        rows.append(row)
        kept.append((condition["label"], row["mean"]))
    return pd.DataFrame(rows), _meaning(rows[0]["mean"], kept)


def _meaning(seed_mean: float, kept: list[tuple[str, float]]) -> str:
    shares = ", ".join(
        f"{label}: {mean:.0f} ({mean / seed_mean:.0%} of it)" if seed_mean else f"{label}: {mean:.0f}"
        for label, mean in kept
    )
    lowest = min(mean for _, mean in kept)
    if seed_mean and lowest < 0.5 * seed_mean:
        meaning = (
            "Off the protocol the policy loses most of its score: it has learned a route through a deterministic "
            "game more than how to play. A variant non-inferior to it under the seed's protocol reproduces that "
            "route; that says nothing about how either copes with a game that does not replay the same way."
        )
    else:
        meaning = (
            "Off the protocol the policy keeps at least half of its score, so the compression results, measured "
            "under the seed's protocol, compare policies that play the game rather than replay one route."
        )
    return f"Float32's mean under the seed's protocol: {seed_mean:.0f}; {shares}. {meaning}"
