"""Figures: the frontiers and trade-offs not shown with the Answers, and Study B's figure set."""

from __future__ import annotations

from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    return {
        "figures": [figure for figure in inputs.figures if not figure["study_b"] and not figure["answer"]],
        "study_b_figures": [figure for figure in inputs.figures if figure["study_b"]],
    }


SECTION = Section("figures", context)
