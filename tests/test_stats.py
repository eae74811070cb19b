import numpy as np
import pytest

from tinyrl.statistics.inference import (
    BETTER,
    INCONCLUSIVE,
    INFERIOR,
    NON_INFERIOR,
    TOO_FEW,
    bootstrap_ci,
    interquartile_mean,
    noninferiority_verdict,
    paired_difference,
    pooled_paired_difference,
    summarize_returns,
    summarize_returns_over_seeds,
    two_level_bootstrap_ci,
    unseen_share,
)
from tinyrl.statistics.summaries import describe_returns, summarize_times


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
    assert diff["mean"] == 1.0 and np.isnan(diff["ci_low"]) and diff["episodes"] == 1
    assert noninferiority_verdict(diff["ci_low"], diff["ci_high"], 1.0, episodes=1, min_episodes=1) == INCONCLUSIVE


def test_fewer_paired_episodes_than_the_minimum_carry_no_verdict():
    assert noninferiority_verdict(0.5, 3.0, margin=1.0, episodes=9, min_episodes=10) == TOO_FEW
    assert noninferiority_verdict(0.5, 3.0, margin=1.0, episodes=10, min_episodes=10) == BETTER


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (0.5, 3.0, BETTER),
        (-0.9, 3.0, NON_INFERIOR),
        (-0.9, -0.1, NON_INFERIOR),  # worse, but by less than the margin
        (-5.0, -1.5, INFERIOR),
        (-1.5, 0.5, INCONCLUSIVE),  # straddles -margin
    ],
)
def test_noninferiority_verdicts_at_a_margin_of_one(low, high, verdict):
    assert noninferiority_verdict(low, high, margin=1.0, episodes=30, min_episodes=10) == verdict


def test_a_zero_margin_accepts_a_bound_of_exactly_zero():
    assert noninferiority_verdict(0.0, 5.0, margin=0.0, episodes=30, min_episodes=10) == NON_INFERIOR
    assert noninferiority_verdict(-1e-9, 5.0, margin=0.0, episodes=30, min_episodes=10) == INCONCLUSIVE


def test_the_unseen_share_is_clopper_pearson_for_no_event():
    # None of n episodes differed: the largest share that could, at 95% two-sided (2.5% one tail).
    assert unseen_share(100, 0.95) == pytest.approx(1 - 0.025 ** (1 / 100))
    assert unseen_share(4, 0.95) > 0.5  # four equal episodes say little
    assert 3.5 / 100 < unseen_share(100, 0.95) < 3.8 / 100  # the rule of three's neighbourhood


def test_equal_differences_do_not_collapse_the_interval():
    """Four identical episodes used to give [0, 0] and a non-inferior verdict; the interval now keeps the
    chance of an episode it has not seen, bounded by the return range."""
    baseline = [6600.0] * 4
    diff = paired_difference(baseline, baseline, samples=100, confidence=0.95, return_range=(0.0, 6600.0))
    assert diff["method"] == "unseen-episode bound"
    assert diff["ci_low"] == pytest.approx(-unseen_share(4, 0.95) * 6600)
    assert diff["ci_high"] == 0.0  # nothing scores above 6600: no gain is possible
    assert noninferiority_verdict(diff["ci_low"], diff["ci_high"], 330.0, 4, 2) == INCONCLUSIVE
    # A hundred equal episodes bound the loss within 5% of 6600: non-inferior.
    many = [6600.0] * 100
    diff = paired_difference(many, many, samples=100, confidence=0.95, return_range=(0.0, 6600.0))
    assert -330 < diff["ci_low"] < 0 and noninferiority_verdict(diff["ci_low"], diff["ci_high"], 330.0, 100, 10) == (
        NON_INFERIOR
    )


def test_equal_differences_without_a_range_have_no_interval():
    diff = paired_difference([1.0, 2.0], [0.0, 1.0], samples=100, confidence=0.95)
    assert diff["mean"] == 1.0 and np.isnan(diff["ci_low"]) and diff["method"] == "none"


def test_varying_differences_keep_the_bootstrap():
    diff = paired_difference([1.0, 2.0, 4.0], [0.0, 0.0, 0.0], samples=200, confidence=0.9, return_range=(0, 9))
    assert diff["method"] == "bootstrap" and diff["ci_low"] >= 1.0 and diff["ci_high"] <= 4.0


def test_two_level_bootstrap_carries_the_spread_between_training_seeds():
    rng = np.random.default_rng(1)
    episodes = rng.normal(0.0, 1.0, size=100)
    alike = np.stack([episodes + rng.normal(0, 0.01, 100) for _ in range(3)])
    apart = np.stack([episodes + offset for offset in (-3.0, 0.0, 3.0)])
    low_alike, high_alike = two_level_bootstrap_ci(alike, 2000, 0.95)
    low_apart, high_apart = two_level_bootstrap_ci(apart, 2000, 0.95)
    assert low_alike < alike.mean() < high_alike
    assert high_apart - low_apart > 2 * (high_alike - low_alike)  # seeds that disagree widen the interval
    assert two_level_bootstrap_ci(apart, 2000, 0.95) == (low_apart, high_apart)  # fixed seed: reruns agree


def test_one_training_seed_is_the_plain_paired_difference():
    variant, baseline = [1.0, 3.0, 2.0, 5.0], [0.0, 1.0, 1.0, 2.0]
    pooled = pooled_paired_difference([variant], baseline, 500, 0.95)
    assert pooled == paired_difference(variant, baseline, 500, 0.95) | {"training_seeds": 1}


def test_pooled_seeds_give_the_mean_over_all_and_the_episodes_per_seed():
    baseline = np.arange(10.0)
    seeds = [baseline + 1.0, baseline + 2.0 + np.linspace(0, 1, 10), baseline - 1.0]
    pooled = pooled_paired_difference(seeds, baseline, 1000, 0.95)
    assert pooled["training_seeds"] == 3 and pooled["episodes"] == 10
    assert pooled["mean"] == pytest.approx(np.mean([1.0, 2.5, -1.0]))
    assert pooled["method"] == "two-level bootstrap" and pooled["ci_low"] < pooled["mean"] < pooled["ci_high"]
    with pytest.raises(ValueError, match="differ in length"):
        pooled_paired_difference([baseline, baseline[:5]], baseline, 100, 0.95)


def test_pooled_equal_differences_keep_the_distribution_free_bound():
    baseline = [5.0, 7.0, 6.0]
    pooled = pooled_paired_difference([baseline, baseline], baseline, 100, 0.95, return_range=(0.0, 10.0))
    assert pooled["method"] == "unseen-episode bound" and pooled["mean"] == 0.0
    assert pooled["ci_low"] < 0.0 < pooled["ci_high"]  # six equal pairs do not prove that no episode differs
    assert pooled["episodes"] == 3 and pooled["training_seeds"] == 2


def test_rewards_over_seeds_pool_every_episode():
    summary = summarize_returns_over_seeds([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], 500, 0.95)
    assert summary["mean"] == pytest.approx(3.0) and summary["episodes"] == 6
    assert summary["ci_low"] < 3.0 < summary["ci_high"]
