"""Policy networks, built from a plain-dict architecture spec stored in every checkpoint."""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.errors import CheckpointError


class MLPQNetwork(nn.Module):
    """Q-network: obs -> hidden ReLU layers -> one Q-value per discrete action.

    QuantStub/DeQuantStub are identities in float mode; they mark where eager
    static quantization converts between float and quantized tensors.
    """

    def __init__(self, obs_dim: int, n_actions: int, hidden: list[int]):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        layers: list[nn.Module] = []
        width = obs_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, n_actions))
        self.layers = nn.Sequential(*layers)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.layers(self.quant(obs)))


def build_network(arch: dict) -> nn.Module:
    """Instantiate the network an architecture spec describes."""
    kind = arch.get("kind")
    if kind == "mlp_q":
        return MLPQNetwork(int(arch["obs_dim"]), int(arch["n_actions"]), [int(h) for h in arch["hidden"]])
    raise CheckpointError(f"unknown network kind {kind!r} in architecture spec {arch!r}")
