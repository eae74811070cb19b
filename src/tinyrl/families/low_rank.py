"""Low-rank approximation: each selected layer becomes two thinner layers from its truncated SVD.

A Linear W (out x in) becomes down (in -> r) then up (r -> out); a Conv2d is
reshaped to (out x in*k*k), factorised, and becomes a k x k convolution to r
channels followed by a 1 x 1 convolution.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from tinyrl.compression.base import (
    FINETUNE_STEPS,
    FINETUNE_WITH,
    LAYERS,
    CompressContext,
    Compressed,
    Family,
    Table,
    param,
    replace_module,
    replaced_layers_skeleton,
    resolve_layers,
    schema,
)
from tinyrl.compression.finetune import finetune_if_asked


class LowRank(nn.Module):
    """up(down(x)): the factorised replacement of one Linear or Conv2d."""

    def __init__(self, spec: dict):
        super().__init__()
        self.spec = dict(spec)
        rank, out, inp = spec["rank"], spec["out"], spec["in"]
        if spec["kind"] == "conv2d":
            self.down = nn.Conv2d(inp, rank, spec["kernel_size"], spec["stride"], spec["padding"], bias=False)
            self.up = nn.Conv2d(rank, out, 1, bias=spec["bias"])
        else:
            self.down = nn.Linear(inp, rank, bias=False)
            self.up = nn.Linear(rank, out, bias=spec["bias"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.down(x))


def full_rank(layer: nn.Module) -> int:
    weight = layer.weight
    return min(weight.shape[0], weight[0].numel())


def factorise(layer: nn.Module, rank: int) -> LowRank:
    weight = layer.weight.detach()
    matrix = weight.reshape(weight.shape[0], -1)
    u, s, vh = torch.linalg.svd(matrix, full_matrices=False)
    root = s[:rank].sqrt()
    conv = isinstance(layer, nn.Conv2d)
    spec = {
        "kind": "conv2d" if conv else "linear",
        "rank": rank,
        "out": weight.shape[0],
        "in": weight.shape[1],
        "bias": layer.bias is not None,
    }
    if conv:
        spec |= {"kernel_size": list(layer.kernel_size), "stride": list(layer.stride), "padding": list(layer.padding)}
    module = LowRank(spec)
    with torch.no_grad():
        module.down.weight.copy_((root[:, None] * vh[:rank]).reshape(module.down.weight.shape))
        module.up.weight.copy_((u[:, :rank] * root).reshape(module.up.weight.shape))
        if layer.bias is not None:
            module.up.bias.copy_(layer.bias)
    return module


def target_ranks(model: nn.Module, layers: list[str], params: dict) -> dict[str, int]:
    """rank = round(full rank x (1 - reduction)), at least 1, and at least the minimum set for the
    network's input layer and its heads (their ranks bound what the input and output can carry)."""
    roles = model.roles
    ranks = {}
    for name in layers:
        full = full_rank(model.get_submodule(name))
        rank = max(1, round(full * (1.0 - params["rank_reduction"])))
        if name == roles.input:
            rank = max(rank, min(full, params["min_rank_first"]))
        if name in roles.heads:
            rank = max(rank, min(full, params["min_rank_last"]))
        ranks[name] = rank
    return ranks


def _low_rank(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    teacher, model = model, copy.deepcopy(model)
    layers = resolve_layers(model, params["layers"])
    ranks = target_ranks(model, layers, params)
    structure = {"layers": {}}
    for name in layers:
        module = factorise(model.get_submodule(name), ranks[name])
        replace_module(model, name, module)
        structure["layers"][name] = module.spec
    info = finetune_if_asked(model, teacher, ctx, params)
    info["ranks"] = ranks
    return Compressed(model.eval(), structure=structure, info=info)


FAMILY = Family(
    name="low_rank",
    description="low-rank approximation: truncated SVD of each selected Linear (and reshaped Conv2d) into "
    "two thinner layers",
    param_schema=schema(
        {
            "rank_reduction": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
            "layers": LAYERS,
            "min_rank_first": {"type": "integer", "minimum": 1, "description": "least rank of the input layer"},
            "min_rank_last": {"type": "integer", "minimum": 1, "description": "least rank of each head"},
            "finetune_steps": FINETUNE_STEPS,
            "finetune_with": FINETUNE_WITH,
        },
        ["rank_reduction"],
    ),
    defaults={
        "layers": ["all"],
        "min_rank_first": 1,
        "min_rank_last": 1,
        "finetune_steps": 0,
        "finetune_with": "distillation",
    },
    compress=_low_rank,
    skeleton=replaced_layers_skeleton(lambda spec, params: LowRank(spec)),
    table=Table(
        "low_rank",
        "Low-rank approximation (truncated SVD)",
        {"rank_reduction": "rank reduction", "parameters": "parameters", "parameter_reduction": "parameter reduction"},
    ),
    columns={"rank_reduction": param("rank_reduction")},
    feeds=frozenset({"rank_share"}),
)
