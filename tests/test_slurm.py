"""The workflow on a real SLURM (tools/local-slurm.sh starts one; .ci/run does): the deterministic
columns of a run through `--workflow-profile profiles/slurm` equal the committed local ones."""

from __future__ import annotations

import os
import subprocess
import time

import pandas as pd
import pytest
import yaml
from conftest import REPO, TINY_CONFIG
from workflow_helpers import EXPECTED, snakemake_command

from tinyrl.analysis.reproducible import DETERMINISTIC_COLUMNS

SLURM_CONF = os.environ.get("TINYRL_SLURM_CONF")
VARIANTS = ["fp32", "dynamic_qint8"]  # to the tables: SLURM changes where jobs run, not what they compute


@pytest.mark.skipif(not SLURM_CONF, reason="no local SLURM: start one with tools/local-slurm.sh (as .ci/run does)")
def test_the_tiny_study_through_slurm_equals_the_local_run(tmp_path):
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["agents"] = {"lunarlander": config["agents"]["lunarlander"]}
    config["variants"] = [v for v in config["variants"] if v["name"] in VARIANTS]
    config_path = tmp_path / "slurm.yaml"
    config_path.write_text(yaml.safe_dump(config))
    command = [c for c in snakemake_command(tmp_path, config=config_path) if c not in ("--cores", "2")]
    command += [
        "--workflow-profile",
        str(REPO / "profiles" / "slurm"),
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--seconds-between-status-checks",
        "2",
        "--slurm-keep-successful-logs",
        "tables",
    ]
    start = time.monotonic()
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=1200, env={**os.environ, "SLURM_CONF": SLURM_CONF}
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    print(f"tiny study through SLURM: {time.monotonic() - start:.0f} s")
    # The same deterministic columns as the tiny study's committed ones, on any CPU (portable numerics)
    through_slurm = pd.read_csv(tmp_path / "results" / "tables" / "summary.csv")[DETERMINISTIC_COLUMNS]
    expected = pd.read_csv(EXPECTED)
    expected = expected[(expected["agent"] == "lunarlander") & expected["variant"].isin(VARIANTS)]
    pd.testing.assert_frame_equal(
        through_slurm, expected[DETERMINISTIC_COLUMNS].reset_index(drop=True), check_exact=True
    )
    assert list((tmp_path / ".snakemake" / "slurm_logs").rglob("*.log")), "the jobs ran as SLURM jobs"
