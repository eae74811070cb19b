"""The policy as an OpenVINO model, what a user of an x86 edge box would ship: every head converted from
torch, run by OpenVINO's CPU plugin. `dtype: float32` keeps the float weights; `dtype: int8` is NNCF's
post-training quantization (its default preset: int8 weights per output channel, activations calibrated on
the observation set), which OpenVINO runs in integer kernels. `float_input_layer: true` leaves the input layer
in float (NNCF's ignored scope): an MLP's raw observation mixes scales (LunarLander's positions, velocities and
leg contacts) that one per-tensor int8 scale cannot hold. `max_drop` runs NNCF's accuracy-aware mode instead
(`quantize_with_accuracy_control`): it returns layers to float, most harmful first, until the int8 model's
fidelity to float32 on validation observations has dropped by at most `max_drop`. Fidelity is the share of
greedy actions kept (discrete outputs), or 1 - mean |output change| / mean |output| (continuous); the validation
observations are rows of the observation set that calibration did not take, never the evaluation's."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tinyrl.compression.base import INT8, CompressContext, Compressed, Family, param, param_in, schema
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.errors import VariantFailure
from tinyrl.policies.actions import deterministic_mode
from tinyrl.policies.model_stats import count_weights, weight_tensors
from tinyrl.runtimes.openvino_runtime import OpenVinoPolicy, convert, serialize


def calibration_rows(count: int, size: int) -> np.ndarray:
    """`count` rows spread evenly over a set of `size`: NNCF takes the first `subset_size` items it is given, and
    the set is stored step by step across its episodes (tinyrl.episodes.rollout), so its first items would all be
    the episodes' first steps."""
    return np.unique(np.linspace(0, size - 1, min(count, size)).round().astype(int))


def _samples(observations: torch.Tensor, rows: np.ndarray) -> list[np.ndarray]:
    """The rows as NNCF collects them: one float32 observation per sample."""
    return [observations[row : row + 1].float().numpy() for row in rows]


def calibration_samples(observations: torch.Tensor, count: int) -> list[np.ndarray]:
    """`count` observations spread evenly over the observation set."""
    return _samples(observations, calibration_rows(count, len(observations)))


def validation_samples(observations: torch.Tensor, calibration: int, count: int) -> list[np.ndarray]:
    """Up to `count` observations spread evenly over the rows calibration did not take."""
    rest = np.setdiff1d(np.arange(len(observations)), calibration_rows(calibration, len(observations)))
    return _samples(observations, rest[calibration_rows(count, len(rest))] if len(rest) else rest)


def fidelity_per_item(reference: np.ndarray, outputs: np.ndarray, discrete: bool) -> np.ndarray:
    """How close the int8 model's outputs stay to float32's, per observation: whether it keeps the greedy action, or
    for continuous outputs 1 - mean |change| / mean |float32 output| (over these observations). Their mean is the
    fidelity."""
    if discrete:
        return (reference.argmax(axis=1) == outputs.argmax(axis=1)).astype(float)
    scale = max(float(np.abs(reference).mean()), 1e-12)
    return 1.0 - np.abs(outputs - reference).mean(axis=1) / scale


def fidelity(reference: np.ndarray, outputs: np.ndarray, discrete: bool) -> float:
    return float(fidelity_per_item(reference, outputs, discrete).mean())


def _with_accuracy_control(nncf, converted, model: nn.Module, samples: list, params: dict, ctx, ignored):
    """NNCF's accuracy-aware int8: layers back to float until fidelity on validation rows drops by <= max_drop.
    Each validation item carries float32's outputs for its observation: NNCF validates subsets and single items."""
    validation = validation_samples(ctx.observations, params["calibration_samples"], params["calibration_samples"])
    if not validation:
        raise VariantFailure(
            f"max_drop needs observation-set rows that calibration does not take: the set has {len(ctx.observations)}, "
            f"and calibration_samples ({params['calibration_samples']}) takes them all"
        )
    with torch.inference_mode():
        references = model(torch.from_numpy(np.concatenate(validation))).numpy()
    items = [(sample, reference[None]) for sample, reference in zip(validation, references, strict=True)]
    discrete = deterministic_mode(model.output_kind) == "greedy"

    def validate(compiled, data) -> tuple[float, list[float]]:
        data = list(data)
        outputs = np.concatenate([compiled(sample)[0] for sample, _ in data])
        per_item = fidelity_per_item(np.concatenate([reference for _, reference in data]), outputs, discrete)
        return float(per_item.mean()), per_item.tolist()

    return nncf.quantize_with_accuracy_control(
        converted,
        nncf.Dataset(samples),
        nncf.Dataset(items, lambda item: item[0]),
        validate,
        max_drop=params["max_drop"],
        subset_size=len(samples),
        ignored_scope=ignored,
    )


def input_layer(model) -> str:
    """The OpenVINO op of the network's input layer: the first matrix product or convolution in topological order."""
    return next(op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() in WEIGHTED_OPS)


WEIGHTED_OPS = ("MatMul", "Convolution")


def _compress(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    if params.get("max_drop") is not None and params["dtype"] != "int8":
        raise VariantFailure(f"max_drop is NNCF's accuracy-aware int8: it does not apply to dtype {params['dtype']}")
    converted = convert(model, ctx.observations[:1])
    if params["dtype"] == "int8":
        import nncf  # noqa: PLC0415  (only this job needs it: importing it costs every job that lists families 0.7 s)

        samples = calibration_samples(ctx.observations, params["calibration_samples"])
        ignored = nncf.IgnoredScope(names=[input_layer(converted)]) if params.get("float_input_layer") else None
        if params.get("max_drop") is not None:
            converted = _with_accuracy_control(nncf, converted, model, samples, params, ctx, ignored)
        else:
            converted = nncf.quantize(converted, nncf.Dataset(samples), subset_size=len(samples), ignored_scope=ignored)
    # weight counts are the float network's: the int8 model holds as many weights
    counts = count_weights(tensor for _, tensor in weight_tensors(model))
    policy, structure = OpenVinoPolicy.made(serialize(converted), model, ctx.observations, counts)
    return Compressed(policy, structure=structure)


def _skeleton(arch: dict, params: dict, structure: dict) -> nn.Module:
    return OpenVinoPolicy.from_structure(arch, structure)


FAMILY = Family(
    name="openvino_program",
    description="the policy as an OpenVINO model (every head converted from torch), float32 or int8 by NNCF's "
    "post-training quantization (calibrated on the observation set), run by OpenVINO's CPU plugin",
    param_schema=schema(
        {
            "dtype": {"enum": ["float32", "int8"]},
            "calibration_samples": {"type": "integer", "minimum": 1, "description": "NNCF's subset_size"},
            "float_input_layer": {"type": "boolean", "description": "int8: leave the input layer in float"},
            "max_drop": {
                "type": "number",
                "exclusiveMinimum": 0,
                "exclusiveMaximum": 1,
                "description": "int8: NNCF's accuracy-aware mode, the largest drop in fidelity to float32 allowed",
            },
        },
        ["dtype"],
    ),
    defaults={"calibration_samples": 300},  # float_input_layer: absent is false, so existing variants keep their params
    compress=_compress,
    skeleton=_skeleton,
    table=QUANTIZATION,
    columns={"program_dtype": param("dtype"), INT8: param_in("dtype", "int8")},
    peer="OpenVINO",
    self_contained=True,
    backends=("openvino",),
    note="OpenVINO variants are OpenVINO models (IR) stored as bytes in the variant's file; their parameter "
    "counts are those of the float network they were converted from.",
)
