"""The report's answer first: per agent, the smallest and the fastest variants non-inferior to float32,
each in one sentence built from the summary row it names."""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.aggregate import noninferior, with_verdict
from tinyrl.analysis.columns import agent_rows
from tinyrl.analysis.speed import REGIME_LABELS, fastest_noninferior, regime_label
from tinyrl.compression.base import BASELINE
from tinyrl.statistics.inference import INFERIOR, TOO_FEW


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


def agent_answers(summary: pd.DataFrame, agent: str, deployment: dict | None = None) -> list[str]:
    """The answer sentences for one agent (empty if it has no float32 row), each followed by what was shipped
    for it and how that file played in its runtime when the agent's `deployment` (its deploy.json) is given."""
    rows, base = agent_rows(summary, agent)
    if base.empty:
        return []
    lines = [smallest_answer(rows), *(fastest_answer(rows, regime) for regime in REGIME_LABELS)]
    if deployment is None:
        return lines
    keys = [SMALLEST, *REGIME_LABELS]
    return [f"{line}. {shipped_text(deployment['answers'].get(key), rows)}" for line, key in zip(lines, keys)]


def _file_kb(attempt: dict) -> str:
    return f"{attempt['file_bytes'] / 1024:.4g} KB"


def _played_text(attempt: dict) -> str:
    diff = attempt["paired_difference"]
    interval = f" [{diff['ci_low']:.1f}, {diff['ci_high']:.1f}]" if not pd.isna(diff["ci_low"]) else ""
    same = "; the variant's evaluation episodes, return for return" if attempt["same_returns_as_variant"] else ""
    return (
        f"reward {attempt['reward_mean']:.1f}, paired difference from float32 {diff['mean']:+.1f}{interval}: "
        f"{attempt['verdict']} (n={diff['episodes']}){same}"
    )


def _try_text(attempt: dict) -> str:
    """One try at shipping a pick, when it did not become the answer's file."""
    who = f"{attempt['variant']} on {attempt['backend']}"
    if "failed" in attempt:
        return f"{who} could not be shipped ({attempt['failed']})"
    outcome = "lost reward" if attempt["verdict"] == INFERIOR else "did not show that it keeps float32's reward"
    return f"{who}'s {attempt['file']} {outcome} in {attempt['runtime']} ({_played_text(attempt)})"


def shipped_text(record: dict | None, rows: pd.DataFrame) -> str:
    """What was shipped for one answer (tinyrl.stages.deploy): the file, its runtime, and how it played there;
    the picks whose files lost reward or could not be made, and the next pick that took their place."""
    if record is None or not record["tries"]:
        return "Nothing shipped: no pick to ship"
    lost = [_try_text(attempt) for attempt in record["tries"] if not attempt.get("kept_reward")]
    before = f"{'; '.join(lost)}; " if lost else ""
    if record["chosen"] is None:
        left = f" ({record['candidates_left']} further picks not tried)" if record["candidates_left"] else ""
        return f"Not shipped: {before}no shipped file kept float32's reward{left}"
    attempt = record["tries"][-1]
    row = rows[rows["variant"] == attempt["variant"]].iloc[0]
    seed = "its first training seed's file, " if row.get("training_seeds", 1) > 1 else ""
    instead = f"instead {attempt['variant']} on {attempt['backend']}: " if lost else ""
    rule = "action rule inside" if attempt["rule_in_file"] else "action rule left to the host (see policy.json)"
    versions = [f"{name} {version}" for name, version in attempt["versions"].items()]
    if attempt.get("build"):  # a C file: no Python distribution behind it, the line that builds it instead
        versions.append(f"built by `{attempt['build']}`")
    return (
        f"Shipped: {before}{instead}`{record['folder']}/{attempt['file']}` ({seed}{_file_kb(attempt)}, {rule}, "
        f"{', '.join(versions)}), played in {attempt['runtime']}: {_played_text(attempt)}"
    )


SMALLEST = "smallest"
# How far down its ranking an answer goes when the shipped files of its first picks do not keep float32's reward
# (tinyrl.stages.deploy): each try is an export and a full evaluation.
CANDIDATES_PER_ANSWER = 3


def answer_keys(rows: pd.DataFrame) -> dict[str, str]:
    """Each answer's key (SMALLEST, or a timing regime) and its name as a folder: smallest,
    fastest_at_batch_100, fastest_at_batch_1."""
    return {SMALLEST: SMALLEST} | {
        regime: f"fastest_at_{regime_label(rows, regime).replace(' ', '_')}" for regime in REGIME_LABELS
    }


def answer_candidates(rows: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Per answer, the non-inferior (variant, backend) pairs in the order the answer ranks them: by file size
    (on the variant's own backend), or by median time in the regime (on its fastest agreeing backend). The
    first is the answer the summary gives; a deployed file that loses reward hands the answer to the next."""
    good = noninferior(rows)
    by_size = good.sort_values("size_bytes", kind="stable")
    candidates = {SMALLEST: list(zip(by_size["variant"], by_size["native_backend"]))}
    for regime in REGIME_LABELS:
        median, backend = f"fastest_{regime}_median_s", f"fastest_{regime}_backend"
        timed = good.dropna(subset=[median]).sort_values(median, kind="stable")
        candidates[regime] = list(zip(timed["variant"], timed[backend]))
    return candidates
