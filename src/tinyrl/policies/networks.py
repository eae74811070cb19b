"""Policy networks, built from a plain-dict architecture spec stored in every checkpoint.

Each network names its layers (module names users select in the config), groups them into named
*parts*, and declares the *roles* of its layers (see `Roles`); compression variants select layers
by name or part, and spare or target layers by role (the input layer, the action head, the value
heads), never by their order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tinyrl.errors import CheckpointError


@dataclass(frozen=True)
class Roles:
    """What a network's layers do, for families that treat them apart."""

    input: str  # the layer that reads the observation
    action_head: str  # the layer whose outputs the actions are read from
    value_heads: tuple[str, ...] = ()  # layers that output values (kept for training, not for acting)
    # The layers the network's `trunk(obs)` computes, whose output its `from_trunk` takes: fine-tuning
    # computes the trunk once for its data where compression left these layers as they were.
    trunk: tuple[str, ...] = ()

    @property
    def heads(self) -> tuple[str, ...]:
        return (self.action_head, *self.value_heads)


class _EveryHead(nn.Module):
    """The policy with each of its heads as an output: the action outputs first, then the value heads."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.model.heads(obs)


def every_head(model: nn.Module) -> nn.Module:
    """What an exported file should compute: every head of a policy with value heads (so that the file
    holds what the checkpoint holds), else the policy itself."""
    roles = getattr(model, "roles", None)
    return _EveryHead(model) if roles is not None and roles.value_heads else model


ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}  # an MLP's hidden activation, by arch name
SQUASHES = ("clip", "tanh")  # how a bounded policy maps its head's output into the action box
DEFAULT_NORMALIZER = {"clip": 10.0, "epsilon": 1e-8}  # gymnasium's NormalizeObservation and SB3's VecNormalize


def normalize_observations(
    obs: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, clip: float = 10.0, epsilon: float = 1e-8
) -> torch.Tensor:
    """(obs - running mean) / sqrt(running var + epsilon), clipped to +-clip (as NormalizeObservation and SB3)."""
    return torch.clamp((obs - mean) / torch.sqrt(var + epsilon), -clip, clip)


class MLPNetwork(nn.Module):
    """[normaliser ->] fc1 -> act -> ... -> fcN -> act -> head, between a QuantStub and a DeQuantStub.

    The stubs are identities in float mode; they mark where eager static quantization converts
    between float and quantized tensors. The activation is ReLU or tanh (`ACTIVATIONS`). An
    observation normaliser, when the arch has one, holds its running mean and variance as buffers,
    so a checkpoint is the whole deployable policy and every variant sees raw observations.
    """

    def _build_layers(
        self, in_dim: int, hidden: list[int], out_dim: int, activation: str = "relu", normalizer: dict | None = None
    ) -> None:
        if activation not in ACTIVATIONS:
            raise CheckpointError(f"unknown activation {activation!r} (known: {', '.join(ACTIVATIONS)})")
        self.activation = ACTIVATIONS[activation]
        self.normalizer = dict(normalizer) if normalizer else None
        if self.normalizer:
            self.register_buffer("obs_mean", torch.zeros(in_dim))
            self.register_buffer("obs_var", torch.ones(in_dim))
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

    @property
    def roles(self) -> Roles:
        return Roles(input=(self.hidden_names or ["head"])[0], action_head="head")

    def preprocess(self, obs: torch.Tensor) -> torch.Tensor:
        if self.normalizer is None:
            return obs
        return normalize_observations(
            obs, self.obs_mean, self.obs_var, self.normalizer["clip"], self.normalizer["epsilon"]
        )

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.quant(self.preprocess(obs))
        for name in self.hidden_names:
            x = self.activation(getattr(self, name)(x))
        return self.dequant(self.head(x))


def quantile_mean(out: torch.Tensor, quantiles: int | None) -> torch.Tensor:
    """A quantile network's Q-values: the mean over its `quantiles` outputs per action (QR-DQN's
    (batch, quantiles, actions) view, as sb3-contrib's QuantileNetwork); other outputs unchanged."""
    return out.view(out.shape[0], quantiles, -1).mean(dim=1) if quantiles else out


class MLPQNetwork(MLPNetwork):
    """Q-network: obs -> MLP -> one Q-value per action (with `quantiles`, QR-DQN's: the head gives that
    many quantiles per action, and the Q-value is their mean)."""

    output_kind = "q_values"

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        hidden: list[int],
        activation: str = "relu",
        normalizer: dict | None = None,
        quantiles: int | None = None,
    ):
        super().__init__()
        self.quantiles = quantiles
        self._build_layers(obs_dim, hidden, n_actions * (quantiles or 1), activation, normalizer)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return quantile_mean(super().forward(obs), self.quantiles)


class MLPCategoricalPolicy(MLPNetwork):
    """Categorical policy for discrete actions: obs -> MLP -> one logit per action (an actor-critic's actor)."""

    output_kind = "logits"

    def __init__(
        self, obs_dim: int, n_actions: int, hidden: list[int], activation: str = "tanh", normalizer: dict | None = None
    ):
        super().__init__()
        self._build_layers(obs_dim, hidden, n_actions, activation, normalizer)


class GaussianMLPPolicy(MLPNetwork):
    """Gaussian policy for continuous actions: normalised obs -> MLP -> action mean.

    `log_std` is the state-independent log standard deviation used when actions are sampled;
    deterministic evaluation uses the mean, which the environment clips to the action box.
    """

    output_kind = "gaussian_mean"

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        hidden: list[int],
        log_std_init: float = -2.0,
        activation: str = "relu",
        normalizer: dict | None = DEFAULT_NORMALIZER,
    ):
        super().__init__()
        self._build_layers(obs_dim, hidden, act_dim, activation, normalizer)
        self.log_std = nn.Parameter(torch.full((act_dim,), float(log_std_init)))


class BoundedMLPPolicy(MLPNetwork):
    """Deterministic continuous policy whose actions lie in the action box: obs -> MLP -> head, then
    `clip` (clamped to the box: an actor-critic's Gaussian mean, as SB3's PPO/A2C predict) or `tanh`
    (tanh, rescaled from [-1, 1] to the box: SAC's squashed mean, TD3's actor). The box's bounds are
    buffers, so every variant and export keeps them."""

    output_kind = "bounded_action"

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        hidden: list[int],
        squash: str,
        activation: str = "relu",
        normalizer: dict | None = None,
    ):
        super().__init__()
        if squash not in SQUASHES:
            raise CheckpointError(f"unknown squash {squash!r} (known: {', '.join(SQUASHES)})")
        self.squash = squash
        self._build_layers(obs_dim, hidden, act_dim, activation, normalizer)
        self.register_buffer("action_low", -torch.ones(act_dim))
        self.register_buffer("action_high", torch.ones(act_dim))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        out = super().forward(obs)
        low, high = self.action_low.to(out.dtype), self.action_high.to(out.dtype)
        if self.squash == "tanh":
            return low + 0.5 * (torch.tanh(out) + 1.0) * (high - low)
        return torch.maximum(torch.minimum(out, high), low)


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


NATURE_CONVOLUTIONS = ((32, 8, 4), (64, 4, 2), (64, 3, 1))  # (out channels, kernel, stride) of conv1..conv3


def add_nature_convolutions(module: nn.Module, channels: int) -> None:
    """The Nature-DQN convolutions as the module's conv1, conv2, conv3 (every CNN here shares them)."""
    for i, (out_channels, kernel, stride) in enumerate(NATURE_CONVOLUTIONS, start=1):
        setattr(module, f"conv{i}", nn.Conv2d(channels, out_channels, kernel, stride))
        channels = out_channels


NATURE_TRUNK = ("conv1", "conv2", "conv3")


def nature_trunk(module: nn.Module, obs: torch.Tensor) -> torch.Tensor:
    """The policy CNNs' shared start: frames in [0, 1] through the quant stub and the Nature
    convolutions (ReLU), flattened."""
    x = module.quant(frames_to_unit(obs))
    return torch.flatten(torch.relu(module.conv3(torch.relu(module.conv2(torch.relu(module.conv1(x)))))), 1)


def frames_to_unit(obs: torch.Tensor) -> torch.Tensor:
    """uint8 frames as floats in [0, 1]; float frames are divided as they are (half stays half: static fp16)."""
    return (obs if obs.is_floating_point() else obs.float()) / 255.0


def nature_cnn_features(height: int, width: int) -> int:
    """Flattened size after the Nature-DQN convolutions (k8 s4, k4 s2, k3 s1, 64 channels): 3136 at 84x84."""

    def side(n: int) -> int:
        return ((n - 8) // 4 + 1 - 4) // 2 + 1 - 2

    return 64 * side(height) * side(width)


class PPORNDPolicy(nn.Module):
    """The policy network of the reference PPO-RND implementation (alirezakazemipour/PPO-RND), with its
    module and parameter names, so a reference `current_policy_state_dict` loads with strict=True.

    uint8 frame stack (4, 84, 84) / 255 -> conv1 4->32 k8 s4 -> conv2 32->64 k4 s2 -> conv3 64->64 k3 s1
    (the CNN part) -> fc1 3136->256 -> fc2 256->448, then two residual branches x + relu(fc(x)):
    extra_policy_fc -> policy (logits), extra_value_fc -> int_value, ext_value (the RL part). All
    ReLU; 1,407,476 parameters. `forward` computes every head, as the seed's timing did, and returns
    the action logits; `heads` returns (logits, intrinsic value, extrinsic value) for training.
    The residual adds are FloatFunctional and the body sits between Quant/DeQuant stubs, so eager
    static quantization converts the whole network (CNN + RL).
    """

    output_kind = "logits"

    def __init__(self, input_shape: list[int], n_actions: int):
        super().__init__()
        channels, height, width = input_shape
        self.input_shape = list(input_shape)
        self.quant = torch.ao.quantization.QuantStub()
        add_nature_convolutions(self, channels)
        self.fc1 = nn.Linear(nature_cnn_features(height, width), 256)
        self.fc2 = nn.Linear(256, 448)
        self.extra_value_fc = nn.Linear(448, 448)
        self.extra_policy_fc = nn.Linear(448, 448)
        self.policy = nn.Linear(448, n_actions)
        self.int_value = nn.Linear(448, 1)
        self.ext_value = nn.Linear(448, 1)
        self.value_residual = torch.ao.nn.quantized.FloatFunctional()
        self.policy_residual = torch.ao.nn.quantized.FloatFunctional()
        self.dequant = torch.ao.quantization.DeQuantStub()

    @property
    def parts(self) -> dict[str, list[str]]:
        cnn = ["conv1", "conv2", "conv3"]
        head = ["policy", "int_value", "ext_value"]
        rl = ["fc1", "fc2", "extra_value_fc", "extra_policy_fc", *head]
        return {"cnn": cnn, "rl": rl, "head": head, "hidden": [*cnn, *rl[:4]], "all": [*cnn, *rl]}

    @property
    def roles(self) -> Roles:
        return Roles(input="conv1", action_head="policy", value_heads=("int_value", "ext_value"), trunk=NATURE_TRUNK)

    def trunk(self, obs: torch.Tensor) -> torch.Tensor:
        return nature_trunk(self, obs)

    def heads_from_trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.relu(self.fc2(torch.relu(self.fc1(x))))
        x_value = self.value_residual.add(x, torch.relu(self.extra_value_fc(x)))
        x_policy = self.policy_residual.add(x, torch.relu(self.extra_policy_fc(x)))
        logits = self.dequant(self.policy(x_policy))
        return (
            logits,
            self.dequant(self.int_value(x_value)).squeeze(-1),
            self.dequant(self.ext_value(x_value)).squeeze(-1),
        )

    def from_trunk(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads_from_trunk(x)[0]

    def heads(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.heads_from_trunk(self.trunk(obs))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.from_trunk(self.trunk(obs))


class NatureCNNPolicy(nn.Module):
    """The Nature-DQN network (Mnih et al. 2015), as Stable-Baselines3's NatureCNN and CleanRL's
    dqn_atari.py / ppo_atari.py build it: uint8 frame stack (C, 84, 84) / 255 -> conv1 C->32 k8 s4 ->
    conv2 32->64 k4 s2 -> conv3 64->64 k3 s1 -> fc1 3136->512 [-> fc2 ...] -> head, all ReLU. The head
    gives Q-values (`nature_cnn_q`) or an actor's logits (`nature_cnn_logits`). The body sits between
    Quant/DeQuant stubs, so eager static quantization converts the whole network."""

    def __init__(
        self, input_shape: list[int], n_actions: int, hidden: list[int], output_kind: str, quantiles: int | None = None
    ):
        super().__init__()
        channels, height, width = input_shape
        self.input_shape = list(input_shape)
        self.output_kind = output_kind
        self.quantiles = quantiles  # QR-DQN (see quantile_mean)
        self.quant = torch.ao.quantization.QuantStub()
        add_nature_convolutions(self, channels)
        self.hidden_names = [f"fc{i}" for i in range(1, len(hidden) + 1)]
        size = nature_cnn_features(height, width)
        for name, out in zip(self.hidden_names, hidden):
            setattr(self, name, nn.Linear(size, out))
            size = out
        self.head = nn.Linear(size, n_actions * (quantiles or 1))
        self.dequant = torch.ao.quantization.DeQuantStub()

    @property
    def parts(self) -> dict[str, list[str]]:
        cnn = ["conv1", "conv2", "conv3"]
        return {
            "cnn": cnn,
            "hidden": [*cnn, *self.hidden_names],
            "head": ["head"],
            "all": [*cnn, *self.hidden_names, "head"],
        }

    @property
    def roles(self) -> Roles:
        return Roles(input="conv1", action_head="head", trunk=NATURE_TRUNK)

    def trunk(self, obs: torch.Tensor) -> torch.Tensor:
        return nature_trunk(self, obs)

    def from_trunk(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.hidden_names:
            x = torch.relu(getattr(self, name)(x))
        return quantile_mean(self.dequant(self.head(x)), self.quantiles)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.from_trunk(self.trunk(obs))


class RNDTarget(nn.Module):
    """Random Network Distillation's fixed random target (reference TargetModel): one normalised
    frame (1, 84, 84) -> the same three convolutions (leaky ReLU) -> 512 features."""

    def __init__(self, frame_shape: list[int]):
        super().__init__()
        channels, height, width = frame_shape
        add_nature_convolutions(self, channels)
        self.encoded_features = nn.Linear(nature_cnn_features(height, width), 512)

    def convolutions(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.leaky_relu(self.conv1(x))
        x = nn.functional.leaky_relu(self.conv2(x))
        return torch.flatten(nn.functional.leaky_relu(self.conv3(x)), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoded_features(self.convolutions(x))


class RNDPredictor(RNDTarget):
    """RND's trained predictor (reference PredictorModel): the target's convolutions, then
    fc1 3136->512 -> fc2 512->512 -> 512 features (ReLU)."""

    def __init__(self, frame_shape: list[int]):
        super().__init__(frame_shape)
        self.fc1 = nn.Linear(nature_cnn_features(*frame_shape[1:]), 512)
        self.fc2 = nn.Linear(512, 512)
        self.encoded_features = nn.Linear(512, 512)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc2(torch.relu(self.fc1(self.convolutions(x)))))
        return self.encoded_features(x)


OUTPUT_KINDS = {
    "mlp_q": MLPQNetwork.output_kind,
    "mlp_logits": MLPCategoricalPolicy.output_kind,
    "mlp_gaussian": GaussianMLPPolicy.output_kind,
    "mlp_bounded": BoundedMLPPolicy.output_kind,
    "ppo_rnd_cnn": PPORNDPolicy.output_kind,
    "nature_cnn_q": "q_values",
    "nature_cnn_logits": "logits",
}


def _mlp_options(arch: dict, activation: str, normalizer: dict | None) -> dict:
    """An MLP arch's optional fields, with the kind's defaults."""
    normalizer = arch.get("observation_normalizer", normalizer)
    if normalizer is not None:
        normalizer = {key: float(normalizer[key]) for key in DEFAULT_NORMALIZER}
    return {"activation": arch.get("activation", activation), "normalizer": normalizer}


def build_network(arch: dict) -> nn.Module:
    """Instantiate the network an architecture spec describes."""
    kind = arch.get("kind")
    hidden = [int(h) for h in arch.get("hidden", [])]
    quantiles = int(arch["quantiles"]) if arch.get("quantiles") else None
    if kind == "mlp_q":
        options = _mlp_options(arch, "relu", None)
        model = MLPQNetwork(int(arch["obs_dim"]), int(arch["n_actions"]), hidden, **options, quantiles=quantiles)
    elif kind == "mlp_logits":
        options = _mlp_options(arch, "tanh", None)
        model = MLPCategoricalPolicy(int(arch["obs_dim"]), int(arch["n_actions"]), hidden, **options)
    elif kind == "mlp_gaussian":
        model = GaussianMLPPolicy(
            int(arch["obs_dim"]),
            int(arch["act_dim"]),
            hidden,
            float(arch.get("log_std_init", -2.0)),
            **_mlp_options(arch, "relu", DEFAULT_NORMALIZER),
        )
    elif kind == "mlp_bounded":
        options = _mlp_options(arch, "relu", None)
        model = BoundedMLPPolicy(int(arch["obs_dim"]), int(arch["act_dim"]), hidden, arch["squash"], **options)
    elif kind == "ppo_rnd_cnn":
        model = PPORNDPolicy([int(d) for d in arch["input_shape"]], int(arch["n_actions"]))
    elif kind in ("nature_cnn_q", "nature_cnn_logits"):
        shape = [int(d) for d in arch["input_shape"]]
        model = NatureCNNPolicy(shape, int(arch["n_actions"]), hidden, OUTPUT_KINDS[kind], quantiles)
    else:
        raise CheckpointError(f"unknown network kind {kind!r} in architecture spec {arch!r}")
    model.arch = dict(arch)  # families that change the architecture (students) start from it
    return model
