"""What each compute layer of a variant stores its weights as and computes in, read from the variant itself: a
torch module's layers, a PT2E graph's matrix products, an ONNX graph's, an OpenVINO model's. The metadata keeps
the list, and the report shows which layers a quantized variant left in float (libraries skip layers silently:
torchao and ExecuTorch skip a Linear whose width does not fit their group size).

One record per layer: {"layer": its name, "op": linear or conv2d, "stored": the weights' dtype as stored,
"computed": the dtype its matrix product runs in}. A layer class of our own declares its dtypes itself
(`layer_dtypes()`: fake_quant's b-bit codes, binary's signs, sparse storage), and so does a program for another
runtime (`compute_layers()`, beside the runtime: tinyrl.runtimes).
"""

from __future__ import annotations

import torch
from torch import nn

FLOAT = "float32"
INT8_DTYPES = {torch.qint8: "int8", torch.quint8: "uint8", torch.int8: "int8", torch.uint8: "uint8"}


def layer_record(layer: str, op: str, stored: str, computed: str) -> dict:
    return {"layer": layer, "op": op, "stored": stored, "computed": computed}


def _weight_dtype(weight: torch.Tensor) -> str:
    """A float or torchao weight's stored dtype: torchao's quantized tensors say theirs in their class and data."""
    if type(weight).__module__.startswith("torchao"):
        inner = next(
            (t for name in ("qdata", "int_data", "tensor_impl") if (t := getattr(weight, name, None)) is not None), None
        )
        dtype = getattr(inner, "dtype", None)
        return INT8_DTYPES.get(dtype, str(dtype).removeprefix("torch.")) if dtype is not None else type(weight).__name__
    return str(weight.dtype).removeprefix("torch.") + (" (sparse)" if weight.layout != torch.strided else "")


def _module_record(name: str, module: nn.Module) -> dict | None:
    """The record of one torch module that is a compute layer, None for any other module."""
    if hasattr(module, "layer_dtypes"):  # a layer class of our own, declaring its storage
        return {"layer": name, **module.layer_dtypes()}
    quantized = torch.ao.nn.quantized
    if isinstance(module, quantized.dynamic.Linear):
        dtype = module._packed_params.dtype
        if dtype == torch.float16:
            return layer_record(name, "linear", "float16", FLOAT)
        return layer_record(name, "linear", INT8_DTYPES[dtype], "int8 (activations quantized per batch)")
    if isinstance(module, (quantized.Linear, quantized.Conv2d)):
        op = "linear" if isinstance(module, quantized.Linear) else "conv2d"
        return layer_record(name, op, INT8_DTYPES[module.weight().dtype], "int8")
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        op = "linear" if isinstance(module, nn.Linear) else "conv2d"
        stored = _weight_dtype(module.weight)
        if type(module.weight).__module__.startswith("torchao"):
            # torchao's dynamic int8 quantizes activations per batch; its weight-only configs compute in float
            dynamic = getattr(module.weight, "act_quant_kwargs", None) is not None
            return layer_record(name, op, stored, "int8 (activations quantized per batch)" if dynamic else FLOAT)
        return layer_record(name, op, stored, stored.removesuffix(" (sparse)"))
    return None


def _graph_records(graph: torch.fx.Graph) -> list[dict]:
    """A PT2E graph's linear and convolution nodes: int8 where the weight comes through a dequantize node, computed
    in int8 where the input does too (the pattern the x86 Inductor and XNNPACK lowerings run in int8)."""
    records = []
    for node in graph.nodes:
        op = {"aten.linear.default": "linear", "aten.conv2d.default": "conv2d"}.get(str(node.target))
        if op is None:
            continue
        source, weight = node.args[0], node.args[1]
        stored = "int8" if "dequantize" in str(getattr(weight, "target", "")) else FLOAT
        computed = "int8" if stored == "int8" and "dequantize" in str(getattr(source, "target", "")) else FLOAT
        stack = node.meta.get("nn_module_stack") or {}
        name = next(reversed(stack.values()))[0].removeprefix("L['self'].") if stack else node.name
        records.append(layer_record(name, op, stored, computed))
    return records


def torch_layers(model: nn.Module) -> list[dict]:
    """Every compute layer of a torch module, in its modules' order (a PT2E graph's nodes for a graph module)."""
    records = []
    for name, module in model.named_modules():
        if isinstance(module, torch.fx.GraphModule):
            return _graph_records(module.graph)
        record = _module_record(name, module)
        if record is not None:
            records.append(record)
    return records


def variant_layers(model: nn.Module) -> list[dict] | None:
    """Every compute layer of a variant as loaded from its file: a program for another runtime reads its own graph
    (`compute_layers`: ONNX's, OpenVINO's), or None where it cannot be read back (an ExecuTorch program: its
    family records the graph it lowered)."""
    if hasattr(model, "compute_layers"):
        return model.compute_layers()
    return torch_layers(model)
