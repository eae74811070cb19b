"""Static int8 by PT2E with Inductor's x86 quantizer, the flow PyTorch recommends for x86 CPUs in place of its
deprecated eager API: every head of the policy exported, convolutions and Linear layers quantized (int8
weights per output channel, uint8 activations calibrated on the observation set), then compiled by
Inductor with freezing, which lowers the quantized patterns to oneDNN int8 kernels.

The variant's file holds the converted graph's tensors (int8 weights, scales, biases) and its activations'
scales and zero points; loading exports a float skeleton the same way, converts it, and puts them back.
"""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.compression.base import INT8, CompressContext, Compressed, Family, constant, schema
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.episodes.observations import observation_shape
from tinyrl.policies.model_stats import flops_per_observation
from tinyrl.policies.networks import OUTPUT_KINDS, build_network, every_head
from tinyrl.runtimes.pt2e import QuantizedGraphPolicy, activation_qparams, quantize_graph, set_activation_qparams


def _x86_quantizer():
    from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
        X86InductorQuantizer,
        get_default_x86_inductor_quantization_config,
    )

    return X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())


def _compress(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    graph = quantize_graph(every_head(model), ctx.observations[:1], _x86_quantizer(), ctx.observations)
    structure = {
        "activation_qparams": activation_qparams(graph),
        "flops_per_observation": flops_per_observation(model, ctx.observations[:1]),
    }
    policy = QuantizedGraphPolicy(
        graph, model.output_kind, structure["flops_per_observation"], getattr(model, "log_std", None)
    )
    return Compressed(policy, structure=structure)


def _skeleton(arch: dict, params: dict, structure: dict) -> nn.Module:
    """The same graph, converted from a float network of the same shape; the file's tensors replace its own."""
    model = build_network(arch).eval()
    example = torch.zeros(1, *observation_shape(arch))
    graph = quantize_graph(every_head(model), example, _x86_quantizer(), example)
    set_activation_qparams(graph, structure["activation_qparams"])
    log_std = getattr(model, "log_std", None)
    return QuantizedGraphPolicy(graph, OUTPUT_KINDS[arch["kind"]], structure["flops_per_observation"], log_std)


FAMILY = Family(
    name="pt2e_x86_int8",
    description="post-training static int8 by PT2E with Inductor's x86 quantizer (convolutions and Linear "
    "layers; int8 weights per output channel, uint8 activations calibrated on the observation set), "
    "compiled by Inductor with freezing",
    param_schema=schema({}),
    defaults={},
    compress=_compress,
    skeleton=_skeleton,
    table=QUANTIZATION,
    columns={INT8: constant(True)},
    backends=("torch-compile",),
    peer="PT2E + Inductor",
    note="PT2E variants store the converted graph's int8 weights, scales and biases and its activations' "
    "scales; loading re-exports a float skeleton and converts it. Eager, they run the reference "
    "quantize/dequantize ops; Inductor (torch-compile, freezing on) lowers them to int8 kernels.",
)
