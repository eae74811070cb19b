"""Study B findings, re-tested: each claim of the policy-gradient / Double-DQN study against this run's rows."""

from __future__ import annotations

from tinyrl.analysis.findings import study_b_findings
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict | None:
    findings = study_b_findings(inputs.summary)
    return {"study_b": findings} if findings else None


SECTION = Section("study_b", context)
