"""Statistics with uncertainty, computed once per study by the aggregate job: scipy's percentile
bootstrap, the interquartile mean, and the paired comparison of a variant with float32 on the same
episode seeds (a non-inferiority verdict). scipy.stats takes most of a second to import, so the
per-variant jobs use tinyrl.summaries (numpy only) and leave this to aggregation."""

from __future__ import annotations

import numpy as np
from scipy import stats

from tinyrl.summaries import describe_returns

# The verdicts of a paired non-inferiority comparison, best first.
BETTER, NON_INFERIOR, INCONCLUSIVE, INFERIOR = "better", "non-inferior", "inconclusive", "inferior"


def bootstrap_ci(values, samples: int = 10_000, confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the mean (scipy.stats.bootstrap, fixed seed, so reruns
    agree bit for bit). One value has no spread to resample: its interval is that value; none is NaN."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return float("nan"), float("nan")
    if data.size == 1 or np.all(data == data[0]):
        return float(data[0]), float(data[0])
    result = stats.bootstrap(
        (data,),
        np.mean,
        n_resamples=samples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def interquartile_mean(values) -> float:
    """The mean of the middle 50% of the values (rliable's IQM): robust to a few outlying episodes."""
    data = np.asarray(values, dtype=np.float64)
    return float(stats.trim_mean(data, 0.25)) if data.size else float("nan")


def summarize_returns(returns, samples: int, confidence: float, seed: int = 0) -> dict:
    """describe_returns (mean, std, count) with the IQM and the bootstrap CI of the mean."""
    data = np.asarray(returns, dtype=np.float64)
    low, high = bootstrap_ci(data, samples, confidence, seed)
    return describe_returns(data) | {
        "iqm": interquartile_mean(data),
        "ci_low": low,
        "ci_high": high,
        "confidence": confidence,
    }


def paired_difference(variant_returns, baseline_returns, samples: int, confidence: float, seed: int = 0) -> dict:
    """The mean per-episode difference variant - baseline, with its bootstrap CI; the returns are of the
    same episode seeds in the same order. A single episode gives no interval (NaN)."""
    variant, baseline = np.asarray(variant_returns, np.float64), np.asarray(baseline_returns, np.float64)
    if variant.shape != baseline.shape:
        raise ValueError(f"paired returns differ in length: {variant.size} vs {baseline.size} episodes")
    diff = variant - baseline
    low, high = bootstrap_ci(diff, samples, confidence, seed) if diff.size > 1 else (float("nan"), float("nan"))
    return {"mean": float(diff.mean()) if diff.size else float("nan"), "ci_low": low, "ci_high": high}


def noninferiority_verdict(ci_low: float, ci_high: float, margin: float) -> str:
    """Read the CI of variant - baseline against the margin (a reward difference ≥ 0 we accept losing):
    better if the whole CI is above 0, non-inferior if it is above -margin, inferior if it is below
    -margin, inconclusive if it straddles -margin or is missing."""
    if np.isnan(ci_low) or np.isnan(ci_high):
        return INCONCLUSIVE
    if ci_low > 0:
        return BETTER
    if ci_low > -margin or (margin == 0 and ci_low == 0 and ci_high == 0):
        return NON_INFERIOR
    if ci_high < -margin:
        return INFERIOR
    return INCONCLUSIVE
