"""Binary networks: layers binarized with the `bnn` package (XNOR-Net weights, optional sign inputs),
trained by distillation from the fp32 policy, then exported to a packed 1-bit deployable form.

The input layer and the output heads (action and value heads, by the network's roles) stay real-valued
by default: the usual practice of keeping the first and last layers real, and the seed's.
The deployable layer stores one bit per weight plus a float scale per output channel;
the training form (bnn's latent float weights) is measured too.
"""

from __future__ import annotations

import copy
import io

import numpy as np
import torch
import torch.nn.functional as F
from bnn import BConfig, prepare_binary_model
from bnn.ops import BasicInputBinarizer, SignActivation, XNORWeightBinarizer
from torch import nn

from tinyrl.compression.base import (
    FINETUNE_STEPS,
    FINETUNE_WITH,
    LAYERS,
    CompressContext,
    Compressed,
    Family,
    Table,
    compressible_layers,
    measured,
    replace_module,
    replaced_layers_skeleton,
    resolve_layers,
    schema,
)
from tinyrl.compression.finetune import finetune_if_asked
from tinyrl.errors import VariantFailure


class XNORWeights(XNORWeightBinarizer):
    """bnn's XNOR-Net weight binarizer, out of place: bnn 0.1.2 scales in place, which current torch
    autograd rejects. Centering (optional) subtracts each output channel's mean, as the export does."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1)
        if self.center_weights:
            flat = flat - flat.mean(dim=1, keepdim=True)
        alpha = flat.abs().mean(dim=1, keepdim=True)
        return (SignActivation.apply(flat) * alpha).reshape(x.shape)


class BinaryLayer(nn.Module):
    """Weights alpha_c * sign(w): sign bits packed 8 per byte, one float alpha per output channel."""

    def __init__(self, spec: dict):
        super().__init__()
        self.spec = dict(spec)
        shape = spec["shape"]
        count = int(np.prod(shape))
        self.register_buffer("sign_bits", torch.zeros((count + 7) // 8, dtype=torch.uint8))
        self.register_buffer("alpha", torch.ones(shape[0]))
        self.bias = nn.Parameter(torch.zeros(shape[0])) if spec["bias"] else None
        self._weight: torch.Tensor | None = None
        self.register_load_state_dict_post_hook(lambda module, keys: setattr(module, "_weight", None))

    @classmethod
    def from_bnn(cls, layer: nn.Module, center: bool, binarize_input: bool) -> BinaryLayer:
        latent = layer.weight.detach()
        flat = latent.reshape(latent.shape[0], -1)
        if center:
            flat = flat - flat.mean(dim=1, keepdim=True)
        spec = {
            "kind": "conv2d" if isinstance(layer, nn.Conv2d) else "linear",
            "shape": list(latent.shape),
            "bias": layer.bias is not None,
            "binarize_input": binarize_input,
        }
        if spec["kind"] == "conv2d":
            spec |= {"stride": list(layer.stride), "padding": list(layer.padding)}
        new = cls(spec)
        new.sign_bits.copy_(torch.from_numpy(np.packbits((flat >= 0).reshape(-1).numpy())))
        new.alpha.copy_(flat.abs().mean(dim=1))  # XNOR-Net's optimal scale: mean |w| per output channel
        if layer.bias is not None:
            with torch.no_grad():
                new.bias.copy_(layer.bias)
        return new

    def weight(self) -> torch.Tensor:
        if self._weight is None:
            shape = self.spec["shape"]
            count = int(np.prod(shape))
            signs = np.unpackbits(self.sign_bits.numpy())[:count].astype(np.float32) * 2 - 1
            self._weight = (torch.from_numpy(signs).reshape(shape[0], -1) * self.alpha[:, None]).reshape(shape)
        return self._weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.spec["binarize_input"]:
            x = torch.sign(x)
        if self.spec["kind"] == "conv2d":
            return F.conv2d(x, self.weight(), self.bias, stride=self.spec["stride"], padding=self.spec["padding"])
        return F.linear(x, self.weight(), self.bias)

    def packed_bytes(self) -> int:
        return self.sign_bits.numel() + 4 * self.alpha.numel()

    def layer_dtypes(self) -> dict:
        """What tinyrl.compression.layer_dtypes records of this layer: signs stored as bits, computed in float."""
        return {"op": self.spec["kind"], "stored": "1-bit signs x float32 scale", "computed": "float32"}


def default_layers(model: nn.Module) -> list[str]:
    """Every layer but the input layer and the heads."""
    spared = {model.roles.input, *model.roles.heads}
    return [name for name in compressible_layers(model) if name not in spared]


def _binary(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    layers = resolve_layers(model, params["layers"]) if params["layers"] else default_layers(model)
    if not layers:
        raise VariantFailure("no layer to binarize: the network has no layer besides its input layer and heads")
    config = BConfig(
        activation_pre_process=BasicInputBinarizer if params["activations"] else nn.Identity,
        weight_pre_process=XNORWeights.with_args(center_weights=params["center_weights"]),
    )
    keep_real = [name for name in compressible_layers(model) if name not in layers]
    training = prepare_binary_model(copy.deepcopy(model), config, ignore_layers_name=keep_real)
    info = finetune_if_asked(training, model, ctx, params)
    buffer = io.BytesIO()
    torch.save(training.state_dict(), buffer)
    info["training_form_bytes"] = buffer.tell()
    structure, per_layer = {"layers": {}}, {}
    for name in layers:
        latent = training.get_submodule(name)
        binary = BinaryLayer.from_bnn(latent, params["center_weights"], params["activations"])
        replace_module(training, name, binary)
        structure["layers"][name] = binary.spec
        per_layer[name] = {"fp32_bytes": 4 * latent.weight.numel(), "packed_bytes": binary.packed_bytes()}
    info["binarized_layers"] = per_layer
    info["binarized_compression"] = sum(v["fp32_bytes"] for v in per_layer.values()) / sum(
        v["packed_bytes"] for v in per_layer.values()
    )
    return Compressed(training.eval(), structure=structure, info=info)


FAMILY = Family(
    name="binary",
    description="binarized layers (bnn package: XNOR-Net weights, optional sign activations) trained by "
    "distillation from the fp32 policy; input layer and heads real-valued; stored as packed bits",
    param_schema=schema(
        {
            "layers": {"anyOf": [LAYERS, {"type": "null"}]},
            "activations": {"type": "boolean"},
            "center_weights": {"type": "boolean"},
            "finetune_steps": {**FINETUNE_STEPS, "minimum": 1},
            "finetune_with": FINETUNE_WITH,
        }
    ),
    defaults={
        "layers": None,
        "activations": False,
        "center_weights": False,
        "finetune_steps": 3000,
        "finetune_with": "distillation",
    },
    compress=_binary,
    skeleton=replaced_layers_skeleton(lambda spec, params: BinaryLayer(spec)),
    keeps_float="the input layer and the heads stay real-valued (the family's rule, as in XNOR-Net)",
    table=Table(
        "binary",
        "Binary networks (bnn; packed 1-bit storage)",
        {"training_form_mb": "training-form size (MB)", "binarized_compression": "binarized layers x smaller"},
    ),
    columns={
        "training_form_mb": measured("training_form_bytes", 1e-6),
        "binarized_compression": measured("binarized_compression"),
    },
    feeds=frozenset({"binary_packing"}),
)
