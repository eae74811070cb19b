"""Report figures: one panel per agent, one point per variant.

Naive variants are drawn hollow and fine-tuned ones filled (circles for
distillation, squares for RL fine-tuning), so the three read apart. Reward axes
carry the reward's CI (at the configured confidence) as error bars and the random policy's mean as a dashed floor.
The second group is Study B's figure set (SPEC §3): pruning and rank reduction
against return, evaluation time, memory and CPU utilisation.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from tinyrl.atomic import atomic_path  # noqa: E402
from tinyrl.compression.base import BASELINE  # noqa: E402
from tinyrl.families import families_feeding  # noqa: E402
from tinyrl.reporting.figure_specs import FIGURES, PRUNED, RANK, Figure  # noqa: E402
from tinyrl.statistics.summaries import confidence_label  # noqa: E402


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


def _tuning(df: pd.DataFrame) -> pd.Series:
    method = df.get("finetune_with", pd.Series("distillation", index=df.index)).fillna("distillation")
    return method.where(df["finetune_steps"] > 0, "naive")


MARKERS = {"naive": "o", "distillation": "o", "rl": "s"}
TUNING_LABEL = {"naive": "naive", "distillation": "fine-tuned: distillation", "rl": "fine-tuned: RL"}


def pareto_front(rows: pd.DataFrame, x: str, y: str = "reward_mean") -> pd.DataFrame:
    """The rows no other row beats on both counts (smaller x, higher y), in increasing x."""
    ordered = rows.dropna(subset=[x, y]).sort_values([x, y], ascending=[True, False])
    best, keep = float("-inf"), []
    for index, value in ordered[y].items():
        if value > best:
            best = value
            keep.append(index)
    return ordered.loc[keep]


def _drawn_rows(df: pd.DataFrame, figure: Figure) -> pd.DataFrame:
    """The rows the figure draws: measured on both axes, of the families it is about."""
    ok = df[(df["status"] == "ok") & df[figure.x].notna() & df[figure.y].notna()]
    if figure.feeds:
        families = {BASELINE}.union(*(families_feeding(feed) for feed in figure.feeds))
        ok = ok[ok["family"].isin(families)]
    return ok


def scatter(df: pd.DataFrame, figure: Figure, path: str | Path) -> None:
    """One panel per agent with something to show (one panel saying so if none has); legends outside."""
    df = with_reduction_columns(df)
    if figure.x == "rank_reduction":
        df.loc[df["family"] == BASELINE, "rank_reduction"] = 0.0
    drawn = _drawn_rows(df, figure)
    agents = [agent for agent in df["agent"].unique() if agent in set(drawn["agent"])] or list(df["agent"].unique())[:1]
    colours = {family: f"C{i % 10}" for i, family in enumerate(sorted(df["family"].unique()))}  # same in every panel
    fig, axes = plt.subplots(len(agents), 1, figsize=(9, 4 * len(agents)), squeeze=False)
    for ax, agent in zip(axes[:, 0], agents):
        rows = df[df["agent"] == agent]
        ok = drawn[drawn["agent"] == agent]
        if figure.frontier and len(ok):
            front = pareto_front(ok, figure.x, figure.y)
            ax.step(front[figure.x], front[figure.y], where="post", color="black", linewidth=1, label="Pareto frontier")
        for (family, tuning), group in ok.groupby(["family", _tuning(ok)], sort=True):
            colour = colours[family]
            yerr = None
            if figure.y == "reward_mean":
                yerr = [group["reward_mean"] - group["reward_ci_low"], group["reward_ci_high"] - group["reward_mean"]]
            ax.errorbar(
                group[figure.x],
                group[figure.y],
                yerr=yerr,
                fmt=MARKERS[tuning],
                capsize=3,
                color=colour,
                markerfacecolor="white" if tuning == "naive" else colour,
                label=f"{family} ({TUNING_LABEL[tuning]})",
            )
        if figure.y == "reward_mean" and len(rows):
            ax.axhline(rows["random_reward_mean"].iloc[0], linestyle="--", color="grey", label="random policy")
        if ok.empty:
            ax.text(0.5, 0.5, "no variant of these families in this study", ha="center", transform=ax.transAxes)
        elif figure.logx:
            ax.set_xscale("log")
        ax.set_title(agent)
        ax.set_xlabel(figure.xlabel)
        ax.set_ylabel(figure.ylabel.format(ci=confidence_label(rows)))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def write_figures(df: pd.DataFrame, paths: list[str]) -> None:
    """Each figure to the path named after it (`<figure name>.png`)."""
    for path in map(Path, paths):
        scatter(df, FIGURES[path.stem], path)
