"""Stages `time_forward` (an agent's variants on every selected backend) and `machine_ceiling` (the GEMM rate)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from tinyrl.atomic import atomic_dir, write_json
from tinyrl.compression.base import BASELINE
from tinyrl.compression.loading import load_policy
from tinyrl.episodes.observations import load_observations, observation_shape
from tinyrl.errors import VariantFailure
from tinyrl.families import get_family
from tinyrl.jobs.settings import TimingSettings
from tinyrl.timing.allocator import hold_freed_memory
from tinyrl.timing.ceiling import measure_ceiling
from tinyrl.timing.floor import measure_floor, time_in_c
from tinyrl.timing.rounds import finish, prepare_variant, time_rounds, timing_batches


def time_forward(
    *,
    models: list[str],
    observations: str,
    eval_observations: list[str],
    timings: str,
    variants: list[str],
    settings: TimingSettings,
) -> None:
    """Time every variant of one agent in this one process, on every selected backend (and those its family
    asks for), each checked against the variant's own outputs on the observation set and on its evaluation's
    observations, then timed in interleaved rounds with all the others (tinyrl.timing.rounds.time_rounds): every
    ratio to float32 is taken within a round. The `timings` folder gets `<variant>.json` per variant and
    `<variant>.onnx`, the variant's ONNX form, when one was made. One process for all of them: no job
    start-up is paid per variant while the timing claims every core."""
    torch.set_num_threads(settings["threads"])
    allocator = hold_freed_memory()  # else a variant's time depends on what was timed before it
    # Every variant's compiled graphs stay alive until the last round: more than dynamo's default allows.
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 4 * len(variants))
    prepared, failed, baseline, batches, policy_models = {}, {}, None, None, {}
    for variant, model, evaluated in zip(variants, models, eval_observations, strict=True):
        try:
            policy_model, checkpoint = load_policy(model)  # selects the variant's quantized engine, if any
        except VariantFailure as exc:
            failed[variant] = {"status": "failed", "reason": str(exc)}
            continue
        shape = observation_shape(checkpoint["arch"])
        if batches is None:
            observation_set = load_observations(observations, shape)
            batches = timing_batches(observation_set, settings)
        evaluation = load_observations(evaluated, shape, allow_empty=True)  # empty: the evaluation failed
        family = get_family(checkpoint["recipe"]["family"])
        groups = list(dict.fromkeys([*settings.get("backends", ["torch-eager"]), *family.backends]))
        prepared[variant] = prepare_variant(
            policy_model, checkpoint["state_dict"], batches, {**settings, "backends": groups}, evaluation
        )
        policy_models[variant] = policy_model
        if family.name == BASELINE:
            baseline = prepared[variant]
            baseline_model = policy_model
    time_rounds(prepared, settings)
    # the machine's floor for float32's network (a plain C loop, tinyrl.timing.floor); only its record holds it
    floor = measure_floor(baseline_model, observation_set, settings) if baseline is not None else None
    for variant, timed in prepared.items():  # each C file timed inside C too: the floor of that code
        if "c" not in timed.runners:
            continue
        if timed is baseline and floor and floor["status"] == "ok":  # float32's C file is the floor's: timed once
            loop = {key: floor[key] for key in ("check_observations", "max_abs_diff", "latency")}
        else:
            source = timed.runners["c"][0].artifact
            loop = time_in_c(policy_models[variant], source, observation_set, settings, "c_runtime.py")
        timed.record["backends"]["c"]["c_loop"] = loop
    with atomic_dir(timings) as tmp_dir:
        for variant in variants:
            if variant in failed:
                write_json(tmp_dir / f"{variant}.json", failed[variant])
                continue
            result = finish(prepared[variant], baseline, allocator, torch.get_num_threads())
            result |= {"cpu_count": os.cpu_count(), "status": "ok"}
            if prepared[variant] is baseline:
                result["floor"] = floor
            for suffix, program in prepared[variant].artifacts.items():  # e.g. its ONNX form, <variant>.onnx
                (tmp_dir / f"{variant}{suffix}").write_bytes(program)
                result[f"{suffix[1:]}_file"] = str(Path(timings) / f"{variant}{suffix}")
                result[f"{suffix[1:]}_bytes"] = len(program)
            write_json(tmp_dir / f"{variant}.json", result)


def machine_ceiling(*, ceiling: str, settings: TimingSettings) -> None:
    write_json(ceiling, measure_ceiling(settings["threads"]))
