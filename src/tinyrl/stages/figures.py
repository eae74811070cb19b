"""Stage `figures`: the report's figures from the summary table."""

from __future__ import annotations

import pandas as pd

from tinyrl.reporting.figures import write_figures


def figures(*, summary: str, figures: list[str]) -> None:
    write_figures(pd.read_csv(summary), figures)
