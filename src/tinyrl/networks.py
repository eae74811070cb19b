"""Policy networks, built from a plain-dict architecture spec stored in every checkpoint.

Each network names its layers (module names users select in the config) and
groups them into named *parts*; compression variants select layers by either.
"""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.errors import CheckpointError


class MLPQNetwork(nn.Module):
    """Q-network: obs -> fc1 -> ReLU -> ... -> fcN -> ReLU -> head (one Q-value per action).

    QuantStub/DeQuantStub are identities in float mode; they mark where eager
    static quantization converts between float and quantized tensors.
    """

    output_kind = "q_values"

    def __init__(self, obs_dim: int, n_actions: int, hidden: list[int]):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.hidden_names = [f"fc{i}" for i in range(1, len(hidden) + 1)]
        width = obs_dim
        for name, size in zip(self.hidden_names, hidden):
            setattr(self, name, nn.Linear(width, size))
            width = size
        self.head = nn.Linear(width, n_actions)
        self.dequant = torch.ao.quantization.DeQuantStub()

    @property
    def parts(self) -> dict[str, list[str]]:
        return {"hidden": list(self.hidden_names), "head": ["head"], "all": [*self.hidden_names, "head"]}

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.quant(obs)
        for name in self.hidden_names:
            x = torch.relu(getattr(self, name)(x))
        return self.dequant(self.head(x))


def build_network(arch: dict) -> nn.Module:
    """Instantiate the network an architecture spec describes."""
    kind = arch.get("kind")
    if kind == "mlp_q":
        model = MLPQNetwork(int(arch["obs_dim"]), int(arch["n_actions"]), [int(h) for h in arch["hidden"]])
    else:
        raise CheckpointError(f"unknown network kind {kind!r} in architecture spec {arch!r}")
    model.arch = dict(arch)  # families that change the architecture (students) start from it
    return model
