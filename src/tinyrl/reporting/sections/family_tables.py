"""One table per method family (the seed's tables), per agent, float32 first."""

from __future__ import annotations

from tinyrl.analysis.aggregate import family_table
from tinyrl.families import tables_of
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    summary = inputs.summary
    tables = [
        {"title": table.title, "parts": [(agent, family_table(summary, agent, table.name)) for agent in inputs.agents]}
        for table in tables_of(list(summary["family"].unique())).values()
    ]
    return {"tables": tables}


SECTION = Section("family_tables", context)
