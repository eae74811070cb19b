"""One function per workflow stage. Rules' scripts only unpack `snakemake` and call these.

Every stage reads its inputs from files and writes its outputs atomically, so a
stage can be run, tested and rerun on its own. Each job is a fresh Python
process, so the reporting libraries (pandas, matplotlib, jinja2) are imported
only by the three stages that use them, not by every job.
"""

from __future__ import annotations

import os
import time
import traceback

from pathlib import Path

import psutil
import torch

from tinyrl.algorithms import TRAINER_CONFIGS, TRAINERS
from tinyrl.atomic import atomic_dir, write_json, write_text
from tinyrl.checkpoint import load_policy, read_checkpoint, save_checkpoint, save_failure
from tinyrl.compression import CompressContext, get_family
from tinyrl.envs import action_space_of
from tinyrl.errors import VariantFailure
from tinyrl.evaluation import evaluate
from tinyrl.model_stats import batched_forward, size_stats
from tinyrl.observations import collect_observations, load_observations, observation_shape, save_observations
from tinyrl.policy import network_policy, random_policy
from tinyrl.timing import time_backends


def pretrain(agent_cfg: dict, checkpoint_path: str, log=print) -> None:
    algorithm = agent_cfg["algorithm"]
    hyper = {**agent_cfg["pretrain"], "env_id": agent_cfg["env_id"]}
    if "hidden" in agent_cfg["network"]:  # MLP trainers take the widths; CNN policies have a fixed shape
        hyper["hidden"] = agent_cfg["network"]["hidden"]
    arch, state_dict, meta = TRAINERS[algorithm](TRAINER_CONFIGS[algorithm](**hyper), log=log)
    save_checkpoint(checkpoint_path, arch, state_dict, meta | {"produced_by": "tinyrl pretrain rule"})


def _load_baseline(agent_cfg: dict, checkpoint_path: str):
    return load_policy(checkpoint_path, expected_arch=agent_cfg["network"])


def observation_set(agent_cfg: dict, obs_cfg: dict, checkpoint_path: str, out_path: str, threads: int = 1) -> None:
    torch.set_num_threads(threads)  # a fixed thread count keeps the set identical from run to run
    model, _ = _load_baseline(agent_cfg, checkpoint_path)
    policy = network_policy(model, agent_cfg["actions"], seed=obs_cfg["seed"])
    save_observations(out_path, collect_observations(
        policy, agent_cfg["env_id"], obs_cfg["episodes"], obs_cfg["max_observations"], obs_cfg["seed"]))


def check_outputs(model: torch.nn.Module, observations: torch.Tensor) -> None:
    out = batched_forward(model, observations)
    bad = int((~torch.isfinite(out)).any(dim=1).sum())
    if bad:
        raise VariantFailure(f"outputs NaN or Inf on {bad} of {len(observations)} observations of the observation set")


def compress(agent_cfg: dict, variant: dict, finetune_cfg: dict, checkpoint_path: str, observations_path: str,
             model_path: str, metadata_path: str, threads: int = 1) -> None:
    """Make the variant, save it as its deployable file, reload it from that file and record its size.

    A bad baseline checkpoint or observation set fails the job. A variant whose method fails or
    whose outputs are not finite is recorded as failed (a failure record stands for its model file)
    and the study goes on.
    """
    torch.set_num_threads(threads)
    model, checkpoint = _load_baseline(agent_cfg, checkpoint_path)
    observations = torch.as_tensor(load_observations(observations_path, observation_shape(checkpoint["arch"])))
    family = get_family(variant["family"])
    training = checkpoint["meta"]
    rl = {"algorithm": agent_cfg["algorithm"],
          # The settings the checkpoint was trained with, else the config's (a checkpoint from elsewhere).
          "hyperparameters": training.get("hyperparameters") or agent_cfg.get("pretrain", {}),
          "critic": training.get("critic")}
    context = CompressContext(observations, agent_cfg["env_id"], model.output_kind, finetune_cfg, rl)
    recipe = {"family": variant["family"], "params": variant["params"]}
    metadata = {"agent_env": agent_cfg["env_id"], "variant": variant["name"], "family": variant["family"],
                "table": variant["table"], "source_checkpoint": str(checkpoint_path)}
    start = time.perf_counter()
    try:
        result = family.compress(model, variant["params"], context)
        check_outputs(result.model, observations)
    except Exception as exc:  # the method's failure is this variant's result, reported as such
        traceback.print_exc()
        reason = f"compression failed: {type(exc).__name__}: {exc}"
        save_failure(model_path, variant["name"], reason)
        write_json(metadata_path, metadata | {"recipe": recipe, "status": "failed", "reason": reason})
        return
    compress_time = time.perf_counter() - start
    recipe["structure"] = result.structure
    save_checkpoint(model_path, result.arch or checkpoint["arch"], result.model.state_dict(),
                    meta={"variant": variant["name"], "source_checkpoint": str(checkpoint_path)}, recipe=recipe)
    reloaded, _ = load_policy(model_path)
    write_json(metadata_path, metadata | {
        "recipe": recipe,
        "compress_time_s": compress_time,
        "size": size_stats(reloaded, model_path),
        "info": result.info,
        "status": "ok",
    })


def _failed(out_path: str, reason: str) -> None:
    write_json(out_path, {"status": "failed", "reason": reason})


def evaluate_variant(agent_cfg: dict, eval_cfg: dict, model_path: str, out_path: str, threads: int = 1) -> None:
    """Evaluate the variant as loaded from its file, in this (fresh) process, with `threads` torch threads."""
    torch.set_num_threads(threads)
    baseline_rss = psutil.Process().memory_info().rss
    try:
        model, _ = load_policy(model_path)
        result = evaluate(network_policy(model, agent_cfg["actions"], seed=eval_cfg["seed"]),
                          agent_cfg["env_id"], eval_cfg, baseline_rss)
    except VariantFailure as exc:
        return _failed(out_path, str(exc))
    result["model_bytes_in_memory"] = sum(
        t.numel() * t.element_size() for t in model.state_dict().values() if isinstance(t, torch.Tensor))
    result["actions"] = agent_cfg["actions"]
    result["torch_threads"] = torch.get_num_threads()
    result["status"] = "ok"
    write_json(out_path, result)


def evaluate_random(agent_cfg: dict, eval_cfg: dict, out_path: str) -> None:
    """The uniform-random policy on the same episode seeds: the floor every agent is shown beside."""
    result = evaluate(random_policy(action_space_of(agent_cfg["env_id"]), seed=eval_cfg["seed"]),
                      agent_cfg["env_id"], eval_cfg)
    result["actions"] = "uniform random"
    result["status"] = "ok"
    write_json(out_path, result)


def time_variant(timing_cfg: dict, model_path: str, observations_path: str, out_path: str, onnx_dir: str) -> None:
    """Time the variant on every selected backend; its ONNX form, when one was made, goes to `onnx_dir`."""
    with atomic_dir(onnx_dir) as tmp_dir:
        try:
            model, checkpoint = load_policy(model_path)  # selects the variant's quantized engine, if any
        except VariantFailure as exc:
            (tmp_dir / "NONE").write_text(f"no model: {exc}\n")
            return _failed(out_path, str(exc))
        observations = load_observations(observations_path, observation_shape(checkpoint["arch"]))
        result, onnx_bytes = time_backends(model, checkpoint["state_dict"], observations, timing_cfg)
        if onnx_bytes:
            (tmp_dir / "model.onnx").write_bytes(onnx_bytes)
            result["onnx_file"] = str(Path(onnx_dir) / "model.onnx")
            result["onnx_bytes"] = len(onnx_bytes)
        else:
            (tmp_dir / "NONE").write_text("no ONNX form: " + "; ".join(
                f"{name}: {r.get('reason', '')}" for name, r in result["backends"].items() if r["status"] != "ok") + "\n")
        result["cpu_count"] = os.cpu_count()
        result["status"] = "ok"
        write_json(out_path, result)


def machine_ceiling(timing_cfg: dict, out_path: str) -> None:
    from tinyrl.ceiling import measure_ceiling

    write_json(out_path, measure_ceiling(timing_cfg["threads"]))


def aggregate(pairs, metadata_paths, evaluation_paths, timing_paths, agents, random_paths, ceiling_path,
              summary_path) -> None:
    import json

    from tinyrl.aggregate import backend_rows, backend_table, build_summary, random_row, variant_row, write_tables

    ceiling = json.loads(Path(ceiling_path).read_text())["flops_per_s"]
    rows = [variant_row(agent, m, e, t)
            for (agent, _), m, e, t in zip(pairs, metadata_paths, evaluation_paths, timing_paths)]
    random_rows = [random_row(agent, path) for agent, path in zip(agents, random_paths)]
    tables_dir = Path(summary_path).parent
    write_tables(build_summary(rows, random_rows, ceiling), tables_dir)
    backends = backend_table([row for (agent, variant), t in zip(pairs, timing_paths)
                              for row in backend_rows(agent, variant, t)], ceiling)
    write_text(tables_dir / "backends.csv", backends.to_csv(index=False))


def figures(summary_path, figure_paths) -> None:
    import pandas as pd

    from tinyrl.figures import write_figures

    write_figures(pd.read_csv(summary_path), Path(figure_paths[0]).parent)


def report(config, summary_path, backends_path, ceiling_path, agents, checkpoint_paths, figure_paths, md_path,
           html_path, repo_dir) -> None:
    import json

    import pandas as pd

    from tinyrl.report import build_context, render_report

    checkpoints = {agent: {"path": str(path), "meta": read_checkpoint(path)["meta"]}
                   for agent, path in zip(agents, checkpoint_paths)}
    speed = {"backends": pd.read_csv(backends_path), "ceiling": json.loads(Path(ceiling_path).read_text())}
    context = build_context(config, pd.read_csv(summary_path), checkpoints, Path(figure_paths[0]).parent,
                            Path(md_path).parent, repo_dir, speed)
    render_report(context, md_path, html_path)
