"""torchao quantization of the Linear layers: what a user would pick today instead of torch's eager API
(which PyTorch has deprecated in its favour). Schemes: int8 dynamic activations with int8 weights, int8
weight-only, and int4 weight-only where torchao has a CPU kernel here. Timed eager and, as torchao
intends, through torch.compile (the `torch-compile` backend).

torchao's quantized weights are tensor subclasses. The variant's file stores their inner tensors (int8
codes, scales) as plain tensors (tinyrl.policies.checkpoint.pack_subclass), so it loads weights-only without
torchao's classes; loading quantizes a float skeleton the same way and puts the stored tensors back.
"""

from __future__ import annotations

import copy

from torch import nn

from tinyrl.compression.base import INT8, LAYERS, Compressed, Family, param, param_in, resolve_layers, schema
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.errors import VariantFailure
from tinyrl.policies.networks import build_network

# scheme -> the torchao config class (torchao.quantization) that makes it
SCHEMES = {
    "int8_dynamic": "Int8DynamicActivationInt8WeightConfig",
    "int8_weight_only": "Int8WeightOnlyConfig",
    "int4_weight_only": "Int4WeightOnlyConfig",
}


def _torchao_config(scheme: str, group_size: int):
    # torchao is imported by this family's jobs only: it takes seconds and prints CUDA-library notices
    import torchao.quantization as torchao_quantization

    config = getattr(torchao_quantization, SCHEMES[scheme])
    return config(group_size=group_size) if scheme == "int4_weight_only" else config()


def quantize(model: nn.Module, params: dict) -> nn.Module:
    """The model with torchao's scheme applied, in place, to the selected Linear layers."""
    from torchao.quantization import quantize_

    selected = {
        name for name in resolve_layers(model, params["layers"]) if isinstance(model.get_submodule(name), nn.Linear)
    }
    if not selected:
        raise VariantFailure(f"no Linear layer among {params['layers']}: torchao quantizes Linear layers only")
    quantize_(
        model,
        _torchao_config(params["scheme"], params["group_size"]),
        filter_fn=lambda module, name: isinstance(module, nn.Linear) and name in selected,
    )
    return model


def _compress(model: nn.Module, params: dict, ctx) -> Compressed:
    return Compressed(quantize(copy.deepcopy(model).eval(), params))


FAMILY = Family(
    name="torchao_quant",
    description="torchao quantization of Linear layers (int8 dynamic activations + int8 weights, int8 "
    "weight-only, int4 weight-only), timed eager and through torch.compile",
    param_schema=schema(
        {
            "scheme": {"enum": list(SCHEMES)},
            "layers": LAYERS,
            "group_size": {"type": "integer", "minimum": 1, "description": "int4: weights per scale"},
        },
        ["scheme"],
    ),
    defaults={"layers": ["all"], "group_size": 32},
    compress=_compress,
    skeleton=lambda arch, params, structure: quantize(build_network(arch).eval(), params),
    table=QUANTIZATION,
    columns={"torchao_scheme": param("scheme"), INT8: param_in("scheme", "int8_dynamic")},
    backends=("torch-compile",),
    peer="torchao",
    note="torchao variants store their quantized weights' inner tensors (codes, scales) as plain tensors; "
    "they run eager and through torch.compile, not in ONNX Runtime (their tensor subclasses do not export).",
)
