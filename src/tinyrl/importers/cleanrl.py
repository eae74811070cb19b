"""CleanRL's saved models (`runs/<run>/<script>.cleanrl_model`): the state dicts its single-file scripts save.

Each script's network has its own module names; the layout is recognised by them (or declared in
the config as `network: {kind: cleanrl_<script>}`) and the actor becomes one of our networks:

- dqn_atari.py saves `q_network.state_dict()`: convolutions `network.{0,2,4}`, then `network.{7,9}`
  -> `nature_cnn_q`; ppo_atari.py: `network.{0,2,4,7}`, `actor`, `critic` -> `nature_cnn_logits`;
- dqn.py saves `q_network.state_dict()`: `network.{0,2,4}` -> `mlp_q` (ReLU);
- ppo.py saves `agent.state_dict()`: `actor.{0,2,4}`, `critic.*` -> `mlp_logits` (tanh);
- ppo_continuous_action.py: `actor_mean.{0,2,4}`, `actor_logstd`, `critic.*` -> `mlp_gaussian` (tanh,
  no normaliser: the script's NormalizeObservation statistics live in its env, not in the file);
- sac_continuous_action.py saves `(actor, qf1, qf2)` state dicts; the actor's `fc1`, `fc2`, `fc_mean`,
  `fc_logstd`, `action_scale`, `action_bias` -> `mlp_bounded` (ReLU, tanh rescaled to the box);
- td3_continuous_action.py: `(actor, qf1, qf2)`; the actor's `fc1`, `fc2`, `fc_mu`, `action_scale`,
  `action_bias` -> `mlp_bounded` (ReLU, tanh rescaled).

The box of SAC and TD3 is the scripts' `action_bias -+ action_scale`. Only tensors are read (the
file is loaded weights-only before it gets here).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tinyrl.errors import CheckpointError
from tinyrl.importers.common.layers import chain_dims, frame_side, linear_chain, nature_cnn_convs, sequential_layers
from tinyrl.importers.record import Importer
from tinyrl.policies.checkpoint import checkpoint_dict


def _actor_state(data: Any) -> dict | None:
    """The state dict holding the actor: the file itself, or the first of SAC/TD3's (actor, qf1, qf2)."""
    if isinstance(data, tuple) and data and isinstance(data[0], dict):
        return data[0]
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Layout:
    """How a script saves its network: the tensors that identify it, its convolutions (Atari scripts) and
    its Linear layers in order (names in the file), the network it becomes and its activation."""

    keys: frozenset[str]
    linears: Callable[[dict], list[str]]
    kind: str
    activation: str = "relu"
    convs: tuple[str, ...] = ()


ATARI_CONVS = ("network.0", "network.2", "network.4")
LAYOUTS = {  # the Atari scripts first: dqn.py's `network.0.weight` is dqn_atari.py's too
    "cleanrl_dqn_atari": Layout(
        frozenset({"network.0.weight", "network.7.weight", "network.9.weight"}),
        lambda s: ["network.7", "network.9"],
        "nature_cnn_q",
        convs=ATARI_CONVS,
    ),
    "cleanrl_ppo_atari": Layout(
        frozenset({"network.0.weight", "network.7.weight", "actor.weight", "critic.weight"}),
        lambda s: ["network.7", "actor"],
        "nature_cnn_logits",
        convs=ATARI_CONVS,
    ),
    "cleanrl_dqn": Layout(frozenset({"network.0.weight"}), lambda s: sequential_layers(s, "network"), "mlp_q"),
    "cleanrl_ppo": Layout(
        frozenset({"actor.0.weight", "critic.0.weight"}), lambda s: sequential_layers(s, "actor"), "mlp_logits", "tanh"
    ),
    "cleanrl_ppo_continuous_action": Layout(
        frozenset({"actor_mean.0.weight", "actor_logstd"}),
        lambda s: sequential_layers(s, "actor_mean"),
        "mlp_gaussian",
        "tanh",
    ),
    "cleanrl_sac_continuous_action": Layout(
        frozenset({"fc1.weight", "fc_mean.weight", "fc_logstd.weight", "action_scale"}),
        lambda s: ["fc1", "fc2", "fc_mean"],
        "mlp_bounded",
    ),
    "cleanrl_td3_continuous_action": Layout(
        frozenset({"fc1.weight", "fc_mu.weight", "action_scale"}), lambda s: ["fc1", "fc2", "fc_mu"], "mlp_bounded"
    ),
}


def layout_of(data: Any) -> str | None:
    state = _actor_state(data)
    if state is None:
        return None
    for name, layout in LAYOUTS.items():
        if layout.keys <= set(state):
            return name
    return None


def recognises(data: Any) -> bool:
    return layout_of(data) is not None


def convert(data: Any, path: str | os.PathLike, declared: dict | None = None) -> dict:
    declared = declared or {}
    layout = declared.get("kind") if str(declared.get("kind", "")).startswith("cleanrl_") else layout_of(data)
    if layout not in LAYOUTS:
        raise CheckpointError(f"{path}: network kind {layout!r} is not a CleanRL layout (known: {', '.join(LAYOUTS)})")
    state = _actor_state(data)
    spec = LAYOUTS[layout]
    missing = sorted(spec.keys - set(state or {}))
    if missing:
        raise CheckpointError(f"{path}: not a {layout} file: tensors {missing} are missing")
    if declared.get("activation", spec.activation) != spec.activation:
        raise CheckpointError(f"{path}: {layout} uses {spec.activation}, the config declares {declared['activation']}")
    weights, hidden = linear_chain(state, spec.linears(state), str(path))
    n_in, n_out = chain_dims(weights)
    kind = spec.kind
    if spec.convs:  # the Nature network: its convolutions, then the chain
        convs, channels = nature_cnn_convs(state, list(spec.convs), str(path))
        side = frame_side(n_in, str(path))
        arch = {"kind": kind, "input_shape": [channels, side, side], "n_actions": n_out, "hidden": hidden}
        weights |= convs
    elif kind in ("mlp_q", "mlp_logits"):
        arch = {"kind": kind, "obs_dim": n_in, "hidden": hidden, "activation": spec.activation, "n_actions": n_out}
    elif kind == "mlp_gaussian":
        arch = {"kind": kind, "obs_dim": n_in, "hidden": hidden, "activation": spec.activation, "act_dim": n_out}
        arch["observation_normalizer"] = None
        weights["log_std"] = state["actor_logstd"].float().reshape(-1)
    else:
        arch = {"kind": kind, "obs_dim": n_in, "hidden": hidden, "activation": spec.activation, "act_dim": n_out}
        arch["squash"] = "tanh"
        scale, bias = state["action_scale"].float().reshape(-1), state["action_bias"].float().reshape(-1)
        weights["action_low"], weights["action_high"] = bias - scale, bias + scale
    meta = {
        "produced_by": f"CleanRL {layout.removeprefix('cleanrl_')}.py (.cleanrl_model), imported",
        "source_format": IMPORTER.name,
        "algorithm": layout,
    }
    return checkpoint_dict(arch, weights, meta)


IMPORTER = Importer(
    name="cleanrl",
    format="CleanRL .cleanrl_model",
    order=20,  # CleanRL's module names
    recognises=recognises,
    convert=convert,
)
