import numpy as np

from tinyrl.stats import bootstrap_ci, summarize_returns, summarize_times


def test_bootstrap_ci_brackets_the_mean_and_is_reproducible():
    values = np.random.default_rng(0).normal(100, 20, size=100)
    low, high = bootstrap_ci(values, samples=2000, confidence=0.95, seed=3)
    assert low < values.mean() < high
    assert (low, high) == bootstrap_ci(values, samples=2000, confidence=0.95, seed=3)
    # Roughly mean +- 1.96 * sd / sqrt(n)
    half_width = 1.96 * values.std(ddof=1) / 10
    assert abs((high - low) / 2 - half_width) < 0.25 * half_width


def test_ci_narrows_with_more_episodes():
    rng = np.random.default_rng(1)
    small = bootstrap_ci(rng.normal(0, 1, 10), 2000)
    large = bootstrap_ci(rng.normal(0, 1, 1000), 2000)
    assert large[1] - large[0] < small[1] - small[0]


def test_summaries():
    summary = summarize_returns([1.0, 2.0, 3.0], samples=500, confidence=0.9)
    assert summary["mean"] == 2.0 and summary["episodes"] == 3 and summary["std"] == 1.0
    assert summary["ci_low"] <= 2.0 <= summary["ci_high"]
    times = summarize_times([1.0, 2.0, 3.0, 4.0, 100.0])
    assert times["median_s"] == 3.0 and times["iqr_s"] == 2.0 and times["mean_s"] == 22.0
