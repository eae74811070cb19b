"""Targets: the seed's compression targets, read off this run's summary."""

from __future__ import annotations

from tinyrl.analysis.targets import agent_targets, format_targets
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    return {"targets": format_targets([agent_targets(inputs.summary, agent) for agent in inputs.agents])}


SECTION = Section("targets", context)
