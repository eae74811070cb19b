"""Structural pruning with torch-pruning: neurons and channels physically removed, so the network shrinks."""

from __future__ import annotations

import copy

import torch
import torch_pruning as tp
from torch import nn

from tinyrl.compression.base import (
    FINETUNE_STEPS,
    FINETUNE_WITH,
    CompressContext,
    Compressed,
    Family,
    Table,
    measured,
    replace_module,
    schema,
)
from tinyrl.compression.finetune import finetune_if_asked
from tinyrl.errors import VariantFailure
from tinyrl.policies.networks import build_network, every_head


def _example_input(model: nn.Module) -> torch.Tensor:
    return (
        torch.zeros(1, *model.input_shape) if hasattr(model, "input_shape") else torch.zeros(1, model.arch["obs_dim"])
    )


def remove_channels(model: nn.Module, amounts: dict[str, float], p: int) -> dict[str, int]:
    """Remove the lowest-importance output channels of each named layer (group L-p magnitude,
    counting every weight that goes with the channel); returns how many each layer lost.

    The graph is traced through every head, not only `forward`'s action outputs: a channel that feeds
    the value heads too (PPO-RND's fc2, through its residual branches) must leave them as well."""
    graph = tp.DependencyGraph().build_dependency(
        model, example_inputs=_example_input(model), forward_fn=lambda net, obs: every_head(net)(obs)
    )
    importance = tp.importance.GroupMagnitudeImportance(p=p)
    removed = {}
    for name, amount in amounts.items():
        layer = model.get_submodule(name)
        prune_fn = tp.prune_conv_out_channels if isinstance(layer, nn.Conv2d) else tp.prune_linear_out_channels
        channels = layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features
        count = int(channels * amount)  # floor, as torch-pruning does: 256 x 0.3 -> 76 removed (seed: 180 left)
        if count == 0 or count >= channels:
            raise VariantFailure(f"amount {amount} would remove {count} of {channels} channels of {name}")
        group = graph.get_pruning_group(layer, prune_fn, idxs=list(range(channels)))
        idxs = torch.argsort(importance(group))[:count].tolist()
        group = graph.get_pruning_group(layer, prune_fn, idxs=idxs)
        group.prune()
        removed[name] = count
    return removed


def shapes(model: nn.Module) -> dict[str, list[int]]:
    return {name: list(m.weight.shape) for name, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))}


def _structural(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    teacher, model = model, copy.deepcopy(model)
    layers = dict(model.named_modules())
    for name in params["amounts"]:
        if name not in layers or not isinstance(layers[name], (nn.Linear, nn.Conv2d)) or name in model.roles.heads:
            raise VariantFailure(f"cannot remove channels of {name!r}: not a hidden Linear/Conv2d layer")
    convolutions = {name for name in params["amounts"] if isinstance(layers[name], nn.Conv2d)}
    removed = remove_channels(model, params["amounts"], params["p"])
    info = finetune_if_asked(model, teacher, ctx, params)
    info["channels_removed"] = removed
    info["conv_channels_removed"] = sum(count for name, count in removed.items() if name in convolutions)
    return Compressed(model.eval(), structure={"shapes": shapes(model)}, info=info)


def resized_skeleton(arch: dict, params: dict, structure: dict) -> nn.Module:
    """The base network with every layer resized to the recorded weight shapes."""
    model = build_network(arch)
    for name, shape in structure["shapes"].items():
        old = model.get_submodule(name)
        if list(old.weight.shape) == shape:
            continue
        if isinstance(old, nn.Conv2d):
            new = nn.Conv2d(shape[1], shape[0], old.kernel_size, old.stride, old.padding, bias=old.bias is not None)
        else:
            new = nn.Linear(shape[1], shape[0], bias=old.bias is not None)
        replace_module(model, name, new)
    return model


FAMILY = Family(
    name="prune_structural",
    description="structural pruning with torch-pruning: output neurons/channels with the lowest group "
    "magnitude removed together with the weights that consume them",
    param_schema=schema(
        {
            "amounts": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "description": "fraction of output channels to remove, per layer name",
            },
            "p": {"type": "integer", "enum": [1, 2]},
            "finetune_steps": FINETUNE_STEPS,
            "finetune_with": FINETUNE_WITH,
        },
        ["amounts"],
    ),
    defaults={"p": 1, "finetune_steps": 0, "finetune_with": "distillation"},
    compress=_structural,
    skeleton=resized_skeleton,
    columns={"conv_channels_removed": measured("conv_channels_removed")},  # Study A's convolution-pruning target
    table=Table(
        "structural",
        "Structural pruning with torch-pruning (neurons and channels removed)",
        {"parameters": "parameters"},
    ),
)
