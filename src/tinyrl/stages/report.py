"""Stage `report`: report/report.md and a self-contained report/report.html."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tinyrl.importers import read_policy_file
from tinyrl.jobs.settings import ReportSettings
from tinyrl.reporting.report import build_inputs, render_report


def report(
    *,
    summary: str,
    backends: str,
    ceiling: str,
    figures: list[str],
    checkpoints: list[str],
    robustness: list[str],
    robustness_baselines: list[str],
    deployments: list[str],
    markdown: str,
    html: str,
    settings: ReportSettings,
    agents: list[str],
    robust_agents: list[str],
    deployed_agents: list[str],
    repo_dir: str,
) -> None:
    """`settings`: what the report states of the study's protocol (see tinyrl.plan.study.report_settings);
    `agents` names the agent of each checkpoint; `robust_agents` the agent of each robustness record and of its
    float32 evaluation (`robustness_baselines`); `deployed_agents` the agent of each `deployments` folder
    (tinyrl.stages.deploy: the agents with a float32 variant)."""
    provenance = {
        agent: {"path": str(path), "meta": read_policy_file(path)["meta"]} for agent, path in zip(agents, checkpoints)
    }
    speed = {"backends": pd.read_csv(backends), "ceiling": json.loads(Path(ceiling).read_text())}
    played = [
        (agent, json.loads(Path(record).read_text()), json.loads(Path(baseline).read_text()))
        for agent, record, baseline in zip(robust_agents, robustness, robustness_baselines, strict=True)
    ]
    shipped = {
        agent: json.loads((Path(folder) / "deploy.json").read_text())
        for agent, folder in zip(deployed_agents, deployments, strict=True)
    }
    inputs = build_inputs(
        settings, pd.read_csv(summary), provenance, figures, Path(markdown).parent, repo_dir, speed, played, shipped
    )
    render_report(inputs, markdown, html)
