"""A chain of Linear layers read out of a foreign state dict, under our MLP's names (fc1, ..., head)."""

from __future__ import annotations

import torch

from tinyrl.errors import CheckpointError


def linear_chain(state: dict, layers: list[str], where: str) -> tuple[dict[str, torch.Tensor], list[int]]:
    """The weights and biases of `layers` (their names in `state`, input first) renamed fc1, ..., head,
    as float32, and the widths of the hidden layers. Each layer's inputs must be the previous one's outputs."""
    if not layers:
        raise CheckpointError(f"{where}: no Linear layers found")
    names = [f"fc{i}" for i in range(1, len(layers))] + ["head"]
    converted: dict[str, torch.Tensor] = {}
    widths: list[int] = []
    for source, name in zip(layers, names):
        for suffix, dims in (("weight", 2), ("bias", 1)):
            tensor = state.get(f"{source}.{suffix}")
            if not isinstance(tensor, torch.Tensor) or tensor.dim() != dims:
                raise CheckpointError(f"{where}: tensor '{source}.{suffix}' is missing or not a Linear layer's")
            converted[f"{name}.{suffix}"] = tensor.float()
        out_features, in_features = converted[f"{name}.weight"].shape
        if widths and in_features != widths[-1]:
            raise CheckpointError(
                f"{where}: '{source}.weight' takes {in_features} inputs, the layer before gives {widths[-1]}"
            )
        widths.append(int(out_features))
    return converted, widths[:-1]


def chain_dims(weights: dict[str, torch.Tensor]) -> tuple[int, int]:
    """(inputs of the first layer, outputs of the head) of a converted chain."""
    first = "fc1.weight" if "fc1.weight" in weights else "head.weight"
    return int(weights[first].shape[1]), int(weights["head.weight"].shape[0])
