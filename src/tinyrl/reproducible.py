"""The summary columns a rerun reproduces bit for bit (timings are not among them), and the check of a
run's summary against a committed one: `tools/check_tables.py`, CI and the end-to-end tests use it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DETERMINISTIC_COLUMNS = [
    "agent",
    "variant",
    "family",
    "status",
    "reward_mean",
    "reward_std",
    "reward_ci_low",
    "reward_ci_high",
    "episodes",
    "size_bytes",
    "parameters",
    "nonzeros",
    "sparsity",
    "random_reward_mean",
    "reward_iqm",
    "reward_diff_mean",
    "reward_diff_ci_low",
    "reward_diff_ci_high",
    "verdict",
    "finetune_gain_mean",
]


def deterministic_columns(summary_csv: str | Path) -> pd.DataFrame:
    return pd.read_csv(summary_csv)[DETERMINISTIC_COLUMNS]


def differences(summary_csv: str | Path, expected_csv: str | Path) -> str | None:
    """None if the summary's deterministic columns equal the expected file's exactly; else what differs."""
    try:
        pd.testing.assert_frame_equal(deterministic_columns(summary_csv), pd.read_csv(expected_csv), check_exact=True)
    except AssertionError as exc:
        return f"{summary_csv} differs from {expected_csv} in its deterministic columns:\n{exc}"
    return None
