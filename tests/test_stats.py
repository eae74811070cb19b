import numpy as np
import pytest

from tinyrl.stats import (
    BETTER,
    INCONCLUSIVE,
    INFERIOR,
    NON_INFERIOR,
    bootstrap_ci,
    interquartile_mean,
    noninferiority_verdict,
    paired_difference,
    summarize_returns,
)
from tinyrl.summaries import describe_returns, summarize_times


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
    assert describe_returns([1.0, 2.0, 3.0]) == {"mean": 2.0, "std": 1.0, "episodes": 3}
    times = summarize_times([1.0, 2.0, 3.0, 4.0, 100.0])
    assert times["median_s"] == 3.0 and times["iqr_s"] == 2.0 and times["mean_s"] == 22.0


def test_interquartile_mean_ignores_the_outer_quarters():
    assert interquartile_mean([1, 2, 3, 4, 100, -100, 2.5, 3.5]) == pytest.approx(2.75)


def test_pairing_removes_the_episodes_shared_difficulty():
    """Two policies whose returns swing together by episode: unpaired CIs overlap, the paired CI does not."""
    rng = np.random.default_rng(0)
    difficulty = rng.normal(0, 100, 50)
    baseline, variant = 500 + difficulty, 490 + difficulty + rng.normal(0, 1, 50)
    diff = paired_difference(variant, baseline, samples=2000, confidence=0.95)
    assert -11 < diff["ci_low"] < diff["mean"] < diff["ci_high"] < -9
    b_low, b_high = bootstrap_ci(baseline, 2000)
    v_low, v_high = bootstrap_ci(variant, 2000)
    assert v_high > b_low  # the unpaired intervals overlap widely


def test_paired_returns_must_be_of_the_same_episodes():
    with pytest.raises(ValueError, match="3 vs 2 episodes"):
        paired_difference([1, 2, 3], [1, 2], samples=100, confidence=0.9)


def test_one_episode_gives_no_interval_and_no_verdict():
    diff = paired_difference([5.0], [4.0], samples=100, confidence=0.9)
    assert diff["mean"] == 1.0 and np.isnan(diff["ci_low"])
    assert noninferiority_verdict(diff["ci_low"], diff["ci_high"], margin=1.0) == INCONCLUSIVE


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (0.5, 3.0, BETTER),
        (-0.9, 3.0, NON_INFERIOR),
        (-0.9, -0.1, NON_INFERIOR),  # worse, but by less than the margin
        (-5.0, -1.5, INFERIOR),
        (-1.5, 0.5, INCONCLUSIVE),  # straddles -margin
        (0.0, 0.0, NON_INFERIOR),  # identical episodes
    ],
)
def test_noninferiority_verdicts_at_a_margin_of_one(low, high, verdict):
    assert noninferiority_verdict(low, high, margin=1.0) == verdict


def test_identical_policies_are_non_inferior_even_at_a_zero_margin():
    assert noninferiority_verdict(0.0, 0.0, margin=0.0) == NON_INFERIOR
