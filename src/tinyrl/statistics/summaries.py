"""Plain summaries the per-variant jobs record (numpy only: they start in a fresh process each, and
scipy's statistics, in tinyrl.statistics.inference, would add most of a second to every start)."""

from __future__ import annotations

import numpy as np


def describe_returns(returns) -> dict:
    """Mean, standard deviation and count of the episode returns (their CI is the aggregate's)."""
    data = np.asarray(returns, dtype=np.float64)
    return {
        "mean": float(data.mean()) if data.size else float("nan"),
        "std": float(data.std(ddof=1)) if data.size > 1 else 0.0,
        "episodes": int(data.size),
    }


def summarize_times(times) -> dict:
    data = np.asarray(times, dtype=np.float64)
    q25, median, q75 = np.quantile(data, [0.25, 0.5, 0.75])
    return {
        "mean_s": float(data.mean()),
        "median_s": float(median),
        "iqr_s": float(q75 - q25),
        "q25_s": float(q25),
        "q75_s": float(q75),
        "std_s": float(data.std()),
        "passes": int(data.size),
    }


def confidence_label(rows) -> str:
    """The confidence level of a summary's CIs (its `confidence` column, as the config set it) as a
    percentage, "95%"; "the configured" when the rows mix levels."""
    levels = set(rows["confidence"].dropna()) if "confidence" in rows else set()
    return f"{100 * levels.pop():g}%" if len(levels) == 1 else "the configured"
