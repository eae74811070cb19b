"""b-bit weights (and optionally inputs), 2 to 8 bits: per-channel affine codes bit-packed on disk and
simulated in float32 (QuaRL's bit-width sweep); fine-tuned variants train through the quantizer."""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
import torch.nn.utils.parametrize as parametrize
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
from tinyrl.compression.bitpack import pack_codes, packed_length, unpack_codes, unpack_codes_in_graph
from tinyrl.compression.finetune import finetune_if_asked


def _affine_codes(weight: torch.Tensor, bits: int, per_channel: bool):
    """Asymmetric affine quantization to [0, 2**bits); per output channel or per tensor."""
    levels = 2**bits - 1
    flat = weight.reshape(weight.shape[0], -1)
    low = flat.min(dim=1).values.clamp(max=0) if per_channel else flat.min().clamp(max=0).expand(flat.shape[0])
    high = flat.max(dim=1).values.clamp(min=0) if per_channel else flat.max().clamp(min=0).expand(flat.shape[0])
    scale = ((high - low) / levels).clamp(min=1e-12)
    zero_point = torch.round(-low / scale)
    codes = torch.clamp(torch.round(flat / scale[:, None]) + zero_point[:, None], 0, levels)
    return codes, scale, zero_point


def fake_quantize_input(x: torch.Tensor, low: float, high: float, bits: int) -> torch.Tensor:
    levels = 2**bits - 1
    scale = max((high - low) / levels, 1e-12)
    return torch.clamp(torch.round((x - low) / scale), 0, levels) * scale + low


class FakeQuantLayer(nn.Module):
    """A Linear or Conv2d whose weights are b-bit codes, bit-packed in the state dict, with a
    per-channel scale and zero point; dequantized once after loading and run in float32
    (simulated quantization, as in QuaRL). Optionally its input is fake-quantized too."""

    def __init__(self, kind: str, shape: list[int], bits: int, quantize_input: bool, conv: dict | None = None):
        super().__init__()
        self.kind, self.shape, self.bits, self.conv = kind, list(shape), bits, conv or {}
        count = math.prod(shape)
        self.register_buffer("packed", torch.zeros(packed_length(count, bits), dtype=torch.uint8))
        self.register_buffer("scale", torch.ones(shape[0]))
        self.register_buffer("zero_point", torch.zeros(shape[0]))
        self.bias = nn.Parameter(torch.zeros(shape[0]))
        self.quantize_input = quantize_input
        if quantize_input:
            self.register_buffer("input_range", torch.zeros(2))
        self._dequantized: torch.Tensor | None = None
        self.register_load_state_dict_post_hook(lambda module, keys: setattr(module, "_dequantized", None))

    @classmethod
    def from_layer(cls, layer: nn.Module, bits: int, per_channel: bool, input_range=None) -> FakeQuantLayer:
        kind = "conv2d" if isinstance(layer, nn.Conv2d) else "linear"
        conv = {"stride": list(layer.stride), "padding": list(layer.padding)} if kind == "conv2d" else None
        new = cls(kind, list(layer.weight.shape), bits, input_range is not None, conv)
        codes, scale, zero_point = _affine_codes(layer.weight.detach(), bits, per_channel)
        new.packed.copy_(pack_codes(codes, bits))
        new.scale.copy_(scale)
        new.zero_point.copy_(zero_point)
        with torch.no_grad():
            new.bias.copy_(layer.bias if layer.bias is not None else torch.zeros(new.shape[0]))
        if input_range is not None:
            new.input_range.copy_(torch.tensor(input_range))
        return new

    def weight(self) -> torch.Tensor:
        if torch.compiler.is_exporting():  # torch.export (tinyrl.deploy): the program unpacks the stored codes
            return self._dequantize(unpack_codes_in_graph(self.packed, self.bits, math.prod(self.shape)))
        if self._dequantized is None:
            self._dequantized = self._dequantize(unpack_codes(self.packed, self.bits, math.prod(self.shape)))
        return self._dequantized

    def _dequantize(self, codes: torch.Tensor) -> torch.Tensor:
        codes = codes.float().reshape(self.shape[0], -1)
        return ((codes - self.zero_point[:, None]) * self.scale[:, None]).reshape(self.shape)

    def layer_dtypes(self) -> dict:
        """What tinyrl.compression.layer_dtypes records of this layer: b-bit codes, simulated in float32."""
        return {"op": self.kind, "stored": f"{self.bits}-bit codes", "computed": "float32 (simulated)"}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.quantize_input:
            x = fake_quantize_input(x, float(self.input_range[0]), float(self.input_range[1]), self.bits)
        if self.kind == "conv2d":
            return F.conv2d(x, self.weight(), self.bias, stride=self.conv["stride"], padding=self.conv["padding"])
        return F.linear(x, self.weight(), self.bias)


def _input_ranges(model: nn.Module, layers: list[str], observations: torch.Tensor) -> dict[str, list[float]]:
    ranges, hooks = {}, []
    for name in layers:

        def hook(module, args, name=name):
            ranges[name] = [float(args[0].min()), float(args[0].max())]

        hooks.append(model.get_submodule(name).register_forward_pre_hook(hook))
    with torch.no_grad():
        model(observations)
    for h in hooks:
        h.remove()
    return ranges


class _StraightThrough(nn.Module):
    """Parametrization used while fine-tuning: the forward pass sees the b-bit weights, the
    gradient flows to the float weights as if unquantized (straight-through estimator)."""

    def __init__(self, bits: int, per_channel: bool):
        super().__init__()
        self.bits, self.per_channel = bits, per_channel

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        codes, scale, zero_point = _affine_codes(weight.detach(), self.bits, self.per_channel)
        quantized = ((codes - zero_point[:, None]) * scale[:, None]).reshape(weight.shape)
        return weight + (quantized - weight).detach()


def _finetune_quantized(
    model: nn.Module, teacher: nn.Module, layers: list[str], params: dict, ranges: dict, ctx: CompressContext
) -> dict:
    hooks = []
    for name in layers:
        layer = model.get_submodule(name)
        parametrize.register_parametrization(layer, "weight", _StraightThrough(params["bits"], params["per_channel"]))
        if name in ranges:
            low, high = ranges[name]
            hooks.append(
                layer.register_forward_pre_hook(
                    lambda module, args, low=low, high=high: (
                        args[0] + (fake_quantize_input(args[0], low, high, params["bits"]) - args[0]).detach(),
                    )
                )
            )
    info = finetune_if_asked(model, teacher, ctx, params)
    for hook in hooks:
        hook.remove()
    for name in layers:
        parametrize.remove_parametrizations(model.get_submodule(name), "weight", leave_parametrized=False)
    return info


def _fake_quant(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    teacher, model = model, copy.deepcopy(model).eval()
    layers = resolve_layers(model, params["layers"])
    ranges = _input_ranges(model, layers, ctx.observations) if params["activations"] else {}
    info = (
        _finetune_quantized(model, teacher, layers, params, ranges, ctx)
        if params["finetune_steps"]
        else {"finetune_steps": 0}
    )
    structure = {"layers": {}}
    for name in layers:
        layer = model.get_submodule(name)
        new = FakeQuantLayer.from_layer(layer, params["bits"], params["per_channel"], ranges.get(name))
        replace_module(model, name, new)
        structure["layers"][name] = {"kind": new.kind, "shape": new.shape, "conv": new.conv}
    return Compressed(model, structure=structure, info=info)


FAMILY = Family(
    name="fake_quant",
    description="b-bit quantization of weights (per-channel affine, bit-packed on disk, simulated in float32) "
    "and optionally of layer inputs (range calibrated on the observation set); fine-tuned variants "
    "train through the quantizer (straight-through estimator)",
    param_schema=schema(
        {
            "bits": {"type": "integer", "minimum": 2, "maximum": 8},
            "layers": LAYERS,
            "activations": {"type": "boolean"},
            "per_channel": {"type": "boolean"},
            "finetune_steps": FINETUNE_STEPS,
            "finetune_with": FINETUNE_WITH,
        },
        ["bits"],
    ),
    defaults={
        "layers": ["all"],
        "activations": False,
        "per_channel": True,
        "finetune_steps": 0,
        "finetune_with": "distillation",
    },
    compress=_fake_quant,
    skeleton=replaced_layers_skeleton(
        lambda spec, params: FakeQuantLayer(
            spec["kind"], spec["shape"], params["bits"], params["activations"], spec["conv"]
        )
    ),
    table=Table("bit_width", "Bit-width sweep (fake-quantized post-training quantization)", {"bits": "bits"}),
    columns={"bits": param("bits")},
)
