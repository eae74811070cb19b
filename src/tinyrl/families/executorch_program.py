"""The policy as the ExecuTorch program (.pte) a user would ship to a small device: every head exported,
lowered to XNNPACK, run in ExecuTorch's runtime. `dtype: float32` keeps the float weights; `dtype: int8`
is static int8 by ExecuTorch's XNNPACK quantizer (PT2E): weights int8 symmetric per output channel,
activations int8 calibrated on the observation set."""

from __future__ import annotations

from torch import nn

from tinyrl.compression.base import INT8, CompressContext, Compressed, Family, param, param_in, schema
from tinyrl.compression.layer_dtypes import torch_layers
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.policies.model_stats import count_weights, weight_tensors
from tinyrl.runtimes.executorch_runtime import ExecuTorchPolicy, export_program, xnnpack_int8_graph
from tinyrl.runtimes.pt2e import graph_weights


def _compress(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    graph = xnnpack_int8_graph(model, ctx.observations) if params["dtype"] == "int8" else model
    program = export_program(graph, ctx.observations)
    weights = graph_weights(graph).values() if graph is not model else (t for _, t in weight_tensors(model))
    policy, structure = ExecuTorchPolicy.made(program, model, ctx.observations, count_weights(weights))
    return Compressed(policy, structure=structure, layers=torch_layers(graph))


def _skeleton(arch: dict, params: dict, structure: dict) -> nn.Module:
    return ExecuTorchPolicy.from_structure(arch, structure)


FAMILY = Family(
    name="executorch_program",
    description="the policy as an XNNPACK-lowered ExecuTorch program (.pte), float32 or static int8 by "
    "ExecuTorch's XNNPACK quantizer (PT2E; int8 weights per output channel, int8 activations calibrated on "
    "the observation set), run in ExecuTorch's runtime",
    param_schema=schema({"dtype": {"enum": ["float32", "int8"]}}, ["dtype"]),
    defaults={},
    compress=_compress,
    skeleton=_skeleton,
    table=QUANTIZATION,
    columns={"program_dtype": param("dtype"), INT8: param_in("dtype", "int8")},
    peer="ExecuTorch",
    self_contained=True,
    note="ExecuTorch variants are XNNPACK-lowered programs (.pte) stored as bytes in the variant's file; "
    "their parameter counts are those of the quantized graph the program was lowered from.",
)
