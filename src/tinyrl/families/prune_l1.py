"""Unstructured L1-magnitude pruning (torch.nn.utils.prune), one shot, global or per layer, stored dense or
sparse; optionally fine-tuned with the masks kept (pruned weights stay zero)."""

from __future__ import annotations

import copy

from torch import nn

from tinyrl.compression.base import (
    FINETUNE_STEPS,
    FINETUNE_WITH,
    FRACTION,
    LAYERS,
    CompressContext,
    Compressed,
    Family,
    param,
    resolve_layers,
    schema,
)
from tinyrl.compression.finetune import finetune_if_asked
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


def _l1(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    teacher, model = model, copy.deepcopy(model)
    layers = resolve_layers(model, params["layers"])
    l1_unstructured(model, layers, params["amount"], params["scope"])
    info = finetune_if_asked(model, teacher, ctx, params)  # masks keep pruned weights at zero
    make_permanent(model, layers)
    return Compressed(model.eval(), structure=store(model, layers, params), info=info)


FAMILY = Family(
    name="prune_l1",
    description="unstructured L1-magnitude pruning (torch.nn.utils.prune), global or per layer, stored dense or sparse",
    param_schema=schema(
        {
            "amount": FRACTION,
            "scope": SCOPE,
            "layers": LAYERS,
            "finetune_steps": FINETUNE_STEPS,
            "finetune_with": FINETUNE_WITH,
            **STORAGE,
        },
        ["amount"],
    ),
    defaults={
        "scope": "global",
        "layers": ["all"],
        "finetune_steps": 0,
        "finetune_with": "distillation",
        **STORAGE_DEFAULTS,
    },
    compress=_l1,
    skeleton=pruned_skeleton,
    table=UNSTRUCTURED,
    columns={"amount": param("amount"), "storage": param("storage")},
    feeds=frozenset({"pruned_share", "magnitude_pruning"}),
)
