"""Report figures: reward against size, time, sparsity and rank reduction, with CI error bars.

Naive variants are drawn hollow and fine-tuned ones filled, so the two read apart;
the random policy's mean is the dashed floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from tinyrl.atomic import atomic_path  # noqa: E402


@dataclass(frozen=True)
class Figure:
    x: str
    xlabel: str
    logx: bool = False
    families: tuple[str, ...] | None = None  # None: every family


FIGURES = {
    "reward_vs_size": Figure("size_mb", "model file size (MB)", logx=True),
    "reward_vs_time": Figure("time_mean_s", "forward-pass time per batch (s, mean)", logx=True),
    "reward_vs_sparsity": Figure("sparsity", "global sparsity (share of zero weights)",
                                 families=("baseline", "prune_l1", "prune_iterative", "prune_ln_structured")),
    "reward_vs_rank_reduction": Figure("rank_reduction", "rank reduction", families=("baseline", "low_rank")),
}


def reward_scatter(df: pd.DataFrame, figure: Figure, path: str | Path) -> None:
    """One panel per agent: each variant's mean reward with its CI against `figure.x`."""
    df = df.copy()
    if figure.x == "rank_reduction":
        df.loc[df["family"] == "baseline", "rank_reduction"] = 0.0
    agents = list(df["agent"].unique())
    fig, axes = plt.subplots(1, len(agents), figsize=(6.5 * len(agents), 4.5), squeeze=False)
    for ax, agent in zip(axes[0], agents):
        rows = df[df["agent"] == agent]
        ok = rows[(rows["status"] == "ok") & rows[figure.x].notna()]
        if figure.families:
            ok = ok[ok["family"].isin(figure.families)]
        colours = {}
        for (family, tuned), group in ok.groupby(["family", ok["finetune_steps"] > 0], sort=True):
            colour = colours.setdefault(family, f"C{len(colours)}")
            yerr = [group["reward_mean"] - group["reward_ci_low"], group["reward_ci_high"] - group["reward_mean"]]
            ax.errorbar(group[figure.x], group["reward_mean"], yerr=yerr, fmt="o", capsize=3, color=colour,
                        markerfacecolor=colour if tuned else "white",
                        label=f"{family} ({'fine-tuned' if tuned else 'naive'})")
        if len(rows):
            ax.axhline(rows["random_reward_mean"].iloc[0], linestyle="--", color="grey", label="random policy")
        if ok.empty:
            ax.text(0.5, 0.5, "no variant of these families in this study", ha="center", transform=ax.transAxes)
        elif figure.logx:
            ax.set_xscale("log")
        ax.set_title(agent)
        ax.set_xlabel(figure.xlabel)
        ax.set_ylabel("mean episode reward (95% CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def write_figures(df: pd.DataFrame, figures_dir: str | Path) -> None:
    for name, figure in FIGURES.items():
        reward_scatter(df, figure, Path(figures_dir) / f"{name}.png")
