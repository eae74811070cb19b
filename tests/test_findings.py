"""Study B's claims are judged from the summary rows, never typed in."""

import json

import pandas as pd

from tinyrl.figures import with_reduction_columns
from tinyrl.findings import study_b_findings


def row(variant, family, reward, ci=5.0, eval_s=10.0, ram=20.0, cpu=1.0, size=300_000, **params):
    return {
        "agent": "cheetah",
        "variant": variant,
        "family": family,
        "status": "ok",
        "params": json.dumps(params),
        "reward_mean": reward,
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


def findings(rows):
    return {f["claim"].split()[0]: f for f in study_b_findings(pd.DataFrame(rows))}


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
    assert out["fine-tuning"]["verdict"] == "agrees"  # 4510 +- 5 overlaps 4500 +- 5
    assert "0 of 1" in out["fine-tuning"]["our_data"]
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
    assert out["fine-tuning"]["verdict"] == "disagrees"
    assert out["8-bit"]["verdict"] == "disagrees"


def test_missing_rows_are_reported_as_not_tested():
    out = findings([row("fp32", "baseline", 5000)])
    assert {f["verdict"] for f in out.values()} == {"not tested"}


def test_reduction_columns_put_pruning_and_rank_reduction_on_one_axis():
    df = with_reduction_columns(
        pd.DataFrame(
            [
                row("fp32", "baseline", 1),
                row("l1", "prune_l1", 1, sparsity=0.42),
                row("lr", "low_rank", 1, rank_reduction=0.7),
            ]
        ).assign(sparsity=[0.0, 0.42, 0.0])
    )
    assert list(df["reduction_pct"]) == [0.0, 42.0, 70.0]
    assert df["pruned_pct"].isna().tolist() == [False, False, True]


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
