"""Static int8 by ONNX Runtime's own quantizer: the policy exported to ONNX, weights int8 per output
channel, activations uint8 calibrated (min/max) on the observation set, in QDQ form. The variant
runs in ONNX Runtime, which fuses the QDQ pairs into integer kernels."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import nn

from tinyrl.compression.base import INT8, CompressContext, Compressed, Family, constant, schema
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.policies.model_stats import flops_per_observation
from tinyrl.runtimes.onnx_runtime import INPUT_NAME, OnnxRuntimePolicy, export_onnx

CALIBRATION_BATCH = 100


def _calibration_reader(observations: torch.Tensor):
    from onnxruntime.quantization import CalibrationDataReader

    class ObservationBatches(CalibrationDataReader):
        def __init__(self):
            self._batches = (
                observations[i : i + CALIBRATION_BATCH].float().numpy()
                for i in range(0, len(observations), CALIBRATION_BATCH)
            )

        def get_next(self):
            batch = next(self._batches, None)
            return None if batch is None else {INPUT_NAME: batch}

    return ObservationBatches()


def quantize_int8(model: nn.Module, observations: torch.Tensor, per_channel: bool) -> bytes:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="tinyrl-ort-") as tmp:
        float_path, prepared_path, int8_path = (Path(tmp) / name for name in ("float.onnx", "pre.onnx", "int8.onnx"))
        float_path.write_bytes(export_onnx(model, observations[:1]))
        quant_pre_process(float_path, prepared_path)  # shape inference and graph clean-up the quantizer wants
        quantize_static(
            prepared_path,
            int8_path,
            _calibration_reader(observations),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        return int8_path.read_bytes()


def _compress(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    model_bytes = quantize_int8(model, ctx.observations, params["per_channel"])
    # FLOPs are the float network's: the int8 model does the same multiply-adds.
    structure = {
        "onnx_bytes": len(model_bytes),
        "has_log_std": hasattr(model, "log_std"),
        "flops_per_observation": flops_per_observation(model, ctx.observations[:1]),
    }
    policy = OnnxRuntimePolicy.holding(model_bytes, model, structure["flops_per_observation"])
    return Compressed(policy, structure=structure)


def _skeleton(arch: dict, params: dict, structure: dict) -> nn.Module:
    return OnnxRuntimePolicy.skeleton(
        arch, structure["onnx_bytes"], structure["has_log_std"], structure["flops_per_observation"]
    )


FAMILY = Family(
    name="ort_static_int8",
    description="post-training static int8 by ONNX Runtime's quantizer (QDQ; int8 weights per output channel, "
    "uint8 activations calibrated on the observation set), run in ONNX Runtime",
    param_schema=schema({"per_channel": {"type": "boolean"}}),
    defaults={"per_channel": True},
    compress=_compress,
    skeleton=_skeleton,
    table=QUANTIZATION,
    columns={INT8: constant(True)},
    self_contained=True,
)
