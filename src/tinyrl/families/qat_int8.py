"""Quantization-aware training to static int8 (torch eager API), fine-tuned from the trained policy."""

from __future__ import annotations

from torch import nn

from tinyrl.compression import eager_quant
from tinyrl.compression.base import (
    FINETUNE_STEPS,
    FINETUNE_WITH,
    INT8,
    CompressContext,
    Compressed,
    Family,
    constant,
    schema,
)
from tinyrl.compression.finetune import finetune_if_asked
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.policies.networks import build_network


def _compress(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    quantized, info = eager_quant.qat_int8(
        model, params["engine"], lambda prepared: finetune_if_asked(prepared, model, ctx, params)
    )
    return Compressed(quantized, info=info)


FAMILY = Family(
    name="qat_int8",
    description="quantization-aware training to static int8, fine-tuned from the trained policy by "
    "distillation (torch eager API)",
    param_schema=schema(
        {
            "engine": eager_quant.ENGINE_PARAM,
            "finetune_steps": {**FINETUNE_STEPS, "minimum": 1},
            "finetune_with": FINETUNE_WITH,
        }
    ),
    defaults={"engine": "x86", "finetune_steps": 3000, "finetune_with": "distillation"},
    compress=_compress,
    # The same modules as static int8: the converted QAT model loads through its skeleton.
    skeleton=lambda arch, params, structure: eager_quant.static_int8(build_network(arch), params["engine"], None),
    table=QUANTIZATION,
    columns={INT8: constant(True)},
    feeds=frozenset({"qat"}),
)
