"""Compression families: how each variant is made from the fp32 policy and rebuilt from its file.

Each family (see base.Family) has a parameter schema validated with the config,
a `compress` function and a `skeleton` function that rebuilds the empty module
structure into which the variant file's state dict is loaded.
"""

from __future__ import annotations

import copy

from tinyrl.compression import binary, distillation, low_rank, onnx_quant, pruning, quantization, structural
from tinyrl.compression.base import CompressContext, Compressed, Family, schema
from tinyrl.networks import build_network

BASELINE = Family(
    name="baseline",
    table="baseline",
    description="the trained float32 policy, unchanged",
    param_schema=schema({}),
    defaults={},
    compress=lambda model, params, ctx: Compressed(copy.deepcopy(model).eval()),
    skeleton=lambda arch, params, structure: build_network(arch),
)

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in [BASELINE, *quantization.FAMILIES, *onnx_quant.FAMILIES, *pruning.FAMILIES, *structural.FAMILIES,
                   *low_rank.FAMILIES, *binary.FAMILIES, *distillation.FAMILIES]
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown compression family {name!r} (known: {', '.join(FAMILIES)})") from None


__all__ = ["FAMILIES", "CompressContext", "Compressed", "Family", "get_family"]
