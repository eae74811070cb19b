"""int8 in C, what a microcontroller or a robot's own loop would run: the MLP policy as one C file
(tinyrl.runtimes.c_runtime) whose layers hold int8 weights per output channel and quantize their input per
observation (dynamic, so nothing is calibrated), the products summed exactly in int32 by x86's VNNI dot product
where the compiler targets it, and by a portable loop elsewhere (tinyrl.runtimes.c_int8 gives the scheme).

The variant is played, timed and shipped in C: its file holds the int8 weights and the float layers as tensors,
and its forward builds the C file from them with the system's compiler. `float_input_layer: true` leaves the
input layer in float: a raw observation mixes scales (LunarLander's positions, velocities and leg contacts) that
one int8 scale per observation cannot hold, and that layer is a small share of the products.
`float_output_layer: true` leaves the head in float: each output channel's int8 rounding shifts that action's
score by an error of its own, and a Q-network's actions often differ by less (LunarLander's int8 head kept 72%
of float32's greedy actions on the observation set; int8 hidden layers alone kept 92%). The head is a small
share of the products too."""

from __future__ import annotations

from torch import nn

from tinyrl.compression.base import INT8, CompressContext, Compressed, Family, constant, schema
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.errors import VariantFailure
from tinyrl.policies.model_stats import flops_per_observation
from tinyrl.runtimes.c_int8 import Int8Linear
from tinyrl.runtimes.c_runtime import CPolicy, applies, compiler, layers_of


def _compress(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    if reason := applies(model):
        raise VariantFailure(f"no C form: {reason}")
    if compiler() is None:
        raise VariantFailure("no C compiler (cc, gcc or clang) on this machine: an int8 C policy is played in C")
    names = model.parts["all"]  # the float network's layers, read below and never changed
    float_layers = {names[0]} if params["float_input_layer"] else set()
    float_layers |= {"head"} if params["float_output_layer"] else set()
    int8_layers = [name for name in names if name not in float_layers]
    if not int8_layers:
        raise VariantFailure("float_input_layer and float_output_layer leave no layer of this network to int8")
    flops = flops_per_observation(model, ctx.observations[:1])
    hidden = [getattr(model, name).out_features for name in model.hidden_names]
    policy = CPolicy.skeleton_of(model.arch, hidden, int8_layers, flops)
    for name, layer in zip(names, layers_of(model), strict=True):
        target = getattr(policy.network, name)
        if name in int8_layers:
            target.load_state_dict(Int8Linear.quantized(layer).state_dict())
        else:
            target.load_state_dict(layer.state_dict())
    float_state = {key: value for key, value in model.state_dict().items() if key.split(".")[0] not in names}
    policy.network.load_state_dict(float_state, strict=False)  # the normaliser, log std, action box
    structure = {"hidden": hidden, "int8_layers": int8_layers, "flops_per_observation": flops}
    return Compressed(policy, structure=structure)


def _skeleton(arch: dict, params: dict, structure: dict) -> nn.Module:
    return CPolicy.skeleton_of(
        arch, structure["hidden"], structure["int8_layers"], int(structure["flops_per_observation"])
    )


FAMILY = Family(
    name="c_int8",
    description="int8 in C: the MLP policy as one C file with int8 weights per output channel and its input "
    "quantized per observation, the products summed exactly in int32 (VNNI where the compiler targets it); "
    "played, timed and shipped in C",
    param_schema=schema(
        {
            "float_input_layer": {"type": "boolean", "description": "leave the input layer in float"},
            "float_output_layer": {"type": "boolean", "description": "leave the output layer (the head) in float"},
        },
    ),
    defaults={"float_input_layer": True, "float_output_layer": True},
    compress=_compress,
    skeleton=_skeleton,
    table=QUANTIZATION,
    columns={INT8: constant(True)},
    self_contained=True,
    backends=("c",),
    note="c_int8 variants are played in C: their files hold int8 weights and float layers as tensors, from which "
    "the C file is written and built with the system's compiler.",
)
