"""Report figures as PNG: one panel per agent, one point per variant.

Each family has a marker shape of its own (tinyrl.reporting.figure_data.family_markers); naive variants are drawn
hollow, distilled ones filled and RL fine-tuned ones half filled, so the three read apart. Reward axes carry the
reward's CI (at the configured confidence) as error bars and the random policy's mean as a dashed floor; a frontier
figure names each variant on its frontier. Log axes label 1, 2 and 5 of each decade only, so that no tick labels
overlap.
The second group is Study B's figure set (SPEC §3): pruning and rank reduction against return, evaluation time,
memory and CPU utilisation.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter  # noqa: E402

from tinyrl.atomic import atomic_path  # noqa: E402
from tinyrl.reporting.figure_data import (  # noqa: E402
    TUNING_LABEL,
    drawn_rows,
    family_markers,
    figure_rows,
    pareto_front,
    tuning,
)
from tinyrl.reporting.figure_specs import FIGURES, Figure  # noqa: E402
from tinyrl.statistics.summaries import confidence_label  # noqa: E402

FILL = {"naive": "none", "distillation": "full", "rl": "left"}  # how a variant was tuned, as its marker's fill


def scatter(df: pd.DataFrame, figure: Figure, path: str | Path) -> None:
    """One panel per agent with something to show (one panel saying so if none has); legends outside."""
    df = figure_rows(df, figure)
    drawn = drawn_rows(df, figure)
    agents = [agent for agent in df["agent"].unique() if agent in set(drawn["agent"])] or list(df["agent"].unique())[:1]
    families = sorted(df["family"].unique())
    colours = {family: f"C{i % 10}" for i, family in enumerate(families)}  # same in every panel
    markers = family_markers(families)
    fig, axes = plt.subplots(len(agents), 1, figsize=(9, 4 * len(agents)), squeeze=False)
    for ax, agent in zip(axes[:, 0], agents):
        rows = df[df["agent"] == agent]
        ok = drawn[drawn["agent"] == agent]
        if figure.frontier and len(ok):
            front = pareto_front(ok, figure.x, figure.y)
            ax.step(front[figure.x], front[figure.y], where="post", color="black", linewidth=1, label="Pareto frontier")
            for i, (variant, x, y) in enumerate(zip(front["variant"], front[figure.x], front[figure.y])):
                # above and below the line in turn: neighbouring names on a short frontier do not overprint
                offset = (4, 5) if i % 2 == 0 else (4, -11)
                ax.annotate(variant, (x, y), xytext=offset, textcoords="offset points", fontsize=6)
        for (family, how), group in ok.groupby(["family", tuning(ok)], sort=True):
            colour = colours[family]
            yerr = None
            if figure.y == "reward_mean":
                yerr = [group["reward_mean"] - group["reward_ci_low"], group["reward_ci_high"] - group["reward_mean"]]
            ax.errorbar(
                group[figure.x],
                group[figure.y],
                yerr=yerr,
                fmt=markers[family],
                capsize=3,
                color=colour,
                fillstyle=FILL[how],
                markerfacecoloralt="white",
                label=f"{family} ({TUNING_LABEL[how]})",
            )
        if figure.y == "reward_mean" and len(rows):
            ax.axhline(rows["random_reward_mean"].iloc[0], linestyle="--", color="grey", label="random policy")
        if ok.empty:
            ax.text(0.5, 0.5, "no variant of these families in this study", ha="center", transform=ax.transAxes)
        elif figure.logx:
            ax.set_xscale("log")
            # labels at 1, 2 and 5 of each decade, plainly written: a range within one decade still gets some,
            # and they never crowd as every minor tick's label would
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.xaxis.set_minor_formatter(NullFormatter())
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
