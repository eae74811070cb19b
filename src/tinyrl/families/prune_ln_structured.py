"""Structured Ln pruning (torch.nn.utils.prune.ln_structured): whole rows or columns zeroed, not removed."""

from __future__ import annotations

import copy

import torch.nn.utils.prune as prune
from torch import nn

from tinyrl.compression.base import (
    FINETUNE_STEPS,
    FINETUNE_WITH,
    FRACTION,
    LAYERS,
    CompressContext,
    Compressed,
    Family,
    Table,
    resolve_layers,
    schema,
)
from tinyrl.compression.finetune import finetune_if_asked
from tinyrl.compression.magnitude import make_permanent
from tinyrl.policies.networks import build_network


def _ln_structured(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    teacher, model = model, copy.deepcopy(model)
    layers = resolve_layers(model, params["layers"])
    for name in layers:
        prune.ln_structured(
            model.get_submodule(name), "weight", amount=params["amount"], n=params["n"], dim=params["dim"]
        )
    info = finetune_if_asked(model, teacher, ctx, params)
    make_permanent(model, layers)
    return Compressed(model.eval(), info=info)


FAMILY = Family(
    name="prune_ln_structured",
    description="structured Ln pruning (torch.nn.utils.prune.ln_structured): whole rows (dim 0) or columns "
    "(dim 1) zeroed, not removed",
    param_schema=schema(
        {
            "amount": FRACTION,
            "n": {"type": "integer", "enum": [1, 2]},
            "dim": {"type": "integer", "enum": [0, 1]},
            "layers": LAYERS,
            "finetune_steps": FINETUNE_STEPS,
            "finetune_with": FINETUNE_WITH,
        },
        ["amount", "layers"],
    ),
    defaults={"n": 2, "dim": 1, "finetune_steps": 0, "finetune_with": "distillation"},
    compress=_ln_structured,
    skeleton=lambda arch, params, structure: build_network(arch),
    table=Table(
        "structured",
        "Structured Ln pruning (weights zeroed, not removed)",
        {"sparsity": "sparsity", "nonzeros": "non-zeros"},
    ),
    feeds=frozenset({"pruned_share"}),
)
