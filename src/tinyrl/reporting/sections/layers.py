"""Layers: what each quantized variant stores and computes, layer by layer, and which layers it left in float32."""

from __future__ import annotations

from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict | None:
    """The variants that store some layer below float32 (float16, int8, codes, signs), per agent; None when the
    summary predates the layer columns or no variant does."""
    summary = inputs.summary
    if "layer_dtypes" not in summary:
        return None
    below = (
        summary["layer_dtypes"]
        .fillna("")
        .str.split("; ")
        .map(lambda layers: any(layer and not layer.split(" ", 1)[1].startswith("float32") for layer in layers))
    )
    shown = summary[below]
    if shown.empty:
        return None
    tables = [
        (agent, rows[["variant", "family", "layer_dtypes", "float_layers"]].fillna(""))
        for agent, rows in shown.groupby("agent", sort=False)
    ]
    return {"tables": tables}


SECTION = Section("layers", context)
