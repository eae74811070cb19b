"""Summary statistics with uncertainty."""

from __future__ import annotations

import numpy as np


def bootstrap_ci(values, samples: int = 10_000, confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the mean (fixed seed, so reruns agree bit for bit)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return float("nan"), float("nan")
    if data.size == 1:
        return float(data[0]), float(data[0])
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(samples, data.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def summarize_returns(returns, samples: int, confidence: float, seed: int = 0) -> dict:
    data = np.asarray(returns, dtype=np.float64)
    low, high = bootstrap_ci(data, samples, confidence, seed)
    return {
        "mean": float(data.mean()),
        "std": float(data.std(ddof=1)) if data.size > 1 else 0.0,
        "ci_low": low,
        "ci_high": high,
        "confidence": confidence,
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
