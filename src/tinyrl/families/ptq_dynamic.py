"""Post-training dynamic quantization of the Linear layers (torch eager API): weights stored in the
chosen dtype, activations quantized on the fly."""

from __future__ import annotations

from torch import nn

from tinyrl.compression import eager_quant
from tinyrl.compression.base import INT8, Compressed, Family, param, param_in, schema
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.policies.networks import build_network


def quantize(model: nn.Module, params: dict) -> nn.Module:
    return eager_quant.dynamic(model, params["dtype"], params["engine"])


FAMILY = Family(
    name="ptq_dynamic",
    description="post-training dynamic quantization of Linear layers (torch eager API)",
    param_schema=schema({"dtype": eager_quant.DTYPE_PARAM, "engine": eager_quant.ENGINE_PARAM}, ["dtype"]),
    defaults={"engine": "x86"},
    compress=lambda model, params, ctx: Compressed(eager_quant.dynamic(model, params["dtype"], params["engine"])),
    skeleton=lambda arch, params, structure: eager_quant.dynamic(
        build_network(arch), params["dtype"], params["engine"]
    ),
    table=QUANTIZATION,
    columns={"dtype": param("dtype"), INT8: param_in("dtype", "qint8")},
)
