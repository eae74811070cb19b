"""Stage `aggregate`: every variant's results into the summary, the backends table and one table per method."""

from __future__ import annotations

import json
from pathlib import Path

from tinyrl.analysis.aggregate import (
    backend_rows,
    backend_table,
    build_summary,
    episode_returns,
    random_row,
    variant_row,
    write_tables,
)
from tinyrl.atomic import write_text
from tinyrl.jobs.settings import EvaluationSettings


def aggregate(
    *,
    metadata: list[str],
    evaluations: list[str],
    timings: list[str],
    random: list[str],
    ceiling: str,
    summary: str,
    summary_md: str,
    backends: str,
    training_seeds: str,
    tables: list[str],
    pairs: list[list[str]],
    agents: list[str],
    comparison: dict[str, EvaluationSettings],
) -> None:
    """`pairs` names the (agent, variant) of each metadata/evaluation file; `agents` those of `random` and of
    `timings` (each agent's timing folder, <variant>.json per variant); `comparison` holds each agent's
    evaluation settings (the paired comparison's margin, resamples, confidence). `training_seeds`: each file
    of a recipe made from several training seeds, with its own verdict (tinyrl.analysis.training_seeds)."""
    flops_per_s = json.loads(Path(ceiling).read_text())["flops_per_s"]
    timing_folders = dict(zip(agents, timings, strict=True))
    timings = [Path(timing_folders[agent]) / f"{variant}.json" for agent, variant in pairs]
    rows = [
        variant_row(agent, m, e, t, comparison[agent])
        for (agent, _), m, e, t in zip(pairs, metadata, evaluations, timings)
    ]
    random_rows = [random_row(agent, path, comparison[agent]) for agent, path in zip(agents, random)]
    episodes = {tuple(pair): episode_returns(path) for pair, path in zip(pairs, evaluations)}
    summary_table, seeds_table = build_summary(rows, random_rows, episodes, comparison, flops_per_s)
    write_tables(summary_table, summary, summary_md, tables)
    write_text(training_seeds, seeds_table.to_csv(index=False))
    timed = [(pair, path) for pair, path, row in zip(pairs, timings, rows) if not row["seed_of"]]
    per_backend = [row for (agent, variant), path in timed for row in backend_rows(agent, variant, path)]
    write_text(backends, backend_table(per_backend, flops_per_s).to_csv(index=False))
