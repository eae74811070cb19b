"""The real workflow when a variant fails and when a job outgrows its budget."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import SMALL_ARCH, TINY_CONFIG, loud_checkpoint
from workflow_helpers import snakemake


@pytest.fixture(scope="module")
def loud_study(tmp_path_factory) -> tuple[Path, Path]:
    """A policy with large weights: its float16 cast overflows, so static_fp16 fails; the rest completes."""
    workdir = tmp_path_factory.mktemp("loud")
    checkpoint = loud_checkpoint(workdir / "loud.pt")
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["agents"] = {
        "lander": {**config["agents"]["lunarlander"], "network": SMALL_ARCH, "checkpoint": str(checkpoint)}
    }
    config["variants"] = [
        {"name": "fp32", "family": "baseline"},
        {"name": "static_fp16", "family": "ptq_static", "params": {"dtype": "float16"}},
        {"name": "dynamic_qint8", "family": "ptq_dynamic", "params": {"dtype": "qint8"}},
    ]
    config_path = workdir / "loud.yaml"
    config_path.write_text(yaml.safe_dump(config))
    out = snakemake(workdir, "report", config=config_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return workdir, config_path


def test_a_failing_variant_is_shown_in_the_report_and_the_study_completes(loud_study):
    workdir, _ = loud_study
    summary = pd.read_csv(workdir / "results" / "tables" / "summary.csv").set_index("variant")
    assert summary.loc["static_fp16", "status"] == "failed"
    assert "NaN or Inf" in summary.loc["static_fp16", "reason"]
    assert (summary.drop(index="static_fp16")["status"] == "ok").all()
    for report in ("report.md", "report.html"):
        text = (workdir / "report" / report).read_text()
        assert "lander/static_fp16" in text and "NaN or Inf" in text


def test_a_job_over_its_memory_budget_fails_with_a_clear_message(loud_study):
    workdir, config = loud_study
    target = "results/lander/fp32/evaluation.json"
    out = snakemake(workdir, target, "--forcerun", target, "--set-resources", "evaluate:mem_mb=60", config=config)
    assert out.returncode != 0
    assert "exceeded its memory budget" in out.stdout + out.stderr
    assert "mem_mb=60" in out.stdout + out.stderr
    assert not (workdir / target).exists(), "a failed job leaves no output to be taken as done"
