"""Study B's claims (SPEC §3) re-tested on this run's summary table.

Each finding states the claim, what our rows show (every number read off the
table), and a verdict: "agrees", "disagrees", "mixed" or "not tested" (the rows
it needs are not in this study). Resource measurements (evaluation wall time,
memory, CPU utilisation) are single measurements per variant; differences under
NOISE (10%) are treated as no difference. Evaluation time is compared per
environment step, since a policy that fails early plays shorter episodes.
"""

from __future__ import annotations

import json

import pandas as pd

from tinyrl.compression.base import BASELINE
from tinyrl.families import families_feeding

NOISE = 0.10
FINETUNE_KEYS = ("finetune_steps", "finetune_with")
# Evaluation time per environment step: a crashing policy plays shorter episodes, which would
# otherwise pass for a faster one.
RESOURCES = {
    "eval_us_per_step": "evaluation time per env step",
    "rss_increase_mb": "RAM increase",
    "cpu_percent": "CPU%",
}
SEED_QAT = "0.3 MB -> 0.1 MB (0.075 MB theoretical), no RAM/CPU gain"


def _finding(agent: str, claim: str, our_data: str, verdict: str) -> dict:
    return {"agent": agent, "claim": claim, "our_data": our_data, "verdict": verdict}


def _naive_key(row: pd.Series) -> str:
    params = {k: v for k, v in json.loads(row["params"]).items() if k not in FINETUNE_KEYS}
    return f"{row['family']}|{json.dumps(params, sort_keys=True)}"


def _ratios(rows: pd.DataFrame, base: pd.Series, column: str) -> pd.Series:
    return rows[column] / base[column] if base[column] else rows[column] * float("nan")


def rank_vs_pruning(agent: str, rows: pd.DataFrame, base: pd.Series) -> dict:
    claim = "rank reduction cuts RAM, CPU and evaluation time far more than pruning"
    naive = rows[rows["finetune_steps"] == 0]
    low_rank = naive[naive["family"].isin(families_feeding("rank_share"))]
    pruned = naive[naive["family"].isin(families_feeding("magnitude_pruning"))]
    if low_rank.empty or pruned.empty:
        return _finding(agent, claim, "needs naive low_rank and prune_l1 variants", "not tested")
    parts, tested, wins = [], 0, 0
    for column, label in RESOURCES.items():
        lr, pr = _ratios(low_rank, base, column).median(), _ratios(pruned, base, column).median()
        if pd.isna(lr) or pd.isna(pr):  # e.g. a float32 RAM increase of 0: no ratio to compare
            parts.append(f"{label}: not tested (float32's value is {base[column]:.3g}, so there is no ratio)")
            continue
        parts.append(
            f"{label}: low-rank x{lr:.2f}, pruning x{pr:.2f} of fp32 (medians of "
            f"{len(low_rank)} and {len(pruned)} variants)"
        )
        tested += 1
        wins += bool(pr - lr > NOISE)
    if not tested:
        verdict = "not tested"
    else:  # over the resources that could be compared; the others say "not tested" above
        verdict = "agrees" if wins == tested else "disagrees" if wins == 0 else "mixed"
    return _finding(agent, claim, "; ".join(parts), verdict)


def finetuned_vs_naive(agent: str, rows: pd.DataFrame) -> dict:
    claim = "fine-tuning gives little over naive compression"
    naive = {_naive_key(r): r for _, r in rows[rows["finetune_steps"] == 0].iterrows()}
    pairs = [
        (naive[_naive_key(r)], r) for _, r in rows[rows["finetune_steps"] > 0].iterrows() if _naive_key(r) in naive
    ]
    if not pairs:
        return _finding(agent, claim, "needs a fine-tuned variant and its naive twin", "not tested")
    better = [(n, t) for n, t in pairs if t["reward_ci_low"] > n["reward_ci_high"]]
    parts = [
        f"{t['variant']} ({t['finetune_with']}, {t['finetune_time_s']:.0f} s): {t['reward_mean']:.1f} vs naive "
        f"{n['variant']} {n['reward_mean']:.1f}"
        for n, t in pairs
    ]
    summary = f"{len(better)} of {len(pairs)} fine-tuned variants beat their naive twin beyond both CIs"
    verdict = "agrees" if not better else "disagrees" if len(better) > len(pairs) / 2 else "mixed"
    return _finding(agent, claim, f"{summary}: " + "; ".join(parts), verdict)


def qat_storage(agent: str, rows: pd.DataFrame, base: pd.Series) -> dict:
    claim = f"8-bit QAT storage {SEED_QAT}"
    qat = rows[rows["family"].isin(families_feeding("qat"))]
    if qat.empty:
        return _finding(agent, claim, "needs a qat_int8 variant", "not tested")
    row = qat.iloc[0]
    size_ratio = row["size_bytes"] / base["size_bytes"]
    ram, cpu = (row[c] / base[c] if base[c] else float("nan") for c in ("rss_increase_mb", "cpu_percent"))
    data = (
        f"{base['size_mb']:.3f} MB -> {row['size_mb']:.3f} MB (x{size_ratio:.2f}; int8 weights alone would be "
        f"x0.25); RAM increase x{ram:.2f}, CPU% x{cpu:.2f} of fp32"
    )
    storage_agrees = size_ratio < 0.4
    no_gain = abs(ram - 1) <= NOISE and abs(cpu - 1) <= NOISE
    verdict = "agrees" if storage_agrees and no_gain else "disagrees" if not storage_agrees else "mixed"
    return _finding(agent, claim, data, verdict)


def study_b_findings(summary: pd.DataFrame) -> list[dict]:
    findings = []
    for agent in summary["agent"].unique():
        rows = summary[(summary["agent"] == agent) & (summary["status"] == "ok")]
        base = rows[rows["family"] == BASELINE]
        if base.empty:
            continue
        base = base.iloc[0]
        findings += [
            rank_vs_pruning(agent, rows, base),
            finetuned_vs_naive(agent, rows),
            qat_storage(agent, rows, base),
        ]
    return findings
