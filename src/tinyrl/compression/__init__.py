"""Compression families: how each variant is made from the fp32 policy and rebuilt from its file.

A family has a parameter schema (validated with the config), a `compress`
function (fp32 model + parameters + calibration observations -> compressed
model) and a `skeleton` function (architecture + parameters -> an uncalibrated
model of the same structure, into which the stored state dict is loaded).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from tinyrl.compression import eager_quant
from tinyrl.networks import build_network


@dataclass(frozen=True)
class Family:
    name: str
    table: str  # the report table the family's variants appear in
    description: str
    param_schema: dict
    compress: Callable[[nn.Module, dict, torch.Tensor], nn.Module]
    skeleton: Callable[[dict, dict], nn.Module]
    defaults: dict


_ENGINE = {"type": "string", "enum": list(eager_quant.ENGINES)}
_QUANT_DTYPE = {"type": "string", "enum": list(eager_quant.DTYPES)}


def _schema(properties: dict, required: list[str] = ()) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": list(required)}


def _ptq_static(model: nn.Module, params: dict, calibration: torch.Tensor | None) -> nn.Module:
    if params["dtype"] == "float16":
        return eager_quant.static_float16(model)
    return eager_quant.static_int8(model, params["engine"], calibration)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family(
            name="baseline",
            table="quantization",
            description="the trained float32 policy, unchanged",
            param_schema=_schema({}),
            compress=lambda model, params, obs: copy.deepcopy(model).eval(),
            skeleton=lambda arch, params: build_network(arch),
            defaults={},
        ),
        Family(
            name="ptq_dynamic",
            table="quantization",
            description="post-training dynamic quantization of Linear layers (torch eager API)",
            param_schema=_schema({"dtype": _QUANT_DTYPE, "engine": _ENGINE}, ["dtype"]),
            compress=lambda model, params, obs: eager_quant.dynamic(model, params["dtype"], params["engine"]),
            skeleton=lambda arch, params: eager_quant.dynamic(build_network(arch), params["dtype"], params["engine"]),
            defaults={"engine": "x86"},
        ),
        Family(
            name="ptq_static",
            table="quantization",
            description="post-training static quantization, calibrated on the observation set (torch eager API)",
            param_schema=_schema({"dtype": _QUANT_DTYPE, "engine": _ENGINE}, ["dtype"]),
            compress=_ptq_static,
            skeleton=lambda arch, params: _ptq_static(build_network(arch), params, None),
            defaults={"engine": "x86"},
        ),
    ]
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown compression family {name!r} (known: {', '.join(FAMILIES)})") from None
