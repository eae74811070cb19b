"""The HTML report's frontier figures as interactive plotly charts: the same points as the PNG (tinyrl.reporting.
figure_data), hovering a point names the variant with its reward and CI, file size, batch-1 latency and verdict, and
clicking a family in the legend hides it in every panel. plotly.js is written into the page once, so the report
stays one self-contained file."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from matplotlib.colors import TABLEAU_COLORS
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from tinyrl.reporting.figure_data import TUNING_LABEL, drawn_rows, family_markers, figure_rows, pareto_front, tuning
from tinyrl.reporting.figure_specs import Figure
from tinyrl.statistics.summaries import confidence_label

# matplotlib's marker codes (figure_data.FAMILY_MARKERS) as plotly symbols; the fill says how a variant was tuned
SYMBOLS = {
    "o": "circle",
    "s": "square",
    "^": "triangle-up",
    "v": "triangle-down",
    "D": "diamond",
    "P": "cross",
    "X": "x",
    "*": "star",
    "<": "triangle-left",
    ">": "triangle-right",
    "h": "hexagon",
    "p": "pentagon",
    "d": "diamond-tall",
    "H": "hexagon2",
    "8": "octagon",
}
FILL_SUFFIX = {"naive": "-open", "distillation": "", "rl": "-dot"}
COLOURS = tuple(TABLEAU_COLORS.values())  # matplotlib's C0..C9: a family has the same colour in both forms


def _hover(rows: pd.DataFrame) -> list[str]:
    def number(value, fmt: str) -> str:
        return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)

    return [
        f"<b>{row.variant}</b> ({row.family})<br>reward {number(row.reward_mean, '.1f')} "
        f"[{number(row.reward_ci_low, '.1f')}, {number(row.reward_ci_high, '.1f')}]<br>"
        f"size {number(row.size_mb, '.4g')} MB<br>"
        f"batch-1 latency {number(row.fastest_latency_median_s * 1e3, '.3g')} ms<br>"
        f"verdict: {row.verdict if isinstance(row.verdict, str) else 'n/a'}"
        for row in rows.itertuples()
    ]


def frontier_chart(summary: pd.DataFrame, figure: Figure, name: str) -> go.Figure:
    """One panel per agent, one trace per (family, tuning), the Pareto frontier and the random policy's line."""
    df = figure_rows(summary, figure)
    drawn = drawn_rows(df, figure)
    agents = [agent for agent in df["agent"].unique() if agent in set(drawn["agent"])]
    families = sorted(df["family"].unique())
    markers = family_markers(families)
    colours = {family: COLOURS[i % len(COLOURS)] for i, family in enumerate(families)}
    chart = make_subplots(rows=max(1, len(agents)), cols=1, subplot_titles=agents, vertical_spacing=0.08)
    shown = set()
    for row_number, agent in enumerate(agents, start=1):
        rows, ok = df[df["agent"] == agent], drawn[drawn["agent"] == agent]
        for (family, how), group in ok.groupby(["family", tuning(ok)], sort=True):
            chart.add_trace(
                go.Scatter(
                    x=group[figure.x],
                    y=group[figure.y],
                    mode="markers",
                    name=f"{family} ({TUNING_LABEL[how]})",
                    legendgroup=family,  # one click hides the family in every panel
                    showlegend=(family, how) not in shown,
                    marker={"symbol": SYMBOLS[markers[family]] + FILL_SUFFIX[how], "color": colours[family], "size": 9},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": group["reward_ci_high"] - group["reward_mean"],
                        "arrayminus": group["reward_mean"] - group["reward_ci_low"],
                    },
                    hovertext=_hover(group),
                    hoverinfo="text",
                ),
                row=row_number,
                col=1,
            )
            shown.add((family, how))
        front = pareto_front(ok, figure.x, figure.y)
        chart.add_trace(
            go.Scatter(
                x=front[figure.x],
                y=front[figure.y],
                mode="lines",
                line={"shape": "hv", "color": "black", "width": 1},
                name="Pareto frontier",
                legendgroup="frontier",
                showlegend=row_number == 1,
                hoverinfo="skip",
            ),
            row=row_number,
            col=1,
        )
        chart.add_hline(
            y=rows["random_reward_mean"].iloc[0], line_dash="dash", line_color="grey", row=row_number, col=1
        )
        chart.update_xaxes(type="log" if figure.logx else "linear", title_text=figure.xlabel, row=row_number, col=1)
        chart.update_yaxes(title_text=figure.ylabel.format(ci=confidence_label(rows)), row=row_number, col=1)
    chart.update_layout(height=420 * max(1, len(agents)), template="plotly_white", legend={"font": {"size": 10}})
    return chart


def frontier_div(summary: pd.DataFrame, figure: Figure, name: str) -> str:
    """The chart as a <div> for the report (plotly.js comes once, from plotly_script); a fixed element id keeps
    the page the same from one rendering to the next."""
    return frontier_chart(summary, figure, name).to_html(
        full_html=False, include_plotlyjs=False, div_id=f"interactive-{name}", config={"displaylogo": False}
    )


def plotly_script() -> str:
    """plotly.js, inline."""
    return f'<script type="text/javascript">{get_plotlyjs()}</script>'
