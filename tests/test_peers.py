"""The side-by-side table and the race between tiny_rl's recommendation and the peer toolchains."""

import pandas as pd

from tinyrl.analysis.peers import OURS, format_races, made_with, race, side_by_side


def _variant(variant, family, verdict, batch_ms, latency_ms, size_mb=1.0, table="quantization"):
    return {
        "agent": "lunarlander",
        "variant": variant,
        "family": family,
        "table": table,
        "status": "ok",
        "verdict": verdict,
        "reward_mean": 200.0,
        "size_mb": size_mb,
        "timing_batch_size": 100,
        "fastest_batch_backend": "torch-eager",
        "fastest_batch_median_s": batch_ms / 1e3,
        "speedup_fastest_batch": 1.0 / batch_ms,
        "fastest_latency_backend": "torch-eager",
        "fastest_latency_median_s": latency_ms / 1e3,
        "speedup_fastest_latency": 0.1 / latency_ms,
    }


SUMMARY = pd.DataFrame(
    [
        _variant("fp32", "baseline", "baseline", 1.0, 0.1, 5.0, table="baseline"),
        _variant("static_qint8_x86", "ptq_static", "non-inferior", 0.5, 0.08),
        _variant("executorch_int8", "executorch_program", "non-inferior", 0.25, 0.09),
        _variant("torchao_int8_dynamic", "torchao_quant", "inferior", 0.1, 0.01),  # fastest, but loses reward
        _variant("l1_0.9", "prune_l1", "non-inferior", 0.9, 0.09, table="unstructured"),
    ]
)
BACKENDS = pd.DataFrame(
    [
        {"agent": "lunarlander", "variant": v, "backend": b, "status": "ok", "agrees": agrees}
        | {"batch_median_s": t / 1e3, "latency_median_s": lt / 1e3}
        | {"eval_observations": 256, "eval_action_agreement": 1.0 if agrees else 0.75, "eval_max_abs_diff": 0.5}
        for v, b, agrees, t, lt in [
            ("fp32", "torch-eager", True, 1.0, 0.1),
            ("static_qint8_x86", "torch-eager", True, 0.5, 0.08),
            ("static_qint8_x86", "torch-eager[qnnpack]", False, 2.0, 0.2),
            ("executorch_int8", "executorch", True, 0.25, 0.09),
            ("torchao_int8_dynamic", "torch-compile", True, 0.1, 0.01),
            ("l1_0.9", "torch-eager", True, 0.9, 0.09),
        ]
    ]
    + [
        {"agent": "lunarlander", "variant": "executorch_int8", "backend": "torch-compile", "status": "failed"}
        | {"agrees": False, "reason": "BackendCompilerFailed: AssertionError"},
        {"agent": "lunarlander", "variant": "executorch_int8", "backend": "onnxruntime", "status": "unavailable"}
        | {"agrees": False, "reason": "the variant is a program for executorch"},
    ]
)


def test_families_name_the_toolchain_they_stand_for():
    assert made_with("ptq_static") == OURS
    assert made_with("torchao_quant") == "torchao"
    assert made_with("executorch_program") == "ExecuTorch"


def test_side_by_side_lists_every_quantized_path_with_its_ratio_to_float32_eager():
    table = side_by_side(SUMMARY, BACKENDS, "lunarlander")
    assert "l1_0.9" not in set(table["variant"])  # pruning has its own table
    assert list(table["made with"]) == [OURS] * 3 + ["ExecuTorch", "ExecuTorch", "torchao"]
    assert "onnxruntime" not in set(table.loc[table["variant"] == "executorch_int8", "runs on"])  # cannot: not shown
    failed = table[table["runs on"] == "torch-compile"].iloc[0]
    assert failed["outputs"] == "failed: BackendCompilerFailed: AssertionError"  # tried and failed: shown, why
    row = table[table["variant"] == "executorch_int8"].iloc[0]
    assert row["batch 100: x fp32 eager"] == 4.0 and row["runs on"] == "executorch"
    qnnpack = table[table["runs on"] == "torch-eager[qnnpack]"].iloc[0]
    assert qnnpack["outputs"] == "differ"
    assert qnnpack["on its evaluation's observations"] == "75.0% same actions, max |Δ| 0.5 over 256"


def test_the_race_counts_non_inferior_variants_only_and_names_the_winner():
    result = race(SUMMARY, "lunarlander")
    batch, latency = result["regimes"]["batch"], result["regimes"]["latency"]
    # torchao is faster still, but inferior in reward: the best peer is ExecuTorch
    assert batch["peer"]["variant"] == "executorch_int8" and batch["peer"]["made_with"] == "ExecuTorch"
    assert batch["ours"]["variant"] == "static_qint8_x86"
    assert not batch["ours_faster"] and batch["ratio"] == 2.0
    assert latency["ours_faster"] and round(latency["ratio"], 3) == 1.125
    text = format_races([result])
    assert "batch 100: ExecuTorch wins, 2.00x faster than tiny_rl" in text
    assert "batch 1: tiny_rl wins, 1.12x faster than ExecuTorch" in text


def test_a_study_without_peers_says_so():
    ours_only = SUMMARY[SUMMARY["family"].map(made_with) == OURS]
    assert "no variant of a peer toolchain in this study" in format_races([race(ours_only, "lunarlander")])
