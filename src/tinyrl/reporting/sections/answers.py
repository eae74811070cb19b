"""Answers: per agent, the smallest and the fastest variants non-inferior to float32, what they hold for, and
the Pareto frontiers."""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.answers import agent_answers
from tinyrl.analysis.reproducible import in_other_runtimes
from tinyrl.reporting.sections.record import ReportInputs, Section


def timing_cpus(summary: pd.DataFrame, machine: dict) -> str:
    """The CPU each agent's timing job ran on, as it recorded it (a cluster may time agents on other
    nodes than the one rendering the report); the report's own machine (`machine`: the provenance record)
    where a timing record predates that."""

    def described(model: str, isa: str) -> str:
        return f"{model} ({isa or 'instruction sets unknown'})"

    cpus = {}
    if "timing_cpu" in summary:
        timed = summary[summary["timing_cpu"].fillna("") != ""]
        cpus = {
            agent: described(rows["timing_cpu"].iloc[0], rows["timing_cpu_isa"].fillna("").iloc[0])
            for agent, rows in timed.groupby("agent", sort=False)
        }
    if not cpus:
        return described(machine["cpu_model"], ", ".join(machine["cpu_isa"]))
    if len(set(cpus.values())) == 1:
        return next(iter(cpus.values()))
    return "; ".join(f"{agent} on {cpu}" for agent, cpu in cpus.items())


def answers_scope(summary: pd.DataFrame, machine: dict) -> str:
    """What the Answers hold for: the speed on the CPU that timed them (timing_cpus), the rewards on any
    x86-64 CPU with AVX2 and FMA when every episode was played with portable numerics (tinyrl.jobs.numerics)."""
    numerics = set(summary.get("eval_numerics", pd.Series(dtype=object)).fillna("")) - {""}
    other = in_other_runtimes(summary).to_numpy()
    in_runtimes = sorted(set(summary.loc[other, "variant"]))
    portable = (
        "the rewards and verdicts were played with portable numerics and hold on any x86-64 CPU with AVX2 and FMA"
    )
    if numerics == {"portable"}:
        rewards = portable
    elif "portable" in numerics and numerics - {"portable"} == set(summary.loc[other, "eval_numerics"]):
        rewards = (
            f"{portable}, except those of the variants played in another runtime ({', '.join(in_runtimes)}), "
            "whose kernels follow the CPU and may play other episodes on another"
        )
    else:
        rewards = (
            "the rewards and verdicts were played with this CPU's own kernels "
            f"({', '.join(sorted(numerics)) or 'not recorded'}) and may differ on another"
        )
    return f"Speed answers hold for the CPU that timed them, {timing_cpus(summary, machine)}; {rewards}."


def context(inputs: ReportInputs) -> dict:
    return {
        "answers": [
            (agent, agent_answers(inputs.summary, agent, inputs.deployments.get(agent))) for agent in inputs.run_agents
        ],
        "answers_scope": answers_scope(inputs.summary, inputs.machine),
        "figures": [figure for figure in inputs.figures if figure["answer"]],
    }


SECTION = Section("answers", context)
