"""Variant status: what failed and why, and how each variant was made."""

from __future__ import annotations

from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict:
    summary = inputs.summary
    failed = summary[summary["status"] != "ok"][["agent", "variant", "family", "status", "reason"]]
    variants = summary[["agent", "variant", "family", "params", "made_from", "status"]].fillna({"made_from": ""})
    return {"failed": failed.to_dict("records"), "variants": variants.to_dict("records")}


SECTION = Section("variant_status", context)
