"""Layers read out of a foreign state dict under our names: a chain of Linear layers (fc1, ..., head) and
the Nature-DQN convolutions (conv1..conv3)."""

from __future__ import annotations

import re

import torch

from tinyrl.errors import CheckpointError
from tinyrl.policies.networks import NATURE_CONVOLUTIONS


def sequential_layers(state: dict, prefix: str) -> list[str]:
    """The names of the weighted layers of an nn.Sequential saved under `prefix` (`prefix.0`, `prefix.2`, ...),
    in order; activations hold no weights, so their indices are skipped."""
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.weight")
    indices = sorted(int(match.group(1)) for key in state if (match := pattern.fullmatch(key)))
    return [f"{prefix}.{i}" for i in indices]


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


FRAME_SIDE_BY_FEATURES = {3136: 84}  # the flattened conv output of square frames, by side


def nature_cnn_convs(state: dict, convs: list[str], where: str) -> tuple[dict[str, torch.Tensor], int]:
    """The three Nature-DQN convolutions saved as `convs` (their names in `state`), renamed conv1..conv3,
    and the number of input channels. Shapes must be the Nature network's."""
    converted: dict[str, torch.Tensor] = {}
    channels = None
    for i, (source, (out_channels, kernel, _)) in enumerate(zip(convs, NATURE_CONVOLUTIONS), start=1):
        weight, bias = state.get(f"{source}.weight"), state.get(f"{source}.bias")
        if not isinstance(weight, torch.Tensor) or weight.dim() != 4 or not isinstance(bias, torch.Tensor):
            raise CheckpointError(f"{where}: tensor '{source}.weight' is missing or not a convolution's")
        if (weight.shape[0], weight.shape[2], weight.shape[3]) != (out_channels, kernel, kernel):
            raise CheckpointError(
                f"{where}: '{source}.weight' has shape {list(weight.shape)}, not the Nature network's "
                f"conv{i} ({out_channels} channels, {kernel}x{kernel} kernels)"
            )
        channels = channels or int(weight.shape[1])
        converted[f"conv{i}.weight"], converted[f"conv{i}.bias"] = weight.float(), bias.float()
    return converted, int(channels)


def frame_side(features: int, where: str) -> int:
    """The side of the square frames whose convolutions flatten to `features` values."""
    if features not in FRAME_SIDE_BY_FEATURES:
        raise CheckpointError(
            f"{where}: the first fully connected layer takes {features} inputs, expected 3136 (84x84)"
        )
    return FRAME_SIDE_BY_FEATURES[features]
