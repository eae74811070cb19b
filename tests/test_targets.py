"""The compression targets read non-inferior variants and pruned sparsity, never incidental zeros."""

import json

import pandas as pd

from tinyrl.analysis.speed import fastest_noninferior
from tinyrl.analysis.targets import agent_targets, format_targets


def _row(variant, family, verdict, size, pruned=0.0, incidental=None, finetune_steps=0):
    return {
        "agent": "a",
        "variant": variant,
        "family": family,
        "status": "ok",
        "params": json.dumps({"finetune_steps": finetune_steps}),
        "verdict": verdict,
        "reward_mean": 100.0,
        "size_bytes": size,
        "time_mean_s": 0.01,
        "fastest_batch_median_s": 0.01 * size / 1000,
        "fastest_batch_backend": "torch-eager",
        "speedup_fastest_batch": 1000 / size,
        "pruned_sparsity": pruned,
        "incidental_zeros": incidental,
        "finetune_steps": finetune_steps,
        "amount": float("nan"),
        "storage": None,
        "binarized_compression": None,
    }


def test_targets_pick_non_inferior_variants_by_pruned_sparsity():
    summary = pd.DataFrame(
        [
            _row("fp32", "baseline", "baseline", 1000),
            _row("tiny_but_inferior", "prune_l1", "inferior", 10, pruned=0.99, finetune_steps=10),
            _row("qat", "qat_int8", "non-inferior", 300, incidental=0.02, finetune_steps=10),
            _row("l1_ft", "prune_l1", "non-inferior", 500, pruned=0.91, finetune_steps=10),
            _row("unsure", "low_rank", "inconclusive", 50),
        ]
    )
    result = agent_targets(summary, "a")
    assert result["smallest_noninferior"]["variant"] == "qat"
    assert result["sparsest_finetuned_noninferior"]["variant"] == "l1_ft"
    assert result["checks"]["≥ 90% sparsity non-inferior after fine-tuning"]


def test_a_target_with_no_row_to_count_is_not_tested_and_inferior_rows_never_meet_one():
    summary = pd.DataFrame(
        [
            _row("fp32", "baseline", "baseline", 1000),
            _row("bin", "binary", "inferior", 10, finetune_steps=10) | {"binarized_compression": 30.0},
            _row("unsure", "low_rank", "inconclusive", 50),
        ]
    )
    checks = agent_targets(summary, "a")["checks"]
    assert checks["≥ 90% sparsity non-inferior after fine-tuning"] is None  # no fine-tuned 90% row at all
    assert checks["sparse file ≤ 0.3× dense at 90% sparsity, non-inferior"] is None  # no sparse/dense pair
    assert checks["binarized layers ≥ 20× smaller, non-inferior"] is False  # 30x smaller, but inferior
    text = format_targets([agent_targets(summary, "a")])
    assert "[not tested] ≥ 90% sparsity" in text and "[NOT met] binarized" in text


def test_the_fastest_non_inferior_variant_is_the_answers_one():
    summary = pd.DataFrame(
        [
            _row("fp32", "baseline", "baseline", 1000),
            _row("fast_but_inferior", "prune_l1", "inferior", 10),
            _row("qat", "qat_int8", "non-inferior", 300),
        ]
    )
    assert agent_targets(summary, "a")["fastest_noninferior"] == fastest_noninferior(summary, "batch")
    assert agent_targets(summary, "a")["fastest_noninferior"]["variant"] == "qat"
