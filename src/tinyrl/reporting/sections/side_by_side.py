"""Side by side: every deployable path of the float32 policy and its quantized variants, ours and the
toolchains a user would pick instead, and the race between the two."""

from __future__ import annotations

from tinyrl.analysis.peers import format_races, race, side_by_side
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    return {
        "races": format_races([race(inputs.summary, agent) for agent in inputs.agents]),
        "side_by_side": [(agent, side_by_side(inputs.summary, inputs.backends, agent)) for agent in inputs.agents],
    }


SECTION = Section("side_by_side", context)
