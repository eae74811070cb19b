"""Stages `time_forward` (an agent's variants on every selected backend) and `machine_ceiling` (the GEMM rate)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from tinyrl.atomic import atomic_dir, write_json
from tinyrl.ceiling import measure_ceiling
from tinyrl.errors import VariantFailure
from tinyrl.families import get_family
from tinyrl.loading import load_policy
from tinyrl.observations import load_observations, observation_shape
from tinyrl.timing import time_backends


def time_forward(
    *,
    models: list[str],
    observations: str,
    eval_observations: list[str],
    timings: str,
    variants: list[str],
    settings: dict,
) -> None:
    """Time every variant of one agent, one after the other in this one process, on every selected backend
    (and those its family asks for), each checked against the variant's own outputs on the observation set
    and on its evaluation's observations. The `timings` folder gets `<variant>.json` per variant and
    `<variant>.onnx`, the variant's ONNX form, when one was made. One process for all of them: every
    ratio to float32 compares times taken in the same process, back to back, and no job start-up is paid
    per variant while the timing claims every core."""
    with atomic_dir(timings) as tmp_dir:
        for variant, model, evaluated in zip(variants, models, eval_observations, strict=True):
            result, onnx_bytes = _time_variant(model, observations, evaluated, settings)
            if onnx_bytes:
                (tmp_dir / f"{variant}.onnx").write_bytes(onnx_bytes)
                result["onnx_file"] = str(Path(timings) / f"{variant}.onnx")
                result["onnx_bytes"] = len(onnx_bytes)
            write_json(tmp_dir / f"{variant}.json", result)
            torch._dynamo.reset()  # compiled graphs of one variant are of no use to the next


def _time_variant(model: str, observations: str, eval_observations: str, settings: dict) -> tuple[dict, bytes]:
    try:
        policy_model, checkpoint = load_policy(model)  # selects the variant's quantized engine, if any
    except VariantFailure as exc:
        return {"status": "failed", "reason": str(exc)}, b""
    shape = observation_shape(checkpoint["arch"])
    data = load_observations(observations, shape)
    evaluated = load_observations(eval_observations, shape, allow_empty=True)  # empty: the evaluation failed
    family = get_family(checkpoint["recipe"]["family"])
    groups = list(dict.fromkeys([*settings.get("backends", ["torch-eager"]), *family.backends]))
    result, onnx_bytes = time_backends(
        policy_model, checkpoint["state_dict"], data, {**settings, "backends": groups}, eval_observations=evaluated
    )
    return {**result, "cpu_count": os.cpu_count(), "status": "ok"}, onnx_bytes or b""


def machine_ceiling(*, ceiling: str, settings: dict) -> None:
    write_json(ceiling, measure_ceiling(settings["threads"]))
