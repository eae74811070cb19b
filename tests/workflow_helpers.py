"""Running the real Snakemake workflow from tests, and reading what a dry run plans."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from conftest import REPO, TINY_CONFIG

from tinyrl.analysis.reproducible import workflow_command

# The columns that must be equal, bit for bit, between runs of the tiny study (timings excluded): one file
# for every x86-64 CPU with AVX2 and FMA (portable numerics, tinyrl.jobs.numerics).
EXPECTED = REPO / "tests" / "expected" / "tiny_summary.csv"


def snakemake_command(workdir: Path, *args: str, config: Path = TINY_CONFIG) -> list[str]:
    return workflow_command(REPO / "Snakefile", workdir, config, 2, *args)  # as tools/check_tables.py runs it


def snakemake(workdir: Path, *args: str, config: Path = TINY_CONFIG) -> subprocess.CompletedProcess:
    return subprocess.run(snakemake_command(workdir, *args, config=config), capture_output=True, text=True, timeout=900)


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


def edited_config(tmp_path: Path, edit, sort_keys: bool = True) -> Path:
    """The tiny config, edited. Its keys are sorted by default, on purpose: the order of settings must not
    matter (the order of agents does: it is the tables' order, so the aggregate reruns with it)."""
    config = yaml.safe_load(TINY_CONFIG.read_text())
    edit(config)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=sort_keys))
    return path
