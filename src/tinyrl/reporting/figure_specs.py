"""The report's figures by name: what each plots (no plotting here, so that the study's plan can list
them without importing matplotlib or pandas)."""

from __future__ import annotations

from dataclasses import dataclass

PRUNED, RANK = "pruned_share", "rank_share"  # what a figure's families feed (compression.base.FEEDS)
REWARD = ("reward_mean", "mean episode return ({ci} CI)")
EVAL_TIME = ("eval_wall_time_s", "evaluation wall time (s, fixed episodes)")
RAM = ("rss_increase_mb", "RAM: peak RSS increase over process baseline (MB)")
CPU = ("cpu_percent", "CPU% (process CPU time / wall time / cores given)")
REDUCTION_LABEL = "% of weights removed: pruned (sparsity) or, low rank, parameters saved"


@dataclass(frozen=True)
class Figure:
    x: str
    xlabel: str
    y: str = REWARD[0]
    ylabel: str = REWARD[1]
    logx: bool = False
    feeds: tuple[str, ...] | None = None  # the variants of families feeding one of these, and the baseline; None: all
    study_b: bool = False
    frontier: bool = False  # draw the Pareto frontier: no other variant is both smaller on x and better rewarded
    answer: bool = False  # one of the report's answer-first figures


FIGURES = {
    "reward_vs_size": Figure("size_mb", "model file size (MB)", logx=True, frontier=True, answer=True),
    "reward_vs_latency": Figure(
        "fastest_latency_median_s",
        "batch-1 latency on the variant's fastest agreeing backend (s, median)",
        logx=True,
        frontier=True,
        answer=True,
    ),
    "reward_vs_time": Figure("time_mean_s", "forward-pass time per batch (s, mean)", logx=True),
    "reward_vs_sparsity": Figure("sparsity", "global sparsity (share of zero weights)", feeds=(PRUNED,)),
    "reward_vs_rank_reduction": Figure("rank_reduction", "rank reduction", feeds=(RANK,)),
    # Study B's figure set
    "pruned_vs_return": Figure("pruned_pct", "% pruned (global sparsity)", feeds=(PRUNED,), study_b=True),
    "eval_time_vs_return": Figure(*EVAL_TIME, study_b=True),
    "rank_reduced_vs_eval_time": Figure("rank_reduced_pct", "% rank reduced", *EVAL_TIME, feeds=(RANK,), study_b=True),
    "reduction_vs_return": Figure("reduction_pct", REDUCTION_LABEL, feeds=(PRUNED, RANK), study_b=True),
    "rank_reduced_vs_ram": Figure("rank_reduced_pct", "% rank reduced", *RAM, feeds=(RANK,), study_b=True),
    "reduction_vs_cpu": Figure("reduction_pct", REDUCTION_LABEL, *CPU, feeds=(PRUNED, RANK), study_b=True),
    "ram_vs_return": Figure(*RAM, study_b=True),
}
