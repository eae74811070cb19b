"""PyTorch 2 export quantization (PT2E, torchao.quantization.pt2e): the flow PyTorch recommends in place of
its deprecated eager API. A quantizer (ExecuTorch's XNNPACK one, Inductor's x86 one) annotates the
exported graph, observers are calibrated on observations, and conversion folds the weights to int8.

torchao and the quantizers are imported by the jobs that use them only: they take seconds to import.
"""

from __future__ import annotations

import torch
from torch import nn

CALIBRATION_BATCH = 100
QPARAM_PREFIXES = ("_scale_", "_zero_point_")  # the converted graph's quantization parameters
ACTIVATION_QDQ = ("quantized_decomposed.quantize_per_tensor.", "quantized_decomposed.dequantize_per_tensor.")


def batch_axis(max_batch: int | None = None):
    """torch.export's dynamic shapes for one input whose first axis is the batch (at most `max_batch`)."""
    return ({0: torch.export.Dim("batch", min=1, max=max_batch)},)


def export_example(example: torch.Tensor, batch: int = 2) -> tuple[torch.Tensor]:
    """`batch` copies of the first observation (at least 2: an example batch of 1 would fix the batch axis)."""
    first = example[:1].float()
    return (first.expand(max(2, batch), *first.shape[1:]).contiguous(),)


def quantize_graph(
    model: nn.Module, example: torch.Tensor, quantizer, calibration: torch.Tensor, max_batch: int | None = None
) -> torch.fx.GraphModule:
    """The model exported, annotated by `quantizer`, calibrated on `calibration` in batches, converted."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    graph = torch.export.export(model.eval(), export_example(example), dynamic_shapes=batch_axis(max_batch)).module()
    prepared = prepare_pt2e(graph, quantizer)
    with torch.no_grad():
        for start in range(0, len(calibration), CALIBRATION_BATCH):
            prepared(calibration[start : start + CALIBRATION_BATCH].float())
    return convert_pt2e(prepared)


def graph_weights(converted: torch.fx.GraphModule) -> dict[str, torch.Tensor]:
    """The tensors the converted graph computes with (int8 weights, float biases), less its scales and
    zero points: what the float network's weights and biases became."""
    weights = {}
    for node in converted.graph.nodes:
        if node.op == "get_attr" and not node.target.startswith(QPARAM_PREFIXES):
            value = converted
            for part in node.target.split("."):
                value = getattr(value, part)
            if isinstance(value, torch.Tensor):
                weights[node.target] = value
    return weights


def _is_activation_qdq(node: torch.fx.Node) -> bool:
    """A per-tensor quantize or dequantize of an activation: its scale and zero point are literals."""
    return node.op == "call_function" and str(node.target).startswith(ACTIVATION_QDQ)


def activation_qparams(graph: torch.fx.GraphModule) -> list[list[float | int]]:
    """[scale, zero point] of each activation quantize/dequantize, in graph order: with the graph's tensors,
    all that calibration decided."""
    return [[float(node.args[1]), int(node.args[2])] for node in graph.graph.nodes if _is_activation_qdq(node)]


def set_activation_qparams(graph: torch.fx.GraphModule, qparams: list) -> None:
    nodes = [node for node in graph.graph.nodes if _is_activation_qdq(node)]
    if len(nodes) != len(qparams):
        raise ValueError(f"the graph quantizes {len(nodes)} activations, the file holds {len(qparams)} scales")
    for node, (scale, zero_point) in zip(nodes, qparams):
        node.args = (node.args[0], float(scale), int(zero_point), *node.args[3:])
    graph.recompile()


def drop_unused_tensors(graph: torch.fx.GraphModule) -> None:
    """Conversion keeps the float weights beside the int8 ones it folded; only what the graph reads stays."""
    used = {node.target for node in graph.graph.nodes if node.op == "get_attr"}
    for name in [name for name, _ in (*graph.named_parameters(), *graph.named_buffers()) if name not in used]:
        owner, _, attr = name.rpartition(".")
        delattr(graph.get_submodule(owner) if owner else graph, attr)


class QuantizedGraphPolicy(nn.Module):
    """A policy whose forward is a PT2E-converted graph of every head (int8 weights folded, activations
    quantized and dequantized around each op), the form Inductor compiles into int8 kernels."""

    inductor_options = {"freezing": True}  # torch-compile: what lets Inductor fold weights into int8 kernels

    def __init__(self, graph: torch.fx.GraphModule, output_kind: str, flops: int, log_std=None):
        from torchao.quantization.pt2e import allow_exported_model_train_eval

        super().__init__()
        drop_unused_tensors(graph)
        allow_exported_model_train_eval(graph)  # eval() is what loading calls; no dropout or batch norm here
        self.graph = graph
        if log_std is not None:
            self.register_buffer("log_std", log_std.detach().clone())
        self.output_kind = output_kind
        self.flops = flops  # of the float network it was made from (model_stats.flops_per_observation)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        outputs = self.graph(obs)
        return outputs[0] if isinstance(outputs, (tuple, list)) else outputs

    def weight_tensors(self):
        """(name, float tensor) per weight and bias the graph computes with, for size statistics."""
        for name, tensor in graph_weights(self.graph).items():
            yield name, tensor.float()
