"""An ExecuTorch program (.pte) for picks timed on ExecuTorch: a float torch module lowered to XNNPACK with its
action rule inside; an `executorch_program` variant ships its own program as it was timed and played, and its
host takes the rule's graph step (a lowered program cannot gain a node)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from tinyrl.deploy.acting import ActingPolicy, ActionRule
from tinyrl.deploy.formats.record import DeployFormat, Written
from tinyrl.runtimes.executorch_runtime import MAX_BATCH, ExecuTorchPolicy, export_program

FILE = "policy.pte"


def write(model: nn.Module, rule: ActionRule, action_space: dict, example: torch.Tensor, backend: str, folder: Path):
    own = isinstance(model, ExecuTorchPolicy)
    program = model.program_bytes() if own else export_program(ActingPolicy(model, rule, action_space), example)
    (folder / FILE).write_bytes(program)
    return Written(FILE, in_graph=not own, loader={"max_batch": MAX_BATCH})


FORMAT = DeployFormat(runtime="executorch", backends=("executorch",), write=write, packages=("executorch",))
