"""Size and sparsity of a policy, read off the model as loaded from its file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import torch
from torch import nn
from torch.utils._python_dispatch import is_traceable_wrapper_subclass


def weight_tensors(model: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    """Every weight and bias as a float tensor, whatever module type holds it.

    Quantized modules expose `weight()`/`bias()` methods instead of
    parameters; their tensors are dequantized so counts stay comparable. A model that
    runs elsewhere (ONNX Runtime) lists its own weights.
    """
    if hasattr(model, "weight_tensors"):
        yield from model.weight_tensors()
        return
    for name, module in model.named_modules():
        for attr in ("weight", "bias"):
            value = _tensor_attr(module, attr)
            if value is not None:
                yield f"{name}.{attr}" if name else attr, _plain(value).detach()


def _plain(value: torch.Tensor) -> torch.Tensor:
    """The float tensor a quantized one stands for: torch's quantized tensors and tensor subclasses
    (torchao's) are dequantized, so counts and checks stay comparable."""
    if value.is_quantized or (is_traceable_wrapper_subclass(value) and hasattr(value, "dequantize")):
        return value.dequantize()
    return value


def _tensor_attr(module: nn.Module, attr: str) -> torch.Tensor | None:
    """`module.weight` / `.bias` as a tensor, whether an attribute or (quantized modules) a method."""
    value = getattr(module, attr, None)
    if callable(value) and not isinstance(value, torch.Tensor):
        value = value()
    return value if isinstance(value, torch.Tensor) else None


def _weight_of(module: nn.Module) -> torch.Tensor | None:
    value = _tensor_attr(module, "weight")
    return value if value is not None and value.dim() >= 2 else None


def flops_per_observation(model: nn.Module, example: torch.Tensor) -> int:
    """Floating-point operations of one forward pass per observation: 2 per multiply-add of every
    Linear and convolution (float, quantized, or a family's own layer) that the forward runs.

    Layers count at their stored shape, zeros included, as dense kernels compute them; sparse
    storage counts its non-zeros only. Activations and additions are not counted (a few per cent
    at most here). A model that runs elsewhere carries the count of the float network it came from.
    """
    if hasattr(model, "flops"):
        return int(model.flops)
    macs = 0

    def count(module, inputs, output):
        nonlocal macs
        weight = _weight_of(module)
        out = output[0] if isinstance(output, tuple) else output
        if weight is None or not isinstance(out, torch.Tensor):
            return
        outputs = out[:1].numel()
        if getattr(module, "counts_nonzeros", False):  # sparse storage computes only its non-zeros
            macs += outputs // weight.shape[0] * int(torch.count_nonzero(weight))
        else:
            macs += outputs * weight.shape[1:].numel()

    leaves = [
        m
        for m in model.modules()
        if _weight_of(m) is not None
        and not any(_weight_of(child) is not None for child in m.modules() if child is not m)
    ]
    handles = [m.register_forward_hook(count) for m in leaves]
    try:
        with torch.inference_mode():
            model(example[:1])
    finally:
        for handle in handles:
            handle.remove()
    return 2 * macs


def batched_forward(model: nn.Module, observations: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    """The model's outputs on a whole observation set, in chunks: a CNN's activations for thousands
    of frames at once would take gigabytes."""
    with torch.inference_mode():
        return torch.cat([model(observations[i : i + chunk]) for i in range(0, len(observations), chunk)])


def state_bytes(value) -> int:
    """Bytes a state dict's tensors hold, looking inside the (weight, bias) tuples of quantized modules'
    packed parameters: a quantized tensor counts its integer codes and its per-channel scales and zero
    points (as torch keeps them: float64 and int64)."""
    if isinstance(value, dict):
        return sum(state_bytes(item) for item in value.values())
    if isinstance(value, (tuple, list)):
        return sum(state_bytes(item) for item in value)
    if not isinstance(value, torch.Tensor):
        return 0
    if is_traceable_wrapper_subclass(value):  # torchao's: what its inner tensors (codes, scales) hold
        names, _ = value.__tensor_flatten__()
        return sum(state_bytes(getattr(value, name)) for name in names)
    if value.is_quantized and value.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        return value.numel() * value.element_size() + 16 * value.q_per_channel_scales().numel()
    return value.numel() * value.element_size()


def non_finite_weights(model: nn.Module) -> list[str]:
    return [name for name, t in weight_tensors(model) if not torch.isfinite(t.float()).all()]


def count_weights(tensors: Iterable[torch.Tensor]) -> dict[str, int]:
    counts = {"parameters": 0, "nonzeros": 0}
    for tensor in tensors:
        counts["parameters"] += tensor.numel()
        counts["nonzeros"] += int(torch.count_nonzero(tensor))
    return counts


def size_stats(model: nn.Module, path: str | os.PathLike) -> dict:
    """File size (MB = 10^6 bytes, like the seed), parameter and non-zero counts, global sparsity."""
    # A program that holds its weights out of torch's reach (ExecuTorch's, OpenVINO's) carries their counts.
    counts = getattr(model, "weight_counts", None) or count_weights(tensor for _, tensor in weight_tensors(model))
    params, nonzeros = counts["parameters"], counts["nonzeros"]
    size_bytes = os.path.getsize(path)
    return {
        "size_bytes": size_bytes,
        "size_mb": size_bytes / 1e6,
        "parameters": params,
        "nonzeros": nonzeros,
        "sparsity": 1.0 - nonzeros / params if params else 0.0,
    }
