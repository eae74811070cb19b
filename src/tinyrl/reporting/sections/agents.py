"""Agents: each agent's environment, algorithm, float32 and random-policy rewards, and how its checkpoint was
made (read off the checkpoint's own metadata)."""

from __future__ import annotations

from tinyrl.algorithms import ALGORITHMS
from tinyrl.analysis.columns import agent_rows
from tinyrl.importers import IMPORTERS_BY_NAME
from tinyrl.reporting.sections.record import ReportInputs, Section
from tinyrl.statistics.summaries import confidence_label


def checkpoint_story(meta: dict) -> str:
    """How the agent's checkpoint was produced, from its own metadata: one trained by the pretrain rule as its
    algorithm's record says, an imported file as its importer's."""
    if meta.get("algorithm") in ALGORITHMS and meta.get("hyperparameters"):
        return ALGORITHMS[meta["algorithm"]].describe(meta)
    if meta.get("source_format") in IMPORTERS_BY_NAME:
        return IMPORTERS_BY_NAME[meta["source_format"]].describe(meta)
    return "no training metadata in the checkpoint"


def context(inputs: ReportInputs) -> dict:
    agents = []
    for name in inputs.run_agents:
        cfg, checkpoint = inputs.settings["agents"][name], inputs.agent_checkpoints[name]
        rows, base = agent_rows(inputs.summary, name)
        agents.append(
            {
                "name": name,
                "env_id": cfg["env_id"],
                "algorithm": cfg["algorithm"],
                "actions": cfg["actions"],
                "checkpoint": checkpoint["path"],
                "story": checkpoint_story(checkpoint["meta"]),
                "baseline": base.iloc[0].to_dict() if len(base) else None,
                "confidence": confidence_label(rows),
                "random": rows.iloc[0][["random_reward_mean", "random_ci_low", "random_ci_high"]].to_dict()
                if len(rows)
                else None,
            }
        )
    return {"agents": agents}


SECTION = Section("agents", context)
