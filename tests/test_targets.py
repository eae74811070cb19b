"""The compression targets read non-inferior variants and pruned sparsity, never incidental zeros."""

import json

import pandas as pd

from tinyrl.targets import agent_targets


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
