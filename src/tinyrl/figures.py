"""Report figures: reward against size and against forward-pass time, with CI error bars."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from tinyrl.atomic import atomic_path  # noqa: E402


def reward_scatter(df: pd.DataFrame, x: str, xlabel: str, path: str | Path, logx: bool = False) -> None:
    """One panel per agent: each variant's mean reward with its CI against `x`; random policy dashed."""
    agents = list(df["agent"].unique())
    fig, axes = plt.subplots(1, len(agents), figsize=(6.5 * len(agents), 4.5), squeeze=False)
    for ax, agent in zip(axes[0], agents):
        sub = df[(df["agent"] == agent) & (df["status"] == "ok")]
        for family, group in sub.groupby("family", sort=True):
            yerr = [group["reward_mean"] - group["reward_ci_low"], group["reward_ci_high"] - group["reward_mean"]]
            ax.errorbar(group[x], group["reward_mean"], yerr=yerr, fmt="o", capsize=3, label=family)
            for _, row in group.iterrows():
                ax.annotate(row["variant"], (row[x], row["reward_mean"]), fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
        rand = sub["random_reward_mean"].iloc[0] if len(sub) else None
        if rand is not None:
            ax.axhline(rand, linestyle="--", color="grey", label="random policy")
        if logx:
            ax.set_xscale("log")
        ax.set_title(agent)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("mean episode reward (95% CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


FIGURES = {
    "reward_vs_size": ("size_mb", "model file size (MB)", False),
    "reward_vs_time": ("time_mean_s", "forward-pass time, batch (s, mean)", True),
}


def write_figures(df: pd.DataFrame, figures_dir: str | Path) -> None:
    for name, (x, label, logx) in FIGURES.items():
        reward_scatter(df, x, label, Path(figures_dir) / f"{name}.png", logx)
