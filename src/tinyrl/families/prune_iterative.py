"""Iterative L1 pruning: prune a share of the remaining weights, fine-tune by distillation, repeat until
the target sparsity of the selected layers."""

from __future__ import annotations

import copy
import dataclasses

from torch import nn

from tinyrl.compression.base import (
    FINETUNE_STEPS,
    FRACTION,
    LAYERS,
    CompressContext,
    Compressed,
    Family,
    param,
    resolve_layers,
    schema,
)
from tinyrl.compression.finetune import distill
from tinyrl.compression.magnitude import (
    SCOPE,
    STORAGE,
    STORAGE_DEFAULTS,
    l1_unstructured,
    make_permanent,
    pruned_skeleton,
    store,
)
from tinyrl.compression.tables import UNSTRUCTURED


def _iterative(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    """Prune a fraction of the remaining weights, fine-tune, repeat: (1 - p)^rounds = 1 - target."""
    teacher, model = model, copy.deepcopy(model)
    layers = resolve_layers(model, params["layers"])
    per_round = 1.0 - (1.0 - params["target_sparsity"]) ** (1.0 / params["rounds"])
    steps = params["finetune_steps"] * params["rounds"]
    settings = {**ctx.finetune, "rounds": params["rounds"]}
    info = distill(
        model,
        teacher,
        dataclasses.replace(ctx, finetune=settings),  # the agent's action mode and RL record kept
        steps,
        round_hook=lambda r: l1_unstructured(model, layers, per_round, params["scope"]),
    )
    make_permanent(model, layers)
    info["prune_per_round"] = per_round
    return Compressed(model.eval(), structure=store(model, layers, params), info=info)


FAMILY = Family(
    name="prune_iterative",
    description="iterative L1 pruning: prune a share of the remaining weights, fine-tune by distillation, "
    "repeat until the target sparsity of the selected layers",
    param_schema=schema(
        {
            "target_sparsity": FRACTION,
            "rounds": {"type": "integer", "minimum": 1},
            "scope": SCOPE,
            "layers": LAYERS,
            "finetune_steps": {**FINETUNE_STEPS, "minimum": 1, "description": "distillation steps per round"},
            **STORAGE,
        },
        ["target_sparsity"],
    ),
    defaults={"rounds": 5, "scope": "global", "layers": ["all"], "finetune_steps": 1000, **STORAGE_DEFAULTS},
    compress=_iterative,
    skeleton=pruned_skeleton,
    table=UNSTRUCTURED,
    columns={"storage": param("storage")},
    feeds=frozenset({"pruned_share"}),
)
