"""Stages `time_forward` (a variant on every selected backend) and `machine_ceiling` (the GEMM rate)."""

from __future__ import annotations

import os
from pathlib import Path

from tinyrl.atomic import atomic_dir, write_json
from tinyrl.ceiling import measure_ceiling
from tinyrl.errors import VariantFailure
from tinyrl.loading import load_policy
from tinyrl.observations import load_observations, observation_shape
from tinyrl.timing import time_backends


def time_forward(
    *, model: str, observations: str, eval_observations: str, timing: str, onnx: str, settings: dict
) -> None:
    """Time the variant on every selected backend, each checked against the variant's own outputs on the
    observation set and on its evaluation's observations; its ONNX form, when one was made, goes to the
    `onnx` folder (model.onnx, else NONE saying why)."""
    with atomic_dir(onnx) as tmp_dir:
        try:
            policy_model, checkpoint = load_policy(model)  # selects the variant's quantized engine, if any
        except VariantFailure as exc:
            (tmp_dir / "NONE").write_text(f"no model: {exc}\n")
            return write_json(timing, {"status": "failed", "reason": str(exc)})
        shape = observation_shape(checkpoint["arch"])
        data = load_observations(observations, shape)
        evaluated = load_observations(eval_observations, shape, allow_empty=True)  # empty: the evaluation failed
        result, onnx_bytes = time_backends(
            policy_model, checkpoint["state_dict"], data, settings, eval_observations=evaluated
        )
        if onnx_bytes:
            (tmp_dir / "model.onnx").write_bytes(onnx_bytes)
            result["onnx_file"] = str(Path(onnx) / "model.onnx")
            result["onnx_bytes"] = len(onnx_bytes)
        else:
            reasons = [
                f"{name}: {r.get('reason', '')}" for name, r in result["backends"].items() if r["status"] != "ok"
            ]
            (tmp_dir / "NONE").write_text("no ONNX form: " + "; ".join(reasons) + "\n")
        result["cpu_count"] = os.cpu_count()
        result["status"] = "ok"
        write_json(timing, result)


def machine_ceiling(*, ceiling: str, settings: dict) -> None:
    write_json(ceiling, measure_ceiling(settings["threads"]))
