"""What every compression family shares: its record, its inputs and its result, and layer selection.

A family is one module of tinyrl.families holding `FAMILY = Family(...)`: its parameters,
how it compresses, how its file is rebuilt, and how the report shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from tinyrl.policies.networks import build_network

COMPRESSIBLE = (nn.Linear, nn.Conv2d)


@dataclass
class CompressContext:
    """Everything a family may use besides the fp32 policy and its own parameters."""

    observations: torch.Tensor  # the fixed observation set: calibration and distillation data
    env_id: str  # for fine-tuning on the states the compressed policy visits
    output_kind: str  # "q_values" | "logits" | "gaussian_mean" | "bounded_action": how outputs are distilled
    finetune: dict  # the config's fine-tuning settings (learning rate, batch size, rounds, ...)
    # For RL fine-tuning: {"algorithm", "hyperparameters" (the agent's training settings), "critic" (PPO)}.
    rl: dict | None = None
    actions: str = "greedy"  # the agent's action mode: how the fp32 policy plays its own episodes (teacher_episodes)


@dataclass
class Compressed:
    model: nn.Module
    structure: dict = field(default_factory=dict)  # what rebuilding the modules needs beyond arch and params
    arch: dict | None = None  # a new architecture, when the family changes it (student networks)
    info: dict = field(default_factory=dict)  # extra measured facts for the metadata (fine-tuning, packing)
    # Each compute layer's stored and computed dtypes (tinyrl.compression.layer_dtypes), when the file cannot be
    # read back for them (an ExecuTorch program): from the graph the family made it of.
    layers: list[dict] | None = None


BASELINE = "baseline"  # the trained float32 policy: the family every ratio and verdict is read against

# What a family's variants can feed besides the tables, each read by the named consumer.
FEEDS = {
    "pruned_share": "figures of % pruned (global sparsity)",
    "rank_share": "figures of % rank reduced; the low-rank side of Study B's rank-vs-pruning finding",
    "magnitude_pruning": "the pruning side of Study B's rank-vs-pruning finding; the sparse-vs-dense file target",
    "qat": "Study B's 8-bit QAT storage finding",
    "binary_packing": "the binarized-layers-20x-smaller target",
    "static_int8": "Study A's static int8 size and speed checks (variants whose dtype column is qint8)",
}


@dataclass(frozen=True)
class Table:
    """A report table: one per method, shaped like the seed's (variant | reward | time | size)."""

    name: str
    title: str
    columns: dict[str, str] = field(default_factory=dict)  # summary column -> header, shown after size


def no_columns(params: dict, info: dict) -> dict:
    return {}


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    param_schema: dict
    defaults: dict
    # Must leave the fp32 model it is given unchanged: families distil from it as their teacher.
    compress: Callable[[nn.Module, dict, CompressContext], Compressed]
    skeleton: Callable[[dict, dict, dict], nn.Module]  # (arch, params, structure) -> empty model of that shape
    table: Table  # the report table its variants appear in
    # The family's own summary columns: name -> value read off (params, info); None where it does not apply.
    columns: dict[str, Callable[[dict, dict], object]] = field(default_factory=dict)
    feeds: frozenset[str] = frozenset()  # keys of FEEDS
    note: str = ""  # a sentence for the report's method notes, when how it is done needs saying
    # Backend groups its variants are timed on whatever the config selects (torchao's: torch-compile, as
    # torchao intends its kernels to run).
    backends: tuple[str, ...] = ()
    # The toolchain a user would otherwise pick that the family stands for, in the report's side-by-side
    # table ("torchao", "ExecuTorch"); empty for tiny_rl's own methods.
    peer: str = ""
    # Its file holds the whole network (a program), not weights for the agent's architecture: it can then
    # be made from another variant's model (a variant's `after`: int8 of a pruned, fine-tuned network).
    self_contained: bool = False
    # Which layers its rule keeps in float32 and why, for the report's layer table ("the input layer and the
    # heads stay real-valued"); a quantized variant's float layers are otherwise the library's doing.
    keeps_float: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.feeds) - set(FEEDS)
        if unknown:
            raise ValueError(f"family {self.name!r} feeds unknown consumers {sorted(unknown)} (known: {list(FEEDS)})")

    def column_values(self, params: dict, info: dict) -> dict:
        return {name: value(params, info) for name, value in self.columns.items()}


def param(name: str) -> Callable[[dict, dict], object]:
    """A column holding one of the variant's parameters."""
    return lambda params, info: params.get(name)


def param_in(name: str, *values) -> Callable[[dict, dict], object]:
    """A true/false column: whether the variant's parameter is one of `values`."""
    return lambda params, info: params.get(name) in values


def constant(value: object) -> Callable[[dict, dict], object]:
    """A column with the same value for every variant of the family."""
    return lambda params, info: value


# The summary column saying a variant runs int8 kernels (int8 weights and activations, static or dynamic;
# not weight-only):
# Study A's int8 speed target reads it. Families that quantize to int8 declare it in their columns.
INT8 = "int8"


def measured(name: str, scale: float = 1.0) -> Callable[[dict, dict], object]:
    """A column holding a fact the family measured while compressing (Compressed.info)."""
    return lambda params, info: info[name] * scale if info.get(name) is not None else None


def schema(properties: dict, required: list[str] = ()) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": list(required)}


FRACTION = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
LAYERS = {
    "type": "array",
    "items": {"type": "string"},
    "minItems": 1,
    "description": "module names (fc1, conv3, ...) or part names (all, hidden, head, cnn, rl, ...)",
}
FINETUNE_STEPS = {
    "type": "integer",
    "minimum": 0,
    "description": "fine-tuning after compression: distillation gradient steps, or RL environment "
    "steps (finetune_with: rl); 0 = naive",
}
FINETUNE_WITH = {
    "type": "string",
    "enum": ["distillation", "rl"],
    "description": "distillation from the fp32 policy, or the agent's own RL algorithm (DDQN / PPO)",
}


def compressible_layers(model: nn.Module) -> list[str]:
    """Names of the Linear/Conv2d modules, in forward-definition order."""
    return [name for name, module in model.named_modules() if isinstance(module, COMPRESSIBLE)]


def resolve_layers(model: nn.Module, selection: list[str]) -> list[str]:
    """Expand part names; refuse names the model does not have, listing what it has."""
    parts = getattr(model, "parts", {})
    layers = compressible_layers(model)
    chosen: list[str] = []
    for name in selection:
        names = parts.get(name, [name])
        for layer in names:
            if layer not in layers:
                raise ValueError(
                    f"unknown layer or part {name!r} (layers: {', '.join(layers)}; parts: {', '.join(parts) or 'none'})"
                )
            if layer not in chosen:
                chosen.append(layer)
    return [layer for layer in layers if layer in chosen]  # keep forward order


def replace_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, new)


def replaced_layers_skeleton(make: Callable[[dict, dict], nn.Module], key: str = "layers"):
    """A skeleton function: the base network with every layer recorded under `structure[key]`
    rebuilt, empty, by `make(layer_spec, params)`."""

    def skeleton(arch: dict, params: dict, structure: dict) -> nn.Module:
        model = build_network(arch)
        for name, spec in structure.get(key, {}).items():
            replace_module(model, name, make(spec, params))
        return model

    return skeleton
