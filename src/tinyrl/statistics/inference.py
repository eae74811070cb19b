"""Statistics with uncertainty, computed once per study by the aggregate job: scipy's percentile
bootstrap, the interquartile mean, and the paired comparison of a variant with float32 on the same
episode seeds (a non-inferiority verdict). scipy.stats takes most of a second to import, so the
per-variant jobs use tinyrl.statistics.summaries (numpy only) and leave this to aggregation."""

from __future__ import annotations

import numpy as np
from scipy import stats

from tinyrl.statistics.summaries import describe_returns

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


def unseen_share(episodes: int, confidence: float) -> float:
    """The largest share of episodes that could differ from what all `episodes` showed, at the confidence
    given (the one-sided Clopper-Pearson bound for zero events in n trials: 1 - alpha^(1/n), alpha the
    interval's one tail; the "rule of three" is its large-n form, 3/n at 95%)."""
    return 1.0 - ((1.0 - confidence) / 2) ** (1.0 / episodes)


def paired_difference(
    variant_returns,
    baseline_returns,
    samples: int,
    confidence: float,
    seed: int = 0,
    return_range: tuple[float, float] | None = None,
) -> dict:
    """The mean per-episode difference variant - baseline with its CI; the returns are of the same episode
    seeds in the same order, and `episodes` is how many pairs there are.

    The CI is the percentile bootstrap of the mean difference while the differences vary. When they are all
    equal the bootstrap has nothing to resample and would give the value itself, as if n equal episodes
    proved that no episode could differ; the CI is then distribution-free instead: at most a share
    `unseen_share(n)` of episodes differs, and such an episode's difference is bounded by the agent's
    `return_range` (low, high): the variant scoring `low` where float32 scored its best, or `high` where it
    scored its worst. Without a range the interval is missing (NaN). A single episode gives no interval."""
    variant, baseline = np.asarray(variant_returns, np.float64), np.asarray(baseline_returns, np.float64)
    if variant.shape != baseline.shape:
        raise ValueError(f"paired returns differ in length: {variant.size} vs {baseline.size} episodes")
    diff = variant - baseline
    result = {"mean": float(diff.mean()) if diff.size else float("nan"), "episodes": int(diff.size)}
    if diff.size < 2:
        return result | {"ci_low": float("nan"), "ci_high": float("nan"), "method": "none"}
    if not np.all(diff == diff[0]):
        low, high = bootstrap_ci(diff, samples, confidence, seed)
        return result | {"ci_low": low, "ci_high": high, "method": "bootstrap"}
    if return_range is None:
        return result | {"ci_low": float("nan"), "ci_high": float("nan"), "method": "none"}
    share, value = unseen_share(diff.size, confidence), float(diff[0])
    worst, best = return_range[0] - baseline.max(), return_range[1] - baseline.min()
    return result | {
        "ci_low": (1 - share) * value + share * min(worst, value),
        "ci_high": (1 - share) * value + share * max(best, value),
        "method": "unseen-episode bound",
    }


def two_level_bootstrap_ci(
    values, samples: int = 10_000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile CI of the mean of a (training seeds x episodes) array by a two-level bootstrap: each
    resample draws the training seeds with replacement, then each drawn seed's episodes with replacement, so
    the interval carries the spread between training runs as well as between episodes (a recipe, not one
    file). scipy.stats.bootstrap resamples one level only. With few seeds the seed level is coarse (3 seeds
    give 10 distinct draws) and the interval somewhat narrow: the per-seed spread stands beside it."""
    data = np.asarray(values, dtype=np.float64)
    n_seeds, n_episodes = data.shape
    rng = np.random.default_rng(seed)
    means = np.empty(samples)
    for start in range(0, samples, 1000):  # in chunks: a resample holds seeds x episodes draws
        count = min(1000, samples - start)
        drawn_seeds = rng.integers(n_seeds, size=(count, n_seeds, 1))
        drawn_episodes = rng.integers(n_episodes, size=(count, n_seeds, n_episodes))
        means[start : start + count] = data[drawn_seeds, drawn_episodes].mean(axis=(1, 2))
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def summarize_returns_over_seeds(returns_by_seed, samples: int, confidence: float, seed: int = 0) -> dict:
    """summarize_returns of a recipe played from several training seeds on the same episode seeds: the
    statistics of every episode of every seed, the CI by the two-level bootstrap."""
    data = np.asarray(returns_by_seed, dtype=np.float64)
    if len(data) == 1:
        return summarize_returns(data[0], samples, confidence, seed)
    low, high = two_level_bootstrap_ci(data, samples, confidence, seed)
    return summarize_returns(data.ravel(), samples, confidence, seed) | {"ci_low": low, "ci_high": high}


def pooled_paired_difference(
    returns_by_seed,
    baseline_returns,
    samples: int,
    confidence: float,
    seed: int = 0,
    return_range: tuple[float, float] | None = None,
) -> dict:
    """paired_difference of a recipe made from several training seeds, each played on the baseline's
    episode seeds: the mean difference over every seed's episodes, its CI by the two-level bootstrap while
    the differences vary (else the unseen-episode bound over all seeds x episodes), `episodes` the pairs per
    seed and `training_seeds` how many seeds were pooled. One seed is paired_difference itself."""
    baseline = np.asarray(baseline_returns, np.float64)
    if len(returns_by_seed) == 1:
        return paired_difference(returns_by_seed[0], baseline, samples, confidence, seed, return_range) | {
            "training_seeds": 1
        }
    diffs = []
    for returns in returns_by_seed:
        variant = np.asarray(returns, np.float64)
        if variant.shape != baseline.shape:
            raise ValueError(f"paired returns differ in length: {variant.size} vs {baseline.size} episodes")
        diffs.append(variant - baseline)
    diff = np.stack(diffs)
    pooled = {"episodes": int(baseline.size), "training_seeds": len(diffs)}
    if baseline.size < 2 or np.all(diff == diff.flat[0]):  # nothing to resample: as paired_difference does
        flat = paired_difference(
            diff.ravel() + np.tile(baseline, len(diffs)),
            np.tile(baseline, len(diffs)),
            samples,
            confidence,
            seed,
            return_range,
        )
        return flat | pooled
    low, high = two_level_bootstrap_ci(diff, samples, confidence, seed)
    return pooled | {"mean": float(diff.mean()), "ci_low": low, "ci_high": high, "method": "two-level bootstrap"}


TOO_FEW = "too few episodes"


def noninferiority_verdict(ci_low: float, ci_high: float, margin: float, episodes: int, min_episodes: int) -> str:
    """Read the CI of variant - baseline against the margin (a reward difference ≥ 0 we accept losing):
    better if the whole CI is above 0, non-inferior if it is above -margin, inferior if it is below
    -margin, inconclusive if it straddles -margin or is missing. Fewer than `min_episodes` paired episodes
    carry no verdict at all (TOO_FEW): a bootstrap of a handful of episodes covers far less than it says."""
    if episodes < min_episodes:
        return TOO_FEW
    if np.isnan(ci_low) or np.isnan(ci_high):
        return INCONCLUSIVE
    if ci_low > 0:
        return BETTER
    if ci_low > -margin or (margin == 0 and ci_low == 0):  # nothing to lose, and nothing lost
        return NON_INFERIOR
    if ci_high < -margin:
        return INFERIOR
    return INCONCLUSIVE
