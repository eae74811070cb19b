"""Pruning families built on torch.nn.utils.prune: unstructured L1 (one shot or iterative) and structured Ln.

Pruned weights are zeros in dense tensors; `storage: sparse` stores the pruned
Linear layers in a sparse format instead (see sparse.py).
"""

from __future__ import annotations

import copy

import torch.nn.utils.prune as prune
from torch import nn

from tinyrl.compression.base import (FINETUNE_STEPS, FINETUNE_WITH, FRACTION, LAYERS, CompressContext, Compressed, Family,
                                     replace_module, replaced_layers_skeleton, resolve_layers, schema)
from tinyrl.compression.distillation import distill, finetune_if_asked
from tinyrl.compression.sparse import FORMATS, SparseLinear
from tinyrl.networks import build_network

_STORAGE = {"storage": {"type": "string", "enum": ["dense", "sparse"]},
            "sparse_format": {"type": "string", "enum": list(FORMATS)}}
_STORAGE_DEFAULTS = {"storage": "dense", "sparse_format": "auto"}
_SCOPE = {"type": "string", "enum": ["global", "layerwise"],
          "description": "global: one magnitude threshold across the selected layers; layerwise: the amount in each"}


def l1_unstructured(model: nn.Module, layers: list[str], amount: float, scope: str) -> None:
    """Prune in place; masks stay attached (weight = weight_orig * mask) until `make_permanent`."""
    targets = [(model.get_submodule(name), "weight") for name in layers]
    if scope == "global":
        prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=amount)
    else:
        for module, attr in targets:
            prune.l1_unstructured(module, attr, amount=amount)


def make_permanent(model: nn.Module, layers: list[str]) -> None:
    for name in layers:
        module = model.get_submodule(name)
        if prune.is_pruned(module):
            prune.remove(module, "weight")


def store(model: nn.Module, layers: list[str], params: dict) -> dict:
    """Apply the storage choice; returns the structure the skeleton needs to rebuild sparse layers."""
    if params["storage"] != "sparse":
        return {}
    structure = {"sparse_layers": {}}
    for name in layers:
        layer = model.get_submodule(name)
        if isinstance(layer, nn.Linear):  # convolutions stay dense
            sparse = SparseLinear.from_linear(layer, params["sparse_format"])
            replace_module(model, name, sparse)
            structure["sparse_layers"][name] = sparse.spec
    return structure


pruned_skeleton = replaced_layers_skeleton(lambda spec, params: SparseLinear(spec), key="sparse_layers")


def _l1(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    teacher, model = model, copy.deepcopy(model)
    layers = resolve_layers(model, params["layers"])
    l1_unstructured(model, layers, params["amount"], params["scope"])
    info = finetune_if_asked(model, teacher, ctx, params)  # masks keep pruned weights at zero
    make_permanent(model, layers)
    return Compressed(model.eval(), structure=store(model, layers, params), info=info)


def _iterative(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    """Prune a fraction of the remaining weights, fine-tune, repeat: (1 - p)^rounds = 1 - target."""
    teacher, model = model, copy.deepcopy(model)
    layers = resolve_layers(model, params["layers"])
    per_round = 1.0 - (1.0 - params["target_sparsity"]) ** (1.0 / params["rounds"])
    steps = params["finetune_steps"] * params["rounds"]
    settings = {**ctx.finetune, "rounds": params["rounds"]}
    info = distill(model, teacher, CompressContext(ctx.observations, ctx.env_id, ctx.output_kind, settings), steps,
                   round_hook=lambda r: l1_unstructured(model, layers, per_round, params["scope"]))
    make_permanent(model, layers)
    info["prune_per_round"] = per_round
    return Compressed(model.eval(), structure=store(model, layers, params), info=info)


def _ln_structured(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    teacher, model = model, copy.deepcopy(model)
    layers = resolve_layers(model, params["layers"])
    for name in layers:
        prune.ln_structured(model.get_submodule(name), "weight", amount=params["amount"], n=params["n"],
                            dim=params["dim"])
    info = finetune_if_asked(model, teacher, ctx, params)
    make_permanent(model, layers)
    return Compressed(model.eval(), info=info)


FAMILIES = [
    Family(
        name="prune_l1",
        table="unstructured",
        description="unstructured L1-magnitude pruning (torch.nn.utils.prune), global or per layer, "
                    "stored dense or sparse",
        param_schema=schema({"amount": FRACTION, "scope": _SCOPE, "layers": LAYERS,
                             "finetune_steps": FINETUNE_STEPS, "finetune_with": FINETUNE_WITH, **_STORAGE}, ["amount"]),
        defaults={"scope": "global", "layers": ["all"], "finetune_steps": 0, "finetune_with": "distillation", **_STORAGE_DEFAULTS},
        compress=_l1,
        skeleton=pruned_skeleton,
    ),
    Family(
        name="prune_iterative",
        table="unstructured",
        description="iterative L1 pruning: prune a share of the remaining weights, fine-tune by distillation, "
                    "repeat until the target sparsity of the selected layers",
        param_schema=schema({"target_sparsity": FRACTION, "rounds": {"type": "integer", "minimum": 1},
                             "scope": _SCOPE, "layers": LAYERS,
                             "finetune_steps": {**FINETUNE_STEPS, "minimum": 1,
                                                "description": "distillation steps per round"},
                             **_STORAGE}, ["target_sparsity"]),
        defaults={"rounds": 5, "scope": "global", "layers": ["all"], "finetune_steps": 1000, **_STORAGE_DEFAULTS},
        compress=_iterative,
        skeleton=pruned_skeleton,
    ),
    Family(
        name="prune_ln_structured",
        table="structured",
        description="structured Ln pruning (torch.nn.utils.prune.ln_structured): whole rows (dim 0) or columns "
                    "(dim 1) zeroed, not removed",
        param_schema=schema({"amount": FRACTION, "n": {"type": "integer", "enum": [1, 2]},
                             "dim": {"type": "integer", "enum": [0, 1]}, "layers": LAYERS,
                             "finetune_steps": FINETUNE_STEPS, "finetune_with": FINETUNE_WITH}, ["amount", "layers"]),
        defaults={"n": 2, "dim": 1, "finetune_steps": 0, "finetune_with": "distillation"},
        compress=_ln_structured,
        skeleton=lambda arch, params, structure: build_network(arch),
    ),
]
