"""The report's answer first: per agent, the smallest and the fastest variants non-inferior to float32,
each in one sentence built from the summary row it names."""

from __future__ import annotations

import pandas as pd

from tinyrl.aggregate import noninferior
from tinyrl.compression.base import BASELINE
from tinyrl.speed import REGIME_LABELS, fastest_noninferior, regime_label


def _reward(row: pd.Series) -> str:
    text = f"reward {row['reward_mean']:.1f}"
    if row["family"] == BASELINE:
        return text
    return (
        f"{text}, paired difference from float32 {row['reward_diff_mean']:+.1f} "
        f"[{row['reward_diff_ci_low']:.1f}, {row['reward_diff_ci_high']:.1f}]: {row['verdict']}"
    )


def smallest_answer(rows: pd.DataFrame) -> str:
    good = noninferior(rows)
    if good.empty:
        return "smallest non-inferior: none (float32 failed)"
    row = good.loc[good["size_bytes"].idxmin()]
    if row["family"] == BASELINE:
        return "smallest non-inferior: float32 itself; no smaller variant is non-inferior"
    return (
        f"smallest non-inferior: {row['variant']}, {row['size_mb']:.4g} MB, {row['size_ratio']:.3g}x float32's "
        f"file; {_reward(row)}"
    )


def fastest_answer(rows: pd.DataFrame, regime: str) -> str:
    label = regime_label(rows, regime)
    pick = fastest_noninferior(rows, regime)
    if pick is None:
        return f"fastest non-inferior at {label}: none timed"
    row = rows[rows["variant"] == pick["variant"]].iloc[0]
    who = "float32 itself" if row["family"] == BASELINE else pick["variant"]
    return (
        f"fastest non-inferior at {label}: {who} on {pick['backend']}, {pick['median_s'] * 1e3:.3g} ms median, "
        f"{pick['speedup']:.2f}x float32 on torch eager; {_reward(row)}"
    )


def agent_answers(summary: pd.DataFrame, agent: str) -> list[str]:
    """The answer sentences for one agent (empty if it has no float32 row)."""
    rows = summary[summary["agent"] == agent]
    if rows[rows["family"] == BASELINE].empty:
        return []
    return [smallest_answer(rows), *(fastest_answer(rows, regime) for regime in REGIME_LABELS)]
