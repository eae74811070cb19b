"""All variants: the summary's main columns for every variant."""

from __future__ import annotations

from tinyrl.reporting.sections.record import ReportInputs, Section

SHOWN_COLUMNS = {  # summary column -> header
    "agent": "agent",
    "variant": "variant",
    "family": "family",
    "status": "status",
    "reward_mean": "reward",
    "reward_ci_low": "CI low",
    "reward_ci_high": "CI high",
    "verdict": "verdict",
    "paired_episodes": "paired episodes",
    "training_seeds": "training seeds",
    "reward_iqm": "reward IQM",
    "size_mb": "size (MB)",
    "pruned_sparsity": "pruned sparsity",
    "incidental_zeros": "zero weights, not pruned",
    "time_mean_s": "time mean (s)",
    "time_median_s": "time median (s)",
    "time_iqr_s": "time IQR (s)",
    "speedup": "speed-up",
    "eval_wall_time_s": "eval wall (s)",
    "eval_us_per_step": "eval µs/step",
    "peak_rss_mb": "peak RSS (MB)",
    "rss_increase_mb": "RSS increase (MB)",
    "cpu_percent": "CPU%",
}


def context(inputs: ReportInputs) -> dict:
    return {"summary": inputs.summary[list(SHOWN_COLUMNS)].rename(columns=SHOWN_COLUMNS)}


SECTION = Section("all_variants", context)
