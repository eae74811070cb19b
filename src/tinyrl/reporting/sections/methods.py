"""Methods: what each compression family in the study does, and the notes its record carries."""

from __future__ import annotations

from tinyrl.families import get_family
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    present = [get_family(name) for name in inputs.summary["family"].unique()]
    return {
        "families": [{"name": family.name, "description": family.description} for family in present],
        "method_notes": [family.note for family in present if family.note],
    }


SECTION = Section("methods", context)
