"""Policy networks, built from a plain-dict architecture spec stored in every checkpoint.

Each network names its layers (module names users select in the config) and
groups them into named *parts*; compression variants select layers by either.
"""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.errors import CheckpointError


def normalize_observations(obs: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """(obs - running mean) / running std, clipped to +-10 (as gymnasium's NormalizeObservation and SB3)."""
    return torch.clamp((obs - mean) / torch.sqrt(var + 1e-8), -10.0, 10.0)


class _MLP(nn.Module):
    """fc1 -> ReLU -> ... -> fcN -> ReLU -> head, between a QuantStub and a DeQuantStub.

    The stubs are identities in float mode; they mark where eager static
    quantization converts between float and quantized tensors.
    """

    def _build_layers(self, in_dim: int, hidden: list[int], out_dim: int) -> None:
        self.quant = torch.ao.quantization.QuantStub()
        self.hidden_names = [f"fc{i}" for i in range(1, len(hidden) + 1)]
        width = in_dim
        for name, size in zip(self.hidden_names, hidden):
            setattr(self, name, nn.Linear(width, size))
            width = size
        self.head = nn.Linear(width, out_dim)
        self.dequant = torch.ao.quantization.DeQuantStub()

    @property
    def parts(self) -> dict[str, list[str]]:
        return {"hidden": list(self.hidden_names), "head": ["head"], "all": [*self.hidden_names, "head"]}

    def preprocess(self, obs: torch.Tensor) -> torch.Tensor:
        return obs

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.quant(self.preprocess(obs))
        for name in self.hidden_names:
            x = torch.relu(getattr(self, name)(x))
        return self.dequant(self.head(x))


class MLPQNetwork(_MLP):
    """Q-network: obs -> MLP -> one Q-value per action."""

    output_kind = "q_values"

    def __init__(self, obs_dim: int, n_actions: int, hidden: list[int]):
        super().__init__()
        self._build_layers(obs_dim, hidden, n_actions)


class GaussianMLPPolicy(_MLP):
    """Gaussian policy for continuous actions: normalised obs -> MLP -> action mean.

    The observation normaliser (running mean and variance from training) is part
    of the network as buffers, so a checkpoint is the whole deployable policy and
    every variant sees raw observations. `log_std` is the state-independent log
    standard deviation used when actions are sampled; deterministic evaluation
    uses the mean.
    """

    output_kind = "gaussian_mean"

    def __init__(self, obs_dim: int, act_dim: int, hidden: list[int], log_std_init: float = -2.0):
        super().__init__()
        self.register_buffer("obs_mean", torch.zeros(obs_dim))
        self.register_buffer("obs_var", torch.ones(obs_dim))
        self._build_layers(obs_dim, hidden, act_dim)
        self.log_std = nn.Parameter(torch.full((act_dim,), float(log_std_init)))

    def preprocess(self, obs: torch.Tensor) -> torch.Tensor:
        return normalize_observations(obs, self.obs_mean, self.obs_var)


class ValueMLP(nn.Module):
    """State-value critic for PPO, with its own copy of the observation normaliser."""

    def __init__(self, obs_dim: int, hidden: list[int]):
        super().__init__()
        self.register_buffer("obs_mean", torch.zeros(obs_dim))
        self.register_buffer("obs_var", torch.ones(obs_dim))
        layers, width = [], obs_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.body = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.body(normalize_observations(obs, self.obs_mean, self.obs_var)).squeeze(-1)


OUTPUT_KINDS = {"mlp_q": MLPQNetwork.output_kind, "mlp_gaussian": GaussianMLPPolicy.output_kind}


def build_network(arch: dict) -> nn.Module:
    """Instantiate the network an architecture spec describes."""
    kind = arch.get("kind")
    if kind == "mlp_q":
        model = MLPQNetwork(int(arch["obs_dim"]), int(arch["n_actions"]), [int(h) for h in arch["hidden"]])
    elif kind == "mlp_gaussian":
        model = GaussianMLPPolicy(int(arch["obs_dim"]), int(arch["act_dim"]), [int(h) for h in arch["hidden"]],
                                  float(arch.get("log_std_init", -2.0)))
    else:
        raise CheckpointError(f"unknown network kind {kind!r} in architecture spec {arch!r}")
    model.arch = dict(arch)  # families that change the architecture (students) start from it
    return model
