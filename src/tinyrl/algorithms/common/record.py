"""The record every algorithm module declares: `ALGORITHM = Algorithm(...)` (collected in tinyrl.algorithms)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

# (config, log) -> (architecture, policy state dict, metadata)
Trainer = Callable[..., tuple[dict, dict, dict]]
# (compressed model, config, env steps, critic saved with the checkpoint or None) -> facts for the metadata
FineTuner = Callable[[nn.Module, object, int, "dict | None"], dict]


@dataclass(frozen=True)
class Algorithm:
    name: str
    config: type  # the hyperparameter dataclass, one docstring per field
    train: Trainer
    finetune: FineTuner | None = None  # RL fine-tuning of a compressed policy in place, where the algorithm has one

    def hyperparameter_names(self) -> set[str]:
        return {f.name for f in dataclasses.fields(self.config)}

    def hyperparameter_defaults(self) -> dict:
        """The trainer's defaults, for the fields that have one."""
        return {f.name: f.default for f in dataclasses.fields(self.config) if f.default is not dataclasses.MISSING}
