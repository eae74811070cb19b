"""Provenance: the machine, the packages, the config and the commit."""

from __future__ import annotations

from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    return {"provenance": inputs.machine, "config_hash": inputs.settings["config_hash"]}


SECTION = Section("provenance", context)
