"""Turning network outputs into actions, for a batch of observations."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from tinyrl.errors import VariantFailure

PolicyFn = Callable[[np.ndarray], np.ndarray]

# The action modes each kind of network output allows; the first is the deterministic one.
ACTION_MODES = {
    "q_values": ("greedy", "sampled"),
    "logits": ("greedy", "sampled"),
    "gaussian_mean": ("mean", "sampled"),
    "bounded_action": ("mean",),  # a deterministic action already in the box (networks.BoundedMLPPolicy)
}


def deterministic_mode(output_kind: str) -> str:
    return ACTION_MODES[output_kind][0]


def network_policy(model: nn.Module, actions: str, seed: int = 0) -> PolicyFn:
    """Discrete outputs: greedy = argmax, sampled = a draw from softmax(outputs).
    Gaussian means: mean = the mean itself, sampled = mean + exp(log_std) x N(0, 1). Bounded actions: as output.
    Draws use a seeded generator; continuous actions are clipped to the bounds by the env (see envs)."""
    generator = torch.Generator().manual_seed(seed)
    kind = getattr(model, "output_kind", "q_values")
    if actions not in ACTION_MODES[kind]:
        raise ValueError(f"action mode {actions!r} does not apply to {kind} outputs (allowed: {ACTION_MODES[kind]})")

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(torch.as_tensor(obs, dtype=torch.float32))
        if not np.isfinite(out.numpy()).all():  # numpy's check costs a tenth of torch's at these sizes
            raise VariantFailure("the policy output NaN or Inf during an episode")
        if kind == "bounded_action":
            return out.float().numpy()
        if kind == "gaussian_mean":
            if actions == "sampled":
                out = out + model.log_std.detach().exp() * torch.randn(out.shape, generator=generator)
            return out.float().numpy()
        if actions == "greedy":
            return out.argmax(dim=1).numpy()
        return torch.multinomial(torch.softmax(out.float(), dim=1), 1, generator=generator).squeeze(1).numpy()

    return act


def random_policy(action_space: gym.Space, seed: int = 0) -> PolicyFn:
    """Uniform over the discrete actions, or uniform in the box of a continuous action space."""
    rng = np.random.default_rng(seed)
    if isinstance(action_space, gym.spaces.Discrete):
        return lambda obs: rng.integers(0, int(action_space.n), size=len(obs))
    low, high = action_space.low, action_space.high
    return lambda obs: rng.uniform(low, high, size=(len(obs), *low.shape)).astype(action_space.dtype)
