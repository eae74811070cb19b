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
# (the checkpoint's metadata) -> how it was made, as a clause of the report's Agents section
Description = Callable[[dict], str]


def trained_by_rl(meta: dict) -> str:
    """An RL trainer's checkpoint, kept by its score on selection episodes (tinyrl.algorithms.common.selection)."""
    hp = meta.get("hyperparameters", {})
    return (
        f"{meta.get('algorithm', '?')} trained by tiny_rl for {hp.get('total_steps')} environment steps "
        f"(seed {hp.get('seed')}, {meta.get('train_wall_time_s', float('nan')) / 60:.1f} min on its machine); "
        f"weights kept from step {meta.get('selected_step')} where the deterministic policy scored "
        f"{meta.get('selection_score', float('nan')):.1f} on {len(meta.get('selection_seeds', []))} selection "
        f"episodes (seeds disjoint from the evaluation seeds)"
    )


@dataclass(frozen=True)
class Algorithm:
    name: str
    config: type  # the hyperparameter dataclass, one docstring per field
    train: Trainer
    finetune: FineTuner | None = None  # RL fine-tuning of a compressed policy in place, where the algorithm has one
    describe: Description = trained_by_rl  # how its checkpoints describe themselves to the report

    def hyperparameter_names(self) -> set[str]:
        return {f.name for f in dataclasses.fields(self.config)}

    def hyperparameter_defaults(self) -> dict:
        """The trainer's defaults, for the fields that have one."""
        return {f.name: f.default for f in dataclasses.fields(self.config) if f.default is not dataclasses.MISSING}
