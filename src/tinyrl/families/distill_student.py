"""Distillation into a smaller student: a narrower network of the same kind, trained from scratch on
the fp32 policy's outputs (Study B's future work)."""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.compression.base import FINETUNE_STEPS, CompressContext, Compressed, Family, Table, schema
from tinyrl.compression.finetune import distill
from tinyrl.errors import VariantFailure
from tinyrl.policies.networks import build_network


def _student(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    if "hidden" not in model.arch:
        raise VariantFailure(f"distill_student narrows an MLP's hidden layers; a {model.arch['kind']} network has none")
    arch = {**model.arch, "hidden": list(params["hidden"])}
    torch.manual_seed(ctx.finetune["seed"])
    student = build_network(arch)
    # What is not a layer (an observation normaliser, a log-std) is the teacher's, not learnt again.
    layer_prefixes = tuple(f"{name}." for name, module in model.named_modules() if isinstance(module, nn.Linear))
    shared = {k: v for k, v in model.state_dict().items() if not k.startswith(layer_prefixes)}
    student.load_state_dict(shared, strict=False)
    info = distill(student, model, ctx, params["finetune_steps"])
    return Compressed(student, arch=arch, info=info)


FAMILY = Family(
    name="distill_student",
    description="a narrower network of the same kind, trained from scratch by distillation from the fp32 policy",
    param_schema=schema(
        {
            "hidden": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
            "finetune_steps": {**FINETUNE_STEPS, "minimum": 1},
        },
        ["hidden"],
    ),
    defaults={"finetune_steps": 20000},
    compress=_student,
    skeleton=lambda arch, params, structure: build_network(arch),
    table=Table("distillation", "Distillation into a smaller student", {"parameters": "parameters"}),
)
