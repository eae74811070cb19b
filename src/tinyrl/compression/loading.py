"""A policy file as a ready network: read it (any known format), rebuild its variant's modules, load the weights."""

from __future__ import annotations

import os

from torch import nn

from tinyrl.errors import CheckpointError
from tinyrl.families import get_family
from tinyrl.importers import read_policy_file
from tinyrl.policies.checkpoint import load_state_into
from tinyrl.policies.model_stats import non_finite_weights


def load_policy(path: str | os.PathLike, expected_arch: dict | None = None) -> tuple[nn.Module, dict]:
    """Build the checkpoint's network and load its weights; returns (model in eval mode, checkpoint dict).

    `expected_arch`, when given, is the architecture the config declares; a
    checkpoint for another architecture is refused with both named.
    """
    data = read_policy_file(path, declared=expected_arch)
    arch = data["arch"]
    if expected_arch is not None:
        diffs = {k: (arch.get(k), v) for k, v in expected_arch.items() if arch.get(k) != v}
        if diffs:
            detail = ", ".join(f"{k}: file has {a!r}, config declares {b!r}" for k, (a, b) in diffs.items())
            raise CheckpointError(f"{path}: architecture does not match the config ({detail})")
    recipe = data["recipe"]
    try:
        family = get_family(recipe.get("family"))
    except KeyError as exc:
        raise CheckpointError(f"{path}: field 'recipe.family': {exc.args[0]}") from None
    try:
        model = family.skeleton(arch, recipe.get("params", {}), recipe.get("structure", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: fields 'arch'/'recipe' are incomplete or invalid: {exc!r}") from exc
    load_state_into(model, data["state_dict"], str(path))
    bad = non_finite_weights(model)
    if bad:
        raise CheckpointError(f"{path}: weights contain NaN or Inf values: {', '.join(bad)}")
    return model.eval(), data
