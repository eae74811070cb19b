"""End to end: the real Snakemake workflow on the tiny config, and its caching behaviour."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, TINY_CONFIG

VARIANTS = ["fp32", "dynamic_qint8", "static_qint8_x86", "static_qint8_qnnpack", "static_fp16", "l1_0.9_sparse_ft",
            "lowrank_0.5"]
AFTERMATH = {("aggregate", None), ("figures", None), ("report", None), ("all", None)}


def snakemake(workdir: Path, *args: str, config: Path = TINY_CONFIG) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
         "--configfile", str(config), "--cores", "2", *args],
        capture_output=True, text=True, timeout=900,
    )


def planned_jobs(workdir: Path, *args: str, config: Path = TINY_CONFIG) -> set[tuple[str, str | None]]:
    """(rule, variant) of every job a dry run plans."""
    out = snakemake(workdir, "--dry-run", *args, config=config)
    assert out.returncode == 0, out.stdout + out.stderr
    jobs, rule = set(), None
    for line in out.stdout.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):", line):
            if rule:
                jobs.add((rule, None))
            rule = match.group(1)
        elif rule and (match := re.match(r"^\s+wildcards: (.*)", line)):
            wildcards = dict(part.split("=", 1) for part in match.group(1).split(", "))
            jobs.add((rule, wildcards.get("variant")))
            rule = None
    if rule:
        jobs.add((rule, None))
    return jobs


def edited_config(tmp_path: Path, edit) -> Path:
    config = yaml.safe_load(TINY_CONFIG.read_text())
    edit(config)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=True))  # key order changed on purpose: must not matter
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("workflow")
    out = snakemake(workdir, "report")
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    return workdir


def test_report_and_tables_are_produced(study):
    assert (study / "report" / "report.md").stat().st_size > 0
    html = (study / "report" / "report.html").read_text()
    assert "data:image/png;base64," in html
    summary = pd.read_csv(study / "results" / "tables" / "summary.csv")
    assert list(summary["variant"]) == VARIANTS
    assert (summary["status"] == "ok").all()
    for variant in VARIANTS:
        for name in ("model.pt", "metadata.json", "evaluation.json", "timing.json"):
            assert (study / "results" / "lunarlander" / variant / name).exists()
    for table in ("quantization", "unstructured", "low_rank"):
        assert (study / "results" / "tables" / f"{table}.md").exists()
    assert not list(study.rglob("*.tmp")), "no temporary file may be left behind"


DETERMINISTIC_COLUMNS = ["agent", "variant", "family", "status", "reward_mean", "reward_std", "reward_ci_low",
                         "reward_ci_high", "episodes", "size_bytes", "parameters", "nonzeros", "sparsity",
                         "random_reward_mean"]
EXPECTED = REPO / "tests" / "expected" / "tiny_summary.csv"


def test_deterministic_columns_match_the_committed_ones(study):
    """Rewards, sizes and sparsities of the tiny study are reproducible bit for bit (timings are not
    compared). After an intended change, regenerate with TINYRL_UPDATE_EXPECTED=1 and review the diff."""
    summary = pd.read_csv(study / "results" / "tables" / "summary.csv")[DETERMINISTIC_COLUMNS]
    if os.environ.get("TINYRL_UPDATE_EXPECTED"):
        EXPECTED.parent.mkdir(exist_ok=True)
        summary.to_csv(EXPECTED, index=False)
    pd.testing.assert_frame_equal(summary, pd.read_csv(EXPECTED), check_exact=True)


def test_second_run_does_nothing(study):
    assert planned_jobs(study) == set()


def test_editing_one_variant_reruns_only_its_chain(study, tmp_path):
    config = edited_config(tmp_path, lambda c: c["variants"][1]["params"].update(engine="fbgemm"))
    expected = {(rule, "dynamic_qint8") for rule in ("compress", "evaluate", "time_forward")} | AFTERMATH
    assert planned_jobs(study, config=config) == expected


def test_changing_finetune_settings_reruns_only_finetuned_variants(study, tmp_path):
    config = edited_config(tmp_path, lambda c: c["finetune"].update(learning_rate=0.002))
    expected = {(rule, "l1_0.9_sparse_ft") for rule in ("compress", "evaluate", "time_forward")} | AFTERMATH
    assert planned_jobs(study, config=config) == expected


def test_changing_episode_count_reruns_evaluations_not_compression(study, tmp_path):
    config = edited_config(tmp_path, lambda c: c["evaluation"].update(episodes=4))
    expected = {("evaluate", v) for v in VARIANTS} | {("evaluate_random", None)} | AFTERMATH
    assert planned_jobs(study, config=config) == expected


def test_targeted_rebuild_of_one_variant(study):
    # The README's command for rebuilding one variant.
    jobs = planned_jobs(study, "report", "--forcerun", "results/lunarlander/static_fp16/model.pt")
    expected = {(rule, "static_fp16") for rule in ("compress", "evaluate", "time_forward")}
    assert jobs == expected | AFTERMATH - {("all", None)}


def test_invalid_config_fails_before_any_job(tmp_path):
    config = edited_config(tmp_path, lambda c: c["evaluation"].update(episodes=-1))
    out = snakemake(tmp_path, "report", config=config)
    assert out.returncode != 0
    assert "evaluation.episodes" in out.stdout + out.stderr
    assert not (tmp_path / "results").exists()


def test_bad_checkpoint_fails_its_job_with_the_file_named(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"\x00" * 64)
    config = edited_config(tmp_path, lambda c: c["agents"]["lunarlander"].update(checkpoint=str(bad)))
    out = snakemake(tmp_path, "results/lunarlander/observations.npy", config=config)
    assert out.returncode != 0
    assert f"{bad}: not a readable torch file" in out.stdout + out.stderr
    assert not (tmp_path / "results" / "lunarlander" / "observations.npy").exists()
