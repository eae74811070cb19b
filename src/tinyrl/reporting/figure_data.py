"""What each figure draws, as data: the rows a figure plots, their reduction axes, how each was fine-tuned, the
Pareto frontier, and each family's marker. Shared by the PNG figures (tinyrl.reporting.figures) and the HTML
report's interactive ones (tinyrl.reporting.interactive), so both show the same points."""

from __future__ import annotations

import pandas as pd

from tinyrl.compression.base import BASELINE
from tinyrl.families import families_feeding
from tinyrl.reporting.figure_specs import PRUNED, RANK, Figure

# One marker shape per family, in the order of the study's sorted family names (matplotlib's marker codes);
# the fill says how a variant was tuned (hollow naive, full distillation, half RL fine-tuning).
FAMILY_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*", "<", ">", "h", "p", "d", "H", "8")
TUNING_LABEL = {"naive": "naive", "distillation": "fine-tuned: distillation", "rl": "fine-tuned: RL"}


def family_markers(families) -> dict[str, str]:
    """Each family's marker, the same in every panel and in both forms of a figure."""
    return {family: FAMILY_MARKERS[i % len(FAMILY_MARKERS)] for i, family in enumerate(sorted(set(families)))}


def with_reduction_columns(df: pd.DataFrame) -> pd.DataFrame:
    """% pruned for pruning variants and % rank reduced for low-rank ones (each axis of its own), and one
    shared axis of weights removed: % pruned, or for low rank the % of float32's parameters saved (a rank
    share is not a share of weights: half the rank of a square layer saves none). 0 for the baseline."""
    df = df.copy()
    baseline = df["family"] == BASELINE
    pruned = df["family"].isin(families_feeding(PRUNED))
    low_rank = df["family"].isin(families_feeding(RANK))
    df["pruned_pct"] = (100 * df["sparsity"]).where(pruned | baseline)
    df["rank_reduced_pct"] = (100 * pd.to_numeric(df["rank_reduction"], errors="coerce")).where(low_rank)
    df.loc[baseline, ["pruned_pct", "rank_reduced_pct"]] = 0.0
    parameters_saved = 100 * pd.to_numeric(df["parameter_reduction"], errors="coerce")
    df["reduction_pct"] = df["pruned_pct"].where(pruned | baseline, parameters_saved.where(low_rank))
    return df


def tuning(df: pd.DataFrame) -> pd.Series:
    """naive, distillation or rl: how each variant was fine-tuned."""
    method = df.get("finetune_with", pd.Series("distillation", index=df.index)).fillna("distillation")
    return method.where(df["finetune_steps"] > 0, "naive")


def pareto_front(rows: pd.DataFrame, x: str, y: str = "reward_mean") -> pd.DataFrame:
    """The rows no other row beats on both counts (smaller x, higher y), in increasing x."""
    ordered = rows.dropna(subset=[x, y]).sort_values([x, y], ascending=[True, False])
    best, keep = float("-inf"), []
    for index, value in ordered[y].items():
        if value > best:
            best = value
            keep.append(index)
    return ordered.loc[keep]


def figure_rows(df: pd.DataFrame, figure: Figure) -> pd.DataFrame:
    """The summary with the figure's axes filled in (the reduction columns; a baseline's rank reduction is 0)."""
    df = with_reduction_columns(df)
    if figure.x == "rank_reduction":
        df.loc[df["family"] == BASELINE, "rank_reduction"] = 0.0
    return df


def drawn_rows(df: pd.DataFrame, figure: Figure) -> pd.DataFrame:
    """The rows the figure draws: measured on both axes, of the families it is about."""
    ok = df[(df["status"] == "ok") & df[figure.x].notna() & df[figure.y].notna()]
    if figure.feeds:
        families = {BASELINE}.union(*(families_feeding(feed) for feed in figure.feeds))
        ok = ok[ok["family"].isin(families)]
    return ok
