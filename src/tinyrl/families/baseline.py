"""The trained float32 policy, unchanged: the reference every variant is compared with."""

from __future__ import annotations

import copy

from torch import nn

from tinyrl.compression.base import BASELINE, CompressContext, Compressed, Family, Table, schema
from tinyrl.policies.networks import build_network


def _unchanged(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    return Compressed(copy.deepcopy(model).eval())


FAMILY = Family(
    name=BASELINE,
    description="the trained float32 policy, unchanged",
    param_schema=schema({}),
    defaults={},
    compress=_unchanged,
    skeleton=lambda arch, params, structure: build_network(arch),
    table=Table(BASELINE, "Float32 baseline"),
)
