"""The summary columns a rerun reproduces bit for bit (timings are not among them), and the check of a
run's summary against a committed one: `tools/check_tables.py`, CI and the end-to-end tests use it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from tinyrl.provenance import cpu_model

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


# What no CPU's kernels change: the rewards move with the CPU (its int8 kernels, AVX-512 or AVX2 float
# kernels: the same tiny study gives other rewards on an Intel Xeon with AMX than on an AMD EPYC).
CPU_INDEPENDENT_COLUMNS = ["agent", "variant", "family", "status", "episodes", "size_bytes", "parameters", "nonzeros"]


def deterministic_columns(summary_csv: str | Path) -> pd.DataFrame:
    return pd.read_csv(summary_csv)[DETERMINISTIC_COLUMNS]


def cpu_slug(model: str | None = None) -> str:
    """This machine's CPU model (tinyrl.provenance.cpu_model) as a file name: 'AMD EPYC' -> 'amd-epyc'."""
    return re.sub(r"[^a-z0-9]+", "-", (model or cpu_model()).lower()).strip("-")


def expected_file(folder: str | Path, model: str | None = None) -> Path:
    """The expected deterministic columns recorded on this machine's CPU model: `folder`/<cpu_slug>.csv."""
    return Path(folder) / f"{cpu_slug(model)}.csv"


def differences(summary_csv: str | Path, expected_csv: str | Path, columns: list[str] | None = None) -> str | None:
    """None if the summary's deterministic columns (or `columns` of them) equal the expected file's exactly;
    else what differs."""
    columns = columns or DETERMINISTIC_COLUMNS
    try:
        pd.testing.assert_frame_equal(
            deterministic_columns(summary_csv)[columns], pd.read_csv(expected_csv)[columns], check_exact=True
        )
    except AssertionError as exc:
        return f"{summary_csv} differs from {expected_csv} in its deterministic columns:\n{exc}"
    return None


def record_expected(summary_csv: str | Path, folder: str | Path) -> Path:
    """Write the summary's deterministic columns as this CPU model's expected file (after an intended change)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = expected_file(folder)
    deterministic_columns(summary_csv).to_csv(path, index=False)
    return path


def recorded_expectations(folder: str | Path) -> list[tuple[Path, list[str]]]:
    """What a run on this machine is compared with: (file, columns) pairs. Every deterministic column of the
    file of this machine's CPU model; on a CPU with no file, the CPU-independent columns of every file."""
    mine = expected_file(folder)
    if mine.exists():
        return [(mine, DETERMINISTIC_COLUMNS)]
    return [(path, CPU_INDEPENDENT_COLUMNS) for path in sorted(Path(folder).glob("*.csv"))]


def check_against_recorded(summary_csv: str | Path, folder: str | Path) -> tuple[str | None, str]:
    """Compare a summary with the expected columns recorded in `folder` (recorded_expectations).
    Returns (what differs or None, what was compared)."""
    expectations = recorded_expectations(folder)
    if not expectations:
        return f"no expected columns recorded in {folder}", "nothing"
    problems = [problem for path, columns in expectations if (problem := differences(summary_csv, path, columns))]
    if expectations[0][0] == expected_file(folder):
        compared = f"every deterministic column against {expectations[0][0]}"
    else:
        names = ", ".join(path.name for path, _ in expectations)
        compared = (
            f"the CPU-independent columns ({', '.join(CPU_INDEPENDENT_COLUMNS)}) against {names}: no rewards are "
            f"recorded for this CPU ({cpu_model()}; --update records them as {expected_file(folder).name})"
        )
    return "\n".join(problems) or None, compared


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
