"""Findings: plain statements read off the measured quantization rows."""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.columns import agent_rows
from tinyrl.reporting.sections.record import ReportInputs, Section

FP16_NO_SAVING = 0.95  # a dynamic fp16 file at least this share of float32's saved nothing worth the name


def quantization_findings(summary: pd.DataFrame) -> list[str]:
    """Plain statements read off the measured quantization rows (no number here is typed by hand)."""
    notes = []
    for agent in summary["agent"].unique():
        rows, base = (part.set_index("variant") for part in agent_rows(summary, agent, ok_only=True))
        if base.empty:
            continue
        base_size = base["size_mb"].iloc[0]
        for variant, row in rows[(rows["family"] == "ptq_dynamic") & (rows["dtype"] == "float16")].iterrows():
            text = (
                f"{agent}: dynamic fp16 ({variant}) file is {row['size_mb']:.4f} MB vs {base_size:.4f} MB for float32"
            )
            if row["size_mb"] >= FP16_NO_SAVING * base_size:  # the explanation only where the file shows it
                text += (
                    ": the eager API keeps fp16 weights packed for its kernels but serialises them back as "
                    "float32, so this file saves no space on disk"
                )
            notes.append(text + ".")
    return notes


def context(inputs: ReportInputs) -> dict | None:
    findings = quantization_findings(inputs.summary)
    return {"findings": findings} if findings else None


SECTION = Section("findings", context)
