"""Off the seed's protocol: the float32 policy under sticky actions and no-op starts."""

from __future__ import annotations

from tinyrl.reporting.robustness import robustness_table
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict | None:
    ev = inputs.settings["evaluation"]
    played = [
        (agent, *robustness_table(record, baseline, ev["bootstrap_samples"], ev["confidence"]))
        for agent, record, baseline in inputs.robustness
    ]
    return {"robustness": played} if played else None


SECTION = Section("off_protocol", context)
