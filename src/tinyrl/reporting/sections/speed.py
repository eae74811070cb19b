"""Speed: backends, batch-1 latency and the machine's ceiling."""

from __future__ import annotations

from tinyrl.analysis.speed import backend_matrix, floor_text, format_speed_targets, speed_table, speed_targets
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    summary, backends = inputs.summary, inputs.backends
    return {
        "ceiling": inputs.ceiling,
        "speed_targets": format_speed_targets([speed_targets(summary, backends, agent) for agent in inputs.agents]),
        "speed": [(agent, speed_table(summary, agent), backend_matrix(backends, agent)) for agent in inputs.agents],
        "floors": [text for agent in inputs.agents if (text := floor_text(summary, agent))],
    }


SECTION = Section("speed", context)
