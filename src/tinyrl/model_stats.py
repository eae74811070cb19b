"""Size and sparsity of a policy, read off the model as loaded from its file."""

from __future__ import annotations

import os
from typing import Iterator

import torch
from torch import nn


def weight_tensors(model: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    """Every weight and bias as a float tensor, whatever module type holds it.

    Quantized modules expose `weight()`/`bias()` methods instead of
    parameters; their tensors are dequantized so counts stay comparable.
    """
    for name, module in model.named_modules():
        for attr in ("weight", "bias"):
            value = getattr(module, attr, None)
            if callable(value) and not isinstance(value, torch.Tensor):
                value = value()
            if isinstance(value, torch.Tensor):
                yield f"{name}.{attr}" if name else attr, (value.dequantize() if value.is_quantized else value).detach()


def batched_forward(model: nn.Module, observations: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    """The model's outputs on a whole observation set, in chunks: a CNN's activations for thousands
    of frames at once would take gigabytes."""
    with torch.inference_mode():
        return torch.cat([model(observations[i:i + chunk]) for i in range(0, len(observations), chunk)])


def non_finite_weights(model: nn.Module) -> list[str]:
    return [name for name, t in weight_tensors(model) if not torch.isfinite(t.float()).all()]


def size_stats(model: nn.Module, path: str | os.PathLike) -> dict:
    """File size (MB = 10^6 bytes, like the seed), parameter and non-zero counts, global sparsity."""
    params = nonzeros = 0
    for _, tensor in weight_tensors(model):
        params += tensor.numel()
        nonzeros += int(torch.count_nonzero(tensor))
    size_bytes = os.path.getsize(path)
    return {
        "size_bytes": size_bytes,
        "size_mb": size_bytes / 1e6,
        "parameters": params,
        "nonzeros": nonzeros,
        "sparsity": 1.0 - nonzeros / params if params else 0.0,
    }
