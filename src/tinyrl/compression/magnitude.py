"""L1-magnitude pruning with torch.nn.utils.prune, and dense or sparse storage of the result: what the
one-shot and iterative pruning families share.

Pruned weights are zeros in dense tensors; `storage: sparse` stores the pruned Linear layers in a
sparse format instead (see sparse.py).
"""

from __future__ import annotations

import torch.nn.utils.prune as prune
from torch import nn

from tinyrl.compression.base import replace_module, replaced_layers_skeleton
from tinyrl.compression.sparse import FORMATS, SparseLinear

STORAGE = {
    "storage": {"type": "string", "enum": ["dense", "sparse"]},
    "sparse_format": {"type": "string", "enum": list(FORMATS)},
}
STORAGE_DEFAULTS = {"storage": "dense", "sparse_format": "auto"}
SCOPE = {
    "type": "string",
    "enum": ["global", "layerwise"],
    "description": "global: one magnitude threshold across the selected layers; layerwise: the amount in each",
}


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
