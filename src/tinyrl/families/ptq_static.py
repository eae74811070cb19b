"""Post-training static quantization (torch eager API), activation ranges calibrated on the observation set."""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.compression import eager_quant
from tinyrl.compression.base import INT8, CompressContext, Compressed, Family, param, param_in, schema
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.policies.networks import build_network


def quantize(model: nn.Module, params: dict, calibration: torch.Tensor | None) -> nn.Module:
    if params["dtype"] == "float16":
        return eager_quant.static_float16(model)
    return eager_quant.static_int8(model, params["engine"], calibration)


def _compress(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    return Compressed(quantize(model, params, ctx.observations))


FAMILY = Family(
    name="ptq_static",
    description="post-training static quantization, calibrated on the observation set (torch eager API); "
    "dtype float16 casts weights and activations to half precision",
    param_schema=schema({"dtype": eager_quant.DTYPE_PARAM, "engine": eager_quant.ENGINE_PARAM}, ["dtype"]),
    defaults={"engine": "x86"},
    compress=_compress,
    skeleton=lambda arch, params, structure: quantize(build_network(arch), params, None),
    table=QUANTIZATION,
    columns={"dtype": param("dtype"), INT8: param_in("dtype", "qint8")},
    feeds=frozenset({"static_int8"}),
    note="Static fp16: torch's eager float16_static_qconfig cannot convert nn.Linear (torch raises "
    '"calculate_qparams should not be called for PlaceholderObserver"), so ptq_static with dtype float16 casts '
    "weights and activations to float16 (float32 in and out).",
)
