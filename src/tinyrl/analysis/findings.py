"""Study B's claims (SPEC §3) re-tested on this run's summary table.

Each finding states the claim, what our rows show (every number read off the
table), and a verdict: "agrees", "disagrees", "mixed", "inconclusive" or "not
tested" (the rows it needs are not in this study). Reward claims are read from
paired differences on the same episode seeds, never from overlapping CIs. Resource measurements (evaluation wall time,
memory, CPU utilisation) are single measurements per variant; differences under
NOISE (10%) are treated as no difference. Evaluation time is compared per
environment step, since a policy that fails early plays shorter episodes.
"""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.columns import agent_rows
from tinyrl.families import families_feeding
from tinyrl.statistics.summaries import confidence_label

NOISE = 0.10
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
    """Each fine-tuned variant's paired gain over its naive twin (same episode seeds) against the agent's
    non-inferiority margin: a gain whose CI lies below the margin is "little", above it a real gain."""
    claim = "fine-tuning gives little over naive compression"
    pairs = rows[rows["naive_twin"].notna()]
    if pairs.empty:
        return _finding(agent, claim, "needs a fine-tuned variant and its naive twin", "not tested")
    kinds = []
    for _, t in pairs.iterrows():
        margin, low, high = t["noninferiority_margin"], t["finetune_gain_ci_low"], t["finetune_gain_ci_high"]
        if t.get("paired_episodes", 0) < t.get("min_paired_episodes", 0):  # as few as carry no verdict
            kinds.append("too few episodes")
            continue
        kinds.append("gain" if low > margin else "little" if high < margin else "inconclusive")
    parts = [
        f"{t['variant']} ({t['finetune_with']}, {t['finetune_time_s']:.0f} s) vs {t['naive_twin']}: "
        f"{t['finetune_gain_mean']:+.1f} [{t['finetune_gain_ci_low']:.1f}, {t['finetune_gain_ci_high']:.1f}] ({kind})"
        for (_, t), kind in zip(pairs.iterrows(), kinds)
    ]
    margin = pairs["noninferiority_margin"].iloc[0]
    summary = (
        f"paired gain over the naive twin with its {confidence_label(pairs)} CI, against a margin of {margin:.1f}: "
        f"{kinds.count('gain')} of {len(kinds)} gain more, {kinds.count('little')} gain less"
    )
    if all(kind == "little" for kind in kinds):
        verdict = "agrees"
    elif all(kind == "gain" for kind in kinds):
        verdict = "disagrees"
    elif "inconclusive" in kinds or "too few episodes" in kinds:
        verdict = "inconclusive"
    else:
        verdict = "mixed"
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
    # the claim is "no gain": RAM and CPU not lower than float32's beyond the noise (higher is no gain either)
    no_gain = ram >= 1 - NOISE and cpu >= 1 - NOISE
    verdict = "agrees" if storage_agrees and no_gain else "disagrees" if not storage_agrees else "mixed"
    return _finding(agent, claim, data, verdict)


def study_b_findings(summary: pd.DataFrame) -> list[dict]:
    findings = []
    for agent in summary["agent"].unique():
        rows, base = agent_rows(summary, agent, ok_only=True)
        if base.empty:
            continue
        base = base.iloc[0]
        findings += [
            rank_vs_pruning(agent, rows, base),
            finetuned_vs_naive(agent, rows),
            qat_storage(agent, rows, base),
        ]
    return findings
