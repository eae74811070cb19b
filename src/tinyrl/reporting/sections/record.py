"""What a report section is, and the inputs every section builds from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class ReportInputs:
    settings: dict  # the study's protocol settings (tinyrl.plan.study.report_settings)
    summary: pd.DataFrame  # results/tables/summary.csv
    backends: pd.DataFrame  # results/tables/backends.csv
    ceiling: dict  # the machine's float32 GEMM ceiling record
    agent_checkpoints: dict[str, dict]  # agent -> {"path", "meta"} of its checkpoint
    figures: list[dict]  # name, study_b, answer, relpath, data_uri
    robustness: list[tuple[str, dict, dict]]  # (agent, its robustness record, its float32 evaluation)
    machine: dict  # the provenance record of the machine rendering the report
    deployments: dict[str, dict] = field(default_factory=dict)  # agent -> its deploy.json (tinyrl.stages.deploy)

    @property
    def run_agents(self) -> list[str]:
        """The config's agents this study ran (only_agents may leave some out), in the config's order."""
        return [name for name in self.settings["agents"] if name in self.agent_checkpoints]

    @property
    def agents(self) -> list[str]:
        """The summary's agents, in its order."""
        return list(self.summary["agent"].unique())


@dataclass(frozen=True)
class Section:
    name: str  # its partial is templates/sections/<name>.md.j2
    context: Callable[[ReportInputs], dict | None]  # what the partial shows; None leaves the section out
