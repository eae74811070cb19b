"""The report's heading: when it was made, from which config and commit."""

from __future__ import annotations

import datetime as dt

from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    return {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "config_hash": inputs.settings["config_hash"],
        "commit": inputs.machine["commit"],
    }


SECTION = Section("heading", context)
