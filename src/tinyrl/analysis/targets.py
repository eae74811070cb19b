"""What the compression study promises, checked on a summary table (benchmark script and report).

"Non-inferior" is the paired verdict against float32 on the same episode seeds (tinyrl.statistics.inference): the CI of
the per-episode reward difference lies above minus the config's margin. Every target counts non-inferior
variants only; a target is "not tested" (None) where no row of its kind carries a verdict at all (none
exists, or each was played on too few episodes).
"""

from __future__ import annotations

import json

import pandas as pd

from tinyrl.analysis.aggregate import noninferior, with_verdict
from tinyrl.analysis.columns import agent_rows
from tinyrl.analysis.speed import check_mark, fastest_noninferior
from tinyrl.compression.base import BASELINE
from tinyrl.families import families_feeding


def _pick(df: pd.DataFrame, column: str, largest: bool = False) -> dict | None:
    if df.empty:
        return None
    row = df.loc[df[column].idxmax() if largest else df[column].idxmin()]
    return {"variant": row["variant"], "reward": row["reward_mean"], column: row[column]}


def sparse_vs_dense(rows: pd.DataFrame, sparsity: float = 0.9) -> list[dict]:
    """Pairs of unstructured-pruning variants identical but for storage, at the given amount."""
    l1 = rows[rows["family"].isin(families_feeding("magnitude_pruning")) & (rows["status"] == "ok")].copy()
    # Variants identical but for storage: the same family and parameters once storage is set aside.
    l1["key"] = [
        family
        + json.dumps({k: v for k, v in json.loads(p).items() if k not in ("storage", "sparse_format")}, sort_keys=True)
        for family, p in zip(l1["family"], l1["params"])
    ]
    pairs = []
    for _, group in l1[l1["amount"].round(3) == sparsity].groupby("key"):
        dense, sparse = group[group["storage"] == "dense"], group[group["storage"] == "sparse"]
        if len(dense) and len(sparse):
            d, s = dense.iloc[0], sparse.iloc[0]
            pairs.append(
                {
                    "dense": d["variant"],
                    "sparse": s["variant"],
                    "ratio": s["size_bytes"] / d["size_bytes"],
                    "sparse_time_ratio": s["time_mean_s"] / d["time_mean_s"],
                }
            )
    return pairs


def agent_targets(summary: pd.DataFrame, agent: str) -> dict:
    rows, base = agent_rows(summary, agent)
    if base.empty:
        return {"agent": agent, "error": "no baseline variant"}
    good = noninferior(rows[rows["family"] != BASELINE])
    tuned = good[good["finetune_steps"] > 0]
    judged = with_verdict(rows)  # a target with no such row is "not tested"
    pruned_tuned = judged[(judged["finetune_steps"] > 0) & (judged["pruned_sparsity"].fillna(0) >= 0.9)]
    all_pairs = [pair for pair in sparse_vs_dense(rows) if pair["sparse"] in set(judged["variant"])]
    pairs = [pair for pair in all_pairs if pair["sparse"] in set(good["variant"])]
    binary_rows = judged[judged["family"].isin(families_feeding("binary_packing"))]
    binary = good[good["family"].isin(families_feeding("binary_packing"))]
    best_sparsity = _pick(tuned, "pruned_sparsity", largest=True)
    result = {
        "agent": agent,
        "baseline_reward": base["reward_mean"].iloc[0],
        "smallest_noninferior": _pick(good, "size_bytes"),
        # one definition with the Answers and the speed targets: the lowest median on the fastest agreeing
        # backend, batch regime (tinyrl.analysis.speed.fastest_noninferior)
        "fastest_noninferior": fastest_noninferior(rows, "batch"),
        "sparsest_finetuned_noninferior": best_sparsity,
        "sparse_vs_dense_at_90pct": pairs,
        "binary_packing": binary["binarized_compression"].tolist(),
    }
    result["checks"] = {
        "≥ 90% sparsity non-inferior after fine-tuning": None
        if pruned_tuned.empty
        else bool(best_sparsity and best_sparsity["pruned_sparsity"] >= 0.9),
        # a non-inferior sparse file: its size against the same weights stored dense
        "sparse file ≤ 0.3× dense at 90% sparsity, non-inferior": None
        if not all_pairs
        else bool(pairs) and all(p["ratio"] <= 0.3 for p in pairs),
        "binarized layers ≥ 20× smaller, non-inferior": None
        if binary_rows.empty
        else bool(len(binary)) and bool((binary["binarized_compression"] >= 20).all()),
    }
    return result


def format_targets(results: list[dict]) -> str:
    lines = []
    for r in results:
        lines.append(f"== {r['agent']} (baseline reward {r.get('baseline_reward', float('nan')):.1f}) ==")
        for key in ("smallest_noninferior", "fastest_noninferior", "sparsest_finetuned_noninferior"):
            pick = r.get(key)
            lines.append(
                f"  {key.replace('_', ' ')}: "
                + (
                    "none"
                    if not pick
                    else ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in pick.items())
                )
            )
        for pair in r.get("sparse_vs_dense_at_90pct", []):
            lines.append(
                f"  sparse/dense file at 90%: {pair['sparse']} / {pair['dense']} = {pair['ratio']:.3f} "
                f"(forward time x{pair['sparse_time_ratio']:.2f})"
            )
        for name, ok in r.get("checks", {}).items():
            lines.append(f"  [{check_mark(ok)}] {name}")
    return "\n".join(lines)
