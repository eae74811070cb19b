"""Turning network outputs into actions, for a batch of observations."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from tinyrl.errors import VariantFailure

PolicyFn = Callable[[np.ndarray], np.ndarray]


def network_policy(model: nn.Module, actions: str, seed: int = 0) -> PolicyFn:
    """greedy: argmax of the outputs; sampled: a draw from softmax(outputs) with a seeded generator."""
    generator = torch.Generator().manual_seed(seed)

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(torch.as_tensor(obs, dtype=torch.float32))
        if not torch.isfinite(out).all():
            raise VariantFailure("the policy output NaN or Inf during an episode")
        if actions == "greedy":
            return out.argmax(dim=1).numpy()
        return torch.multinomial(torch.softmax(out.float(), dim=1), 1, generator=generator).squeeze(1).numpy()

    return act


def random_policy(n_actions: int, seed: int = 0) -> PolicyFn:
    rng = np.random.default_rng(seed)
    return lambda obs: rng.integers(0, n_actions, size=len(obs))
