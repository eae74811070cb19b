"""What a shipped policy file computes: the network with its action rule inside, so that a user's loop hands
the file's output straight to the environment.

The rule follows the network's output kind and the agent's action mode (tinyrl.policies.actions):

| outputs, mode             | in the file                   | left to the host                           |
|---------------------------|-------------------------------|--------------------------------------------|
| Q-values/logits, greedy   | argmax: the action index      | nothing                                    |
| Q-values/logits, sampled  | softmax: action probabilities | one draw from them                         |
| Gaussian mean, mean       | clipped to the action box     | nothing                                    |
| Gaussian mean, sampled    | the mean                      | add exp(log_std) x N(0, 1); the env clips  |
| bounded action, mean      | clipped to the action box     | nothing                                    |

The observation normaliser and a bounded policy's tanh rescaling are part of the network's forward already.
A program made for another runtime (an ExecuTorch .pte) cannot take the graph step after the fact: its host
does that step too, and the file's manifest says so (`ActionRule.host_steps`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

ARGMAX, SOFTMAX, CLIP = "argmax", "softmax", "clip"  # steps a file can hold
DRAW, NOISE = "draw_from_probabilities", "add_gaussian_noise"  # steps that need the host's random numbers

OUTPUT_MEANINGS = {
    ARGMAX: "the action index (int64), one per observation",
    SOFTMAX: "the probability of each action (float32), one row per observation",
    CLIP: "the action (float32), inside the action box",
    None: "the action's mean (float32), before noise and clipping",
}


@dataclass(frozen=True)
class ActionRule:
    graph_step: str | None  # ARGMAX, SOFTMAX, CLIP or None: the step inside the file
    host_step: str | None  # DRAW, NOISE or None: what the host does with the file's output

    def host_steps(self, in_graph: bool) -> list[str]:
        """What the host does with the file's output: the graph step too when the file could not hold it."""
        steps = [] if in_graph or self.graph_step is None else [self.graph_step]
        return steps + ([self.host_step] if self.host_step else [])


def action_rule(output_kind: str, actions: str) -> ActionRule:
    """The rule for a network's outputs under the agent's action mode (tinyrl.policies.actions.ACTION_MODES)."""
    if output_kind in ("q_values", "logits"):
        return ActionRule(ARGMAX, None) if actions == "greedy" else ActionRule(SOFTMAX, DRAW)
    if output_kind == "gaussian_mean":
        return ActionRule(CLIP, None) if actions == "mean" else ActionRule(None, NOISE)
    if output_kind == "bounded_action":
        return ActionRule(CLIP, None)
    raise ValueError(f"no action rule for {output_kind!r} outputs")


def box_bounds(space: dict) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of a Box space record (tinyrl.episodes.envs.space_record), float32."""
    low = np.asarray(space["low"], dtype=np.float32).reshape(space["shape"])
    high = np.asarray(space["high"], dtype=np.float32).reshape(space["shape"])
    return low, high


class ActingPolicy(nn.Module):
    """observations -> what the rule's graph step makes of the network's action outputs."""

    def __init__(self, network: nn.Module, rule: ActionRule, action_space: dict):
        super().__init__()
        self.network, self.step = network, rule.graph_step
        if self.step == CLIP:
            low, high = box_bounds(action_space)
            self.register_buffer("low", torch.from_numpy(low))
            self.register_buffer("high", torch.from_numpy(high))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        out = self.network(obs.float()).float()
        if self.step == ARGMAX:
            return out.argmax(dim=1)
        if self.step == SOFTMAX:
            return torch.softmax(out, dim=1)
        if self.step == CLIP:
            return torch.minimum(torch.maximum(out, self.low), self.high)
        return out


def apply_step(step: str, out: np.ndarray, action_space: dict) -> np.ndarray:
    """A graph step done by the host, on the file's raw outputs (numpy)."""
    if step == ARGMAX:
        return out.argmax(axis=1)
    if step == SOFTMAX:
        shifted = np.exp(out - out.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)
    if step == CLIP:
        low, high = box_bounds(action_space)
        return np.clip(out, low, high)
    raise ValueError(f"{step!r} is not a step a file can hold")
