"""Stage `deploy`: each of an agent's answers shipped as the file of the runtime it won on, played there on the
evaluation's episodes and compared with float32 episode by episode."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from tinyrl.analysis.aggregate import return_range
from tinyrl.analysis.answers import CANDIDATES_PER_ANSWER, SMALLEST, answer_candidates, answer_keys
from tinyrl.analysis.columns import agent_rows
from tinyrl.analysis.speed import regime_label
from tinyrl.atomic import atomic_dir, write_json
from tinyrl.compression.loading import load_policy
from tinyrl.deploy.acting import DRAW, NOISE, action_rule
from tinyrl.deploy.formats import format_for
from tinyrl.deploy.manifest import build_manifest
from tinyrl.deploy.player import agreement, reference_outputs, shipped_policy
from tinyrl.deploy.standalone import run_policy
from tinyrl.episodes.envs import action_space_of, space_record
from tinyrl.episodes.observations import load_observations
from tinyrl.episodes.rollout import play_episodes
from tinyrl.errors import VariantFailure, is_refusal
from tinyrl.evaluation.play import episode_seeds
from tinyrl.jobs.settings import AgentSettings, EvaluationSettings
from tinyrl.statistics.inference import BETTER, NON_INFERIOR, noninferiority_verdict, paired_difference
from tinyrl.timing.backends import describe

AGREEMENT_OBSERVATIONS = 256  # of the observation set, compared between the file and the variant as loaded


def _pick_folder(variant: str, backend: str) -> str:
    return f"{variant}@{backend}".replace("[", "_").replace("]", "")


def ship_and_play(
    *,
    agent_name: str,
    variant: str,
    backend: str,
    model_path: str,
    folder: Path,
    agent: AgentSettings,
    settings: EvaluationSettings,
    observation_set: np.ndarray,
    space: dict,
    baseline: dict,
    comparison: dict,
    evaluated: dict,
    pooled: bool,
) -> dict:
    """Write the pick's file, policy.json and run_policy.py into `folder`, then play the file through
    run_policy.load and pair its returns with float32's (`baseline`, its evaluation; `space`: the env's action
    space record); then run run_policy.py by
    itself, in a process of its own, for one episode: the folder must play where tiny_rl is not imported. The
    file keeps the reward when its own verdict is non-inferior or better, or when it played the variant's
    evaluation (`evaluated`) return for return: the variant's verdict (non-inferior, or it would be no pick) was
    reached on exactly these episodes, unless the variant is a recipe judged over several training seeds
    (`pooled`), whose verdict one file does not carry. Returns the manifest (with `played` and `standalone`)."""
    model, checkpoint = load_policy(model_path)  # selects the variant's quantized engine, if any
    folder.mkdir(parents=True)
    rule = action_rule(model.output_kind, agent["actions"])
    fmt = format_for(backend)
    written = fmt.write(model, rule, space, torch.from_numpy(observation_set[:2]), backend, folder)
    shutil.copy(run_policy.__file__, folder / "run_policy.py")
    log_std = getattr(model, "log_std", None)
    manifest = build_manifest(
        agent=agent_name,
        variant=variant,
        backend=backend,
        arch=checkpoint["arch"],
        env_id=agent["env_id"],
        max_episode_steps=settings.get("max_episode_steps"),
        action_space=space,
        log_std=log_std.detach().tolist() if log_std is not None and rule.host_step else None,
        rule=rule,
        fmt=fmt,
        written=written,
        folder=folder,
    )
    write_json(folder / "policy.json", manifest)
    engine = torch.backends.quantized.engine
    try:
        _, outputs = run_policy.load(folder, threads=1)
    finally:  # a TorchScript file's loader selects its engine: the next pick is made under its own
        torch.backends.quantized.engine = engine
    checked = observation_set[:AGREEMENT_OBSERVATIONS]
    shipped = np.asarray(outputs(np.asarray(checked, dtype=np.float32)))
    for step in manifest["action"]["host_steps"]:
        if step not in (DRAW, NOISE):  # a graph step the file could not hold; draws are compared as probabilities
            shipped = run_policy.host_step(step, shipped, manifest["action"], np.random.default_rng(0))
    reference = reference_outputs(model, rule.graph_step, checked, space)
    seeds = episode_seeds(settings)
    policy = shipped_policy(outputs, manifest["action"], settings["seed"])
    rollouts = play_episodes(policy, agent["env_id"], seeds, settings["num_envs"], settings.get("max_episode_steps"))
    if rollouts.seeds != baseline["seeds"]:
        raise ValueError(
            f"{variant}: played other episode seeds than float32's evaluation ({baseline['seeds'][:3]}...)"
        )
    diff = paired_difference(
        rollouts.returns,
        baseline["returns"],
        settings["bootstrap_samples"],
        settings["confidence"],
        return_range=comparison["return_range"],
    )
    same_returns = rollouts.seeds == evaluated.get("seeds") and rollouts.returns == evaluated.get("returns")
    verdict = noninferiority_verdict(
        diff["ci_low"], diff["ci_high"], comparison["margin"], diff["episodes"], comparison["min_paired_episodes"]
    )
    manifest["played"] = {
        "episodes": len(seeds),
        "first_seed": seeds[0],
        "returns": rollouts.returns,
        "reward_mean": float(np.mean(rollouts.returns)),
        "float32_reward_mean": float(np.mean(baseline["returns"])),
        "paired_difference": diff,
        "noninferiority_margin": comparison["margin"],
        "verdict": verdict,
        "same_returns_as_variant": same_returns,
        # the file replayed the very episodes its variant was judged on: that judgement is the file's, unless it
        # was a recipe's over several training seeds, which this one file alone does not carry
        "kept_reward": verdict in (BETTER, NON_INFERIOR) or (same_returns and not pooled),
        "agreement_with_variant": agreement(shipped, reference),
    }
    manifest["standalone"] = standalone_run(folder, seeds[0])
    write_json(folder / "policy.json", manifest)
    return manifest


STANDALONE_TIMEOUT_S = 900


def standalone_run(folder: Path, seed: int) -> dict:
    """run_policy.py run as a user runs it, in a fresh process, for one episode: what it printed and how long it
    took. A folder that fails there (an import the file needs and the manifest lacks, say) cannot be shipped."""
    start = time.perf_counter()
    command = [sys.executable, "run_policy.py", "--episodes", "1", "--seed", str(seed)]
    out = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=STANDALONE_TIMEOUT_S)
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no message"])[-1]
        raise VariantFailure(f"run_policy.py failed on its own (exit {out.returncode}): {tail}")
    return {
        "command": " ".join(command[1:]),
        "printed": out.stdout.strip().splitlines()[-1],
        "seconds": round(time.perf_counter() - start, 1),
    }


def deploy_answers(
    *,
    summary: str,
    models: list[str],
    evaluations: list[str],
    variants: list[str],
    observations: str,
    baseline_evaluation: str,
    deployed: str,
    agent_name: str,
    agent: AgentSettings,
    settings: EvaluationSettings,
) -> None:
    """Per answer (smallest, fastest at each timing regime), its picks in rank order shipped and played until one
    keeps float32's reward (at most CANDIDATES_PER_ANSWER); `deployed` gets a folder per answer with that pick's
    file, policy.json and run_policy.py, and deploy.json listing every try. A pick two answers share is shipped
    and played once."""
    torch.set_num_threads(1)
    rows, base = agent_rows(pd.read_csv(summary), agent_name)
    model_of = dict(zip(variants, models, strict=True))
    evaluation_of = dict(zip(variants, evaluations, strict=True))
    baseline = json.loads(Path(baseline_evaluation).read_text())
    comparison = {}
    if not base.empty:
        random_span = base[["random_reward_min", "random_reward_max"]].iloc[0]
        comparison = {
            "return_range": return_range(settings, baseline.get("returns", []), random_span),
            "margin": float(base["noninferiority_margin"].iloc[0]),
            "min_paired_episodes": int(base["min_paired_episodes"].iloc[0]),
        }
    observation_set = load_observations(observations)
    space = space_record(action_space_of(agent["env_id"]))  # the same env for every pick: made once
    candidates = answer_candidates(rows) if not base.empty else {}
    folders = answer_keys(rows)
    with atomic_dir(deployed) as tmp:
        played: dict[tuple[str, str], dict] = {}
        answers = {}
        for answer, ranked in candidates.items():
            tries, chosen = [], None
            for variant, backend in ranked[:CANDIDATES_PER_ANSWER]:
                if (variant, backend) not in played:
                    if variant not in model_of:
                        raise ValueError(f"the answer's pick {variant!r} is not among {agent_name}'s timed variants")
                    try:
                        played[variant, backend] = ship_and_play(
                            agent_name=agent_name,
                            variant=variant,
                            backend=backend,
                            model_path=model_of[variant],
                            folder=tmp / "picks" / _pick_folder(variant, backend),
                            agent=agent,
                            settings=settings,
                            observation_set=observation_set,
                            space=space,
                            baseline=baseline,
                            comparison=comparison,
                            evaluated=json.loads(Path(evaluation_of[variant]).read_text()),
                            pooled=int(rows.loc[rows["variant"] == variant, "training_seeds"].iloc[0]) > 1,
                        )
                    except Exception as exc:  # a runtime that refuses the file, or a file that fails in its episodes
                        if not is_refusal(exc):
                            raise
                        played[variant, backend] = {"variant": variant, "timed_on": backend, "failed": describe(exc)}
                record = played[variant, backend]
                tries.append(_try_record(record))
                if record.get("played", {}).get("kept_reward"):
                    chosen = (variant, backend)
                    shutil.copytree(tmp / "picks" / _pick_folder(variant, backend), tmp / folders[answer])
                    break
            answers[answer] = {
                "answer": "smallest" if answer == SMALLEST else f"fastest at {regime_label(rows, answer)}",
                "folder": str(Path(deployed) / folders[answer]) if chosen else None,
                "chosen": {"variant": chosen[0], "backend": chosen[1]} if chosen else None,
                "tries": tries,
                "candidates_left": max(0, len(ranked) - len(tries)),
            }
        shutil.rmtree(tmp / "picks", ignore_errors=True)
        write_json(tmp / "deploy.json", {"agent": agent_name, "answers": answers})


def _try_record(manifest: dict) -> dict:
    """One try as deploy.json lists it: the pick, its runtime and file, and how the file played."""
    if "failed" in manifest:
        return {"variant": manifest["variant"], "backend": manifest["timed_on"], "failed": manifest["failed"]}
    played = manifest["played"]
    return {
        "variant": manifest["variant"],
        "backend": manifest["timed_on"],
        "runtime": manifest["runtime"]["name"],
        "versions": manifest["runtime"]["versions"],
        "build": manifest["runtime"]["loader"].get("build"),  # a C file's: the line that builds it
        "file": manifest["file"]["name"],
        "file_bytes": sum(f["bytes"] for f in manifest["file"]["files"].values()),
        "rule_in_file": manifest["action"]["rule_in_file"],
        "reward_mean": played["reward_mean"],
        "paired_difference": played["paired_difference"],
        "verdict": played["verdict"],
        "same_returns_as_variant": played["same_returns_as_variant"],
        "kept_reward": played["kept_reward"],
        "agreement_with_variant": played["agreement_with_variant"],
    }
