"""The summary columns a rerun reproduces bit for bit (timings are not among them), and the check of a
run's summary against a committed one: `tools/check_tables.py`, CI and the end-to-end tests use it."""

from __future__ import annotations

import sys
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
    "reward_diff_method",
    "paired_episodes",
    "verdict",
    "finetune_gain_mean",
    "training_seeds",
    "seed_reward_low",
    "seed_reward_high",
]


def deterministic_columns(summary_csv: str | Path) -> pd.DataFrame:
    return pd.read_csv(summary_csv)[DETERMINISTIC_COLUMNS]


# What a variant played in another runtime (ONNX Runtime, ExecuTorch, OpenVINO) shows of its play: that
# runtime's kernels pick their code path by the CPU, so these are compared only on the CPU that wrote them.
PLAYED_COLUMNS = [column for column in DETERMINISTIC_COLUMNS if column.startswith(("reward", "seed_reward", "verdict"))]


def in_other_runtimes(summary: pd.DataFrame) -> pd.Series:
    """The rows played in another runtime's kernels (eval_numerics `native (<runtime>'s own kernels)`)."""
    labels = summary.get("eval_numerics", pd.Series("", index=summary.index)).fillna("")
    return labels.str.endswith("'s own kernels)")


def differences(summary_csv: str | Path, expected_csv: str | Path) -> str | None:
    """None if the summary's deterministic columns equal the expected file's exactly; else what differs.
    One file serves every x86-64 CPU with AVX2 and FMA: the jobs that decide these columns run with portable
    numerics (tinyrl.jobs.numerics), so no CPU's kernels change them; the rows played in another runtime's
    kernels are compared on what they are (sizes, parameters) and not on what they played (PLAYED_COLUMNS)."""
    summary = pd.read_csv(summary_csv)
    actual, expected = summary[DETERMINISTIC_COLUMNS].copy(), pd.read_csv(expected_csv)[DETERMINISTIC_COLUMNS]
    if len(actual) == len(expected):
        other = in_other_runtimes(summary).to_numpy()
        if other.any():  # as objects in both, so that a masked column's dtype says nothing either
            for frame in (actual, expected):
                frame[PLAYED_COLUMNS] = frame[PLAYED_COLUMNS].astype(object)
                frame.loc[other, PLAYED_COLUMNS] = None
    try:
        pd.testing.assert_frame_equal(actual, expected, check_exact=True)
    except AssertionError as exc:
        return f"{summary_csv} differs from {expected_csv} in its deterministic columns:\n{exc}"
    return None


def record_expected(summary_csv: str | Path, expected_csv: str | Path) -> Path:
    """Write the summary's deterministic columns as the expected file (after an intended change)."""
    Path(expected_csv).parent.mkdir(parents=True, exist_ok=True)
    deterministic_columns(summary_csv).to_csv(expected_csv, index=False)
    return Path(expected_csv)


def workflow_command(snakefile: Path, workdir: Path, config: Path, cores: int, *args: str) -> list[str]:
    """The command line of a study run in `workdir`. tools/check_tables.py and the end-to-end tests build
    it alike, so that the tests can continue the very study the check ran (same config path, same cores)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "--directory",
        str(workdir),
        "--configfile",
        str(config),
        "--cores",
        str(cores),
        *args,
    ]
