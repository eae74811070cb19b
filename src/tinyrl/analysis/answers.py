"""The report's answer first: per agent, the smallest and the fastest variants non-inferior to float32,
each in one sentence built from the summary row it names."""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.aggregate import noninferior, with_verdict
from tinyrl.analysis.columns import agent_rows
from tinyrl.analysis.speed import REGIME_LABELS, fastest_noninferior, regime_label
from tinyrl.compression.base import BASELINE
from tinyrl.statistics.inference import TOO_FEW


def training_seeds_text(row: pd.Series) -> str:
    """For a trained variant: how many training seeds its verdict rests on, and how many failed."""
    if not row.get("finetune_steps", 0):
        return ""
    seeds = int(row.get("training_seeds", 1))
    if seeds == 1:
        return ", one training seed"
    failed = int(row.get("training_seeds_failed", 0))
    return f" x {seeds} training seeds" + (f", {failed} of them failed" if failed else "")


def verdict_text(row: pd.Series) -> str:
    """A verdict with the paired episodes (and training seeds) it rests on, and how its interval was had when
    not by bootstrap."""
    method = row.get("reward_diff_method", "bootstrap")
    how = f", {method}" if method and method != "bootstrap" and not pd.isna(method) else ""
    return f"{row['verdict']} (n={int(row['paired_episodes'])} paired episodes{training_seeds_text(row)}{how})"


def reward_text(row: pd.Series) -> str:
    """The mean reward; for a recipe made from several training seeds, over all of them, with its lowest
    and highest seed."""
    text = f"reward {row['reward_mean']:.1f}"
    if row.get("training_seeds", 1) > 1 and not pd.isna(row.get("seed_reward_low")):
        text += f" over {int(row['training_seeds'])} training seeds (per seed {row['seed_reward_low']:.1f} to "
        text += f"{row['seed_reward_high']:.1f})"
    return text


def _reward(row: pd.Series, played_on: str = "") -> str:
    text = f"{reward_text(row)}{played_on}"
    if row["family"] == BASELINE:
        return text
    return (
        f"{text}, paired difference from float32 {row['reward_diff_mean']:+.1f} "
        f"[{row['reward_diff_ci_low']:.1f}, {row['reward_diff_ci_high']:.1f}]: {verdict_text(row)}"
    )


def without_verdict(rows: pd.DataFrame) -> str:
    """Why an agent's variants have no verdict, when none has one ('' when some do)."""
    lacking = rows[rows["verdict"] == TOO_FEW]
    if not with_verdict(rows).empty or lacking.empty:
        return ""
    episodes = int(lacking["paired_episodes"].max())
    return (
        f"no variant has a verdict: {episodes} paired episodes each, fewer than the "
        f"{int(lacking['min_paired_episodes'].iloc[0])} a verdict needs"
    )


def smallest_answer(rows: pd.DataFrame) -> str:
    good = noninferior(rows)
    if good.empty:
        return "smallest non-inferior: none (float32 failed)"
    row = good.loc[good["size_bytes"].idxmin()]
    if row["family"] == BASELINE:
        reason = without_verdict(rows) or "no smaller variant is non-inferior"
        return f"smallest non-inferior: float32 itself; {reason}"
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
    spread = (
        f" (rounds {pick['speedup_low']:.2f}-{pick['speedup_high']:.2f}x)"
        if pick["speedup_high"] > pick["speedup_low"]
        else ""
    )
    tie = (
        f"; a tie: not faster beyond the timing rounds' spread than {', '.join(pick['tied_with'])}"
        if pick["tied_with"]
        else ""
    )
    text = (
        f"fastest non-inferior at {label}: {who} on {pick['backend']}, {pick['median_s'] * 1e3:.3g} ms median, "
        f"{pick['speedup']:.2f}x float32 on torch eager{spread}{tie}; "
        f"{_reward(row, played_on(row, regime, pick['backend']))}"
    )
    reason = without_verdict(rows) if row["family"] == BASELINE else ""
    return f"{text}; {reason}" if reason else text


def played_on(row: pd.Series, regime: str, backend: str) -> str:
    """Which runtime played the reward's episodes, and, when the pick runs on another, how closely that one
    agreed with it: a reward is never shown as if the runtime it is printed beside had played it."""
    native = row["native_backend"]
    if backend == native:
        return f", played on {native}"
    observations = row.get(f"fastest_{regime}_eval_observations", float("nan"))
    diff = row.get(f"fastest_{regime}_eval_max_abs_diff", float("nan"))
    agreed = (
        f"{backend}'s outputs within {diff:.2g} of {native}'s on {int(observations)} of the episodes' observations"
        if not pd.isna(observations) and not pd.isna(diff)
        else f"{backend} agreed with {native} on the timing batches"
    )
    return f", played on {native}, not on {backend} ({agreed})"


def agent_answers(summary: pd.DataFrame, agent: str) -> list[str]:
    """The answer sentences for one agent (empty if it has no float32 row)."""
    rows, base = agent_rows(summary, agent)
    if base.empty:
        return []
    return [smallest_answer(rows), *(fastest_answer(rows, regime) for regime in REGIME_LABELS)]
