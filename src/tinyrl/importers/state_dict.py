"""A plain state dict (a dict of tensors, as `torch.save(model.state_dict())` writes it) of an MLP or a
Nature-DQN-shaped network whose kind the config declares (`network: {kind: mlp_q, ...}`).

Its Linear layers are its 2-D `<name>.weight` tensors with their `<name>.bias`, in the file's order
(PyTorch saves modules in the order they were defined); they must chain, and become fc1, ..., head. A
Nature network's three convolutions are its 4-D weights, in order, and become conv1..conv3.
Besides them the file may hold `log_std` (mlp_gaussian), `obs_mean` and `obs_var` (with
`network.observation_normalizer` declared) and `action_low`, `action_high` (mlp_bounded); any other
tensor is refused by name rather than silently ignored.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from tinyrl.errors import CheckpointError
from tinyrl.importers.common.layers import chain_dims, frame_side, linear_chain, nature_cnn_convs
from tinyrl.importers.record import Importer
from tinyrl.policies.checkpoint import checkpoint_dict

MLP_KINDS = ("mlp_q", "mlp_logits", "mlp_gaussian", "mlp_bounded")
CNN_KINDS = ("nature_cnn_q", "nature_cnn_logits")
EXTRAS = {
    "nature_cnn_q": (),
    "nature_cnn_logits": (),
    "mlp_q": (),
    "mlp_logits": (),
    "mlp_gaussian": ("log_std",),
    "mlp_bounded": ("action_low", "action_high"),
}
NORMALIZER = ("obs_mean", "obs_var")


def recognises(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in data.items())
    )


def _named(data: dict, dims: int) -> list[str]:
    """The layers whose `<name>.weight` has `dims` dimensions, in the file's order."""
    return [
        key.removesuffix(".weight") for key, tensor in data.items() if key.endswith(".weight") and tensor.dim() == dims
    ]


def convert(data: dict, path: str | os.PathLike, declared: dict | None = None) -> dict:
    declared = dict(declared or {})
    kind = declared.get("kind")
    if kind not in (*MLP_KINDS, *CNN_KINDS):
        raise CheckpointError(
            f"{path}: a plain state dict says nothing of its network: declare it in the config "
            f"(network.kind: one of {', '.join((*MLP_KINDS, *CNN_KINDS))}, with an MLP's activation)"
        )
    linears, convs = _named(data, 2), (_named(data, 4) if kind in CNN_KINDS else [])
    normalized = declared.get("observation_normalizer") is not None
    extras = (*EXTRAS[kind], *(NORMALIZER if normalized else ()))
    used = {f"{layer}.{suffix}" for layer in (*convs, *linears) for suffix in ("weight", "bias")} | set(extras)
    unknown = [key for key in data if key not in used]
    if unknown:
        raise CheckpointError(
            f"{path}: tensors {unknown} are not part of a {kind} network's layers (refused, not ignored)"
        )
    weights, hidden = linear_chain(data, linears, str(path))
    n_in, n_out = chain_dims(weights)
    for name in extras:
        if name not in data and name != "log_std":  # a Gaussian policy's std may come from log_std_init
            raise CheckpointError(f"{path}: a {kind} network needs the tensor {name!r}")
        if name in data:
            weights[name] = data[name].float().reshape(-1)
    if kind in CNN_KINDS:
        conv_weights, channels = nature_cnn_convs(data, convs, str(path))
        side = frame_side(n_in, str(path))
        arch = {**declared, "input_shape": [channels, side, side], "n_actions": n_out, "hidden": hidden}
        weights |= conv_weights
    else:
        arch = {**declared, "obs_dim": n_in, "hidden": hidden}
        arch["n_actions" if kind in ("mlp_q", "mlp_logits") else "act_dim"] = n_out
    if kind == "mlp_gaussian" and not normalized:
        arch["observation_normalizer"] = None  # the kind's default normaliser would clip raw observations
    if kind == "mlp_gaussian" and "log_std" not in data:
        weights["log_std"] = torch.full((n_out,), float(declared.get("log_std_init", -2.0)))
    meta = {
        "produced_by": "a plain state dict, imported with the network the config declares",
        "source_format": IMPORTER.name,
    }
    return checkpoint_dict(arch, weights, meta)


IMPORTER = Importer(
    name="state_dict",
    format="plain state dict (network declared in the config)",
    order=90,  # last: any dict of tensors, read as the network the config declares
    recognises=recognises,
    convert=convert,
)
