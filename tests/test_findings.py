"""Study B's claims are judged from the summary rows, never typed in."""

import json
import zlib

import numpy as np
import pandas as pd

from tinyrl.analysis.aggregate import finetune_gain_columns, paired_columns
from tinyrl.analysis.findings import study_b_findings
from tinyrl.reporting.figure_data import with_reduction_columns
from tinyrl.reporting.sections.findings import quantization_findings

SEEDS = list(range(20))
COMPARISON = {
    "cheetah": {
        "noninferiority_margin": 0.05,
        "min_paired_episodes": 10,
        "bootstrap_samples": 1000,
        "confidence": 0.95,
    }
}


def episode_returns(mean, spread, own_noise, variant):
    """Returns around `mean`: an episode-to-episode pattern every variant shares (paired episodes: the
    same seeds), plus the variant's own noise."""
    shared = spread * np.random.default_rng(7).standard_normal(len(SEEDS))
    own = own_noise * np.random.default_rng(zlib.crc32(variant.encode())).standard_normal(len(SEEDS))
    return list(mean + shared + own)


def row(variant, family, reward, ci=5.0, eval_s=10.0, ram=20.0, cpu=1.0, size=300_000, **params):
    return {
        "agent": "cheetah",
        "variant": variant,
        "family": family,
        "status": "ok",
        "params": json.dumps(params),
        "reward_mean": reward,
        "random_reward_mean": 0.0,
        "random_reward_min": -100.0,
        "random_reward_max": 100.0,
        "reward_ci_low": reward - ci,
        "reward_ci_high": reward + ci,
        "eval_wall_time_s": eval_s,
        "eval_us_per_step": eval_s * 100,
        "rss_increase_mb": ram,
        "cpu_percent": 100 * cpu,
        "size_bytes": size,
        "size_mb": size / 1e6,
        "finetune_steps": params.get("finetune_steps", 0),
        "finetune_with": params.get("finetune_with", ""),
        "finetune_time_s": 12.0 if params.get("finetune_steps") else 0.0,
        "sparsity": params.get("sparsity", 0.0),
        "rank_reduction": params.get("rank_reduction"),
    }


def findings(rows, spread=50.0, own_noise=0.0):
    """Study B's findings on rows whose episodes are played as aggregate would pair them."""
    episodes = {
        (r["agent"], r["variant"]): {
            "seeds": SEEDS,
            "returns": episode_returns(r["reward_mean"], spread, own_noise, r["variant"]),
        }
        for r in rows
    }
    summary = finetune_gain_columns(paired_columns(pd.DataFrame(rows), episodes, COMPARISON), episodes, COMPARISON)
    return {f["claim"].split()[0]: f for f in study_b_findings(summary)}


def test_claims_that_hold_in_the_data_are_said_to_agree():
    rows = [
        row("fp32", "baseline", 5000),
        row("lr_0.5", "low_rank", 4000, eval_s=5, ram=8, cpu=0.5, rank_reduction=0.5),
        row("l1_0.5", "prune_l1", 4500, eval_s=10, ram=20, cpu=1.0, amount=0.5),
        row("l1_0.5_ft", "prune_l1", 4510, amount=0.5, finetune_steps=100, finetune_with="rl"),
        row("qat", "qat_int8", 4900, size=90_000, finetune_steps=3000),
    ]
    out = findings(rows)
    assert out["rank"]["verdict"] == "agrees"
    assert "low-rank x0.50, pruning x1.00" in out["rank"]["our_data"]
    assert out["fine-tuning"]["verdict"] == "agrees"  # a paired gain of 10, under the margin of 250
    assert "0 of 1 gain more, 1 gain less" in out["fine-tuning"]["our_data"]
    assert out["8-bit"]["verdict"] == "agrees" and "x0.30" in out["8-bit"]["our_data"]


def test_claims_the_data_contradict_are_said_to_disagree():
    rows = [
        row("fp32", "baseline", 5000),
        row("lr_0.5", "low_rank", 4000, rank_reduction=0.5),
        row("l1_0.5", "prune_l1", 1000, amount=0.5),
        row("l1_0.5_ft", "prune_l1", 4000, amount=0.5, finetune_steps=100, finetune_with="distillation"),
        row("qat", "qat_int8", 4900, size=290_000, finetune_steps=3000),
    ]
    out = findings(rows)
    assert out["rank"]["verdict"] == "disagrees"
    assert out["fine-tuning"]["verdict"] == "disagrees"  # a gain of 3000 over the margin of 250
    assert out["8-bit"]["verdict"] == "disagrees"


def test_a_gain_near_the_margin_with_noisy_episodes_is_inconclusive():
    rows = [
        row("fp32", "baseline", 5000),
        row("l1_0.5", "prune_l1", 4500, amount=0.5),
        row("l1_0.5_ft", "prune_l1", 4750, amount=0.5, finetune_steps=100, finetune_with="distillation"),
    ]
    # A gain of 250 on the margin of 250, with each variant's own episode noise: the CI straddles the margin.
    out = findings(rows, own_noise=400.0)["fine-tuning"]
    assert out["verdict"] == "inconclusive", out


def test_missing_rows_are_reported_as_not_tested():
    out = findings([row("fp32", "baseline", 5000)])
    assert {f["verdict"] for f in out.values()} == {"not tested"}


def test_reduction_columns_put_pruning_and_low_rank_parameter_savings_on_one_axis():
    df = with_reduction_columns(
        pd.DataFrame(
            [
                row("fp32", "baseline", 1),
                row("l1", "prune_l1", 1, sparsity=0.42),
                row("lr", "low_rank", 1, rank_reduction=0.7),
                row("lr_half", "low_rank", 1, rank_reduction=0.5),
            ]
        ).assign(sparsity=[0.0, 0.42, 0.0, 0.0], parameter_reduction=[0.0, 0.0, 0.4, -0.02])
    )
    # Low rank's shared-axis value is the parameters it saves, not its rank share (which keeps its own axis).
    assert df["reduction_pct"].round(6).tolist() == [0.0, 42.0, 40.0, -2.0]
    assert df["rank_reduced_pct"].tolist()[2:] == [70.0, 50.0]
    assert df["pruned_pct"].isna().tolist() == [False, False, True, True]


def test_a_resource_without_a_ratio_is_not_tested_and_does_not_decide_the_verdict():
    """float32's RAM increase can be 0 (clamped): its ratios are not numbers, which used to count as a loss."""
    rows = [
        row("fp32", "baseline", 5000, ram=0.0),
        row("lr_0.5", "low_rank", 4000, eval_s=5, ram=8, cpu=0.5, rank_reduction=0.5),
        row("l1_0.5", "prune_l1", 4500, eval_s=10, ram=20, cpu=1.0, amount=0.5),
    ]
    out = findings(rows)["rank"]
    assert out["verdict"] == "agrees"
    assert "RAM increase: not tested" in out["our_data"]
    only_ram = [dict(r, eval_us_per_step=0.0, cpu_percent=0.0) for r in rows]
    assert findings(only_ram)["rank"]["verdict"] == "not tested"


def test_qat_costing_more_cpu_is_still_no_gain():
    """The seed claims QAT gives no RAM/CPU gain: CPU 17% above float32's is no gain either."""
    rows = [row("fp32", "baseline", 5000), row("qat", "qat_int8", 4900, size=90_000, cpu=1.17, finetune_steps=3000)]
    assert findings(rows)["8-bit"]["verdict"] == "agrees"
    rows[1] = row("qat", "qat_int8", 4900, size=90_000, cpu=0.5, finetune_steps=3000)  # a real CPU gain
    assert findings(rows)["8-bit"]["verdict"] == "mixed"


def test_the_fp16_storage_note_explains_only_a_file_that_saved_nothing():
    def summary(size_mb):
        return pd.DataFrame(
            [
                {"agent": "a", "variant": "fp32", "family": "baseline", "status": "ok", "size_mb": 1.0, "dtype": None},
                {
                    "agent": "a",
                    "variant": "fp16",
                    "family": "ptq_dynamic",
                    "status": "ok",
                    "size_mb": size_mb,
                    "dtype": "float16",
                },
            ]
        )

    assert "saves no space on disk" in quantization_findings(summary(1.0))[0]
    note = quantization_findings(summary(0.5))[0]
    assert "0.5000 MB vs 1.0000 MB" in note and "saves no space" not in note


def test_a_fine_tuning_gain_on_too_few_episodes_is_no_finding(monkeypatch):
    rows = [
        row("fp32", "baseline", 5000),
        row("l1_0.5", "prune_l1", 1000, amount=0.5),
        row("l1_0.5_ft", "prune_l1", 4000, amount=0.5, finetune_steps=100, finetune_with="distillation"),
    ]
    monkeypatch.setitem(COMPARISON["cheetah"], "min_paired_episodes", len(SEEDS) + 1)
    out = findings(rows)["fine-tuning"]
    assert out["verdict"] == "inconclusive" and "(too few episodes)" in out["our_data"]
