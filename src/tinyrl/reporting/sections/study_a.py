"""Study A: the seed's published figures beside ours, for a Montezuma PPO-RND agent."""

from __future__ import annotations

from tinyrl.analysis.seed_rows import SEED_ENV, SEED_NETWORK, seed_comparison
from tinyrl.reporting.sections.record import ReportInputs, Section


def context(inputs: ReportInputs) -> dict | None:
    agents = inputs.settings["agents"]
    rows = [
        (agent, seed_comparison(inputs.summary, agent))
        for agent in inputs.run_agents
        if agents[agent]["env_id"] == SEED_ENV and agents[agent]["network"]["kind"] == SEED_NETWORK
    ]
    return {"seed_rows": rows} if rows else None


SECTION = Section("study_a", context)
