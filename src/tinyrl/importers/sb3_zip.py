"""Stable-Baselines3 zips (as `model.save` writes them, and as the RL Baselines3 Zoo stores them).

What is read, and how, with nothing ever unpickled:
- the archive through `safe_zip` (member names and sizes checked, only two members read);
- `data` with `json`: the policy class's module (which algorithm), the observation and action
  spaces and `policy_kwargs`. SB3 stores objects JSON cannot hold as a cloudpickle payload under
  `:serialized:` beside readable fields (`:type:`, the object's attributes as text); the payloads
  are never decoded, the readable fields are enough;
- `policy.pth` with torch's weights-only load.

The actor becomes one of our MLPs, with our layer names (fc1.., head): DQN's q-network
(`mlp_q`), PPO/A2C's policy branch and action net (`mlp_logits` for discrete actions, else
`mlp_bounded` clipped to the action box, as SB3's predict clips), SAC's squashed mean and TD3's
actor (`mlp_bounded`, tanh rescaled to the box). `net_arch` is read off the tensor shapes; the
activation off `policy_kwargs` when it names one, else the config's `network.activation`, else
SB3's default for the algorithm. Value networks and critics are left behind: they do not act.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

import torch

from tinyrl.errors import CheckpointError
from tinyrl.importers.common.layers import chain_dims, frame_side, linear_chain, nature_cnn_convs, sequential_layers
from tinyrl.importers.common.rl_zoo import (
    normalizes_observations,
    read_vecnormalize,
    read_zoo_config,
    unsupported_settings,
)
from tinyrl.importers.common.safe_zip import SafeZip, has_top_level_member
from tinyrl.importers.record import Importer
from tinyrl.policies.checkpoint import checkpoint_dict, safe_torch_loads

# The policy class's module names the algorithm family; PPO and A2C share ActorCriticPolicy.
ALGORITHM_BY_POLICY_MODULE = {
    "stable_baselines3.dqn.policies": "dqn",
    "stable_baselines3.sac.policies": "sac",
    "stable_baselines3.td3.policies": "td3",  # DDPG saves TD3's policy too: it acts the same way
    "stable_baselines3.common.policies": "actor_critic",
    "sb3_contrib.qrdqn.policies": "qrdqn",  # sb3-contrib's QR-DQN: a quantile head, acting on their mean
}
DEFAULT_ACTIVATION = {"dqn": "relu", "qrdqn": "relu", "sac": "relu", "td3": "relu", "ppo": "tanh", "a2c": "tanh"}
Q_LEARNERS = ("dqn", "qrdqn")
ACTIVATION_BY_CLASS = {"ReLU": "relu", "Tanh": "tanh"}
# policy_kwargs that do not change how the actor acts (or that we check separately).
ACTING_NEUTRAL_KWARGS = {
    "net_arch",
    "activation_fn",
    "log_std_init",
    "ortho_init",
    "optimizer_class",
    "optimizer_kwargs",
    "n_critics",
    "n_quantiles",
    "share_features_extractor",
    "normalize_images",
    "use_sde",
    "use_expln",
    "clip_mean",
    "full_std",
    "squash_output",
    "features_extractor_class",
    "features_extractor_kwargs",
}
EXTRACTORS = {  # the features extractors we rebuild: MlpPolicy's and CnnPolicy's defaults
    f"<class 'stable_baselines3.common.torch_layers.{name}'>" for name in ("FlattenExtractor", "NatureCNN")
}
# Where a CnnPolicy keeps its features extractor, for the Q-learners (actor-critics: the actor's, or the shared one).
FEATURES_EXTRACTORS = {"dqn": ["q_net.features_extractor."], "qrdqn": ["quantile_net.features_extractor."]}
# Where each algorithm keeps its actor's Linear layers, in order: (prefix of the hidden Sequential, head).
ACTOR_LAYERS = {
    "dqn": ("q_net.q_net", None),  # the last Linear of the Sequential is the head
    "qrdqn": ("quantile_net.quantile_net", None),
    "ppo": ("mlp_extractor.policy_net", "action_net"),
    "a2c": ("mlp_extractor.policy_net", "action_net"),
    "sac": ("actor.latent_pi", "actor.mu"),
    "td3": ("actor.mu", None),
}


def recognises_file(path: str | os.PathLike) -> bool:
    """An SB3 zip has a top-level `data` member (torch's own zips keep theirs in a folder)."""
    return has_top_level_member(path, "data")


def _class_type(entry: Any) -> str:
    """The class path of a serialized entry's `:type:` text ("<class 'a.b.C'>" -> "a.b.C")."""
    match = re.fullmatch(r"<class '([\w.]+)'>", str(entry.get(":type:", ""))) if isinstance(entry, dict) else None
    return match.group(1) if match else ""


def _numbers(text: Any, count: int, where: str) -> list[float]:
    """A numpy array's printed text ('[-1. -1. -8.]') as `count` floats. numpy summarises arrays of more
    than 1000 values ('[[0 0 0 ... 0 0 0] ...'); such a text is read only when every number it shows is
    the same (an image space's 0 or 255), as a constant array."""
    if not isinstance(text, str):
        raise CheckpointError(f"{where}: not a printed array: {str(text)[:80]!r}")
    tokens = [token for token in text.replace("[", " ").replace("]", " ").split() if token != "..."]
    try:
        values = [float(token) for token in tokens]
    except ValueError:
        raise CheckpointError(f"{where}: not a printed array of numbers: {text[:80]!r}") from None
    if "..." in text:
        if len(set(values)) != 1:
            raise CheckpointError(f"{where}: a summarised array whose values differ cannot be read: {text[:80]!r}")
        return values[:1] * count
    if len(values) != count:
        raise CheckpointError(f"{where}: {len(values)} numbers where the shape needs {count}")
    return values


def read_space(entry: Any, where: str) -> dict:
    """A gymnasium (or gym) space as SB3 printed it, as plain data: {"type": "discrete", "n"} or
    {"type": "box", "shape", "low", "high"}. Other spaces are refused."""
    kind = _class_type(entry)
    try:
        if re.fullmatch(r"gym(nasium)?\.spaces\.discrete\.Discrete", kind):
            if int(entry.get("start", 0)) != 0:
                raise CheckpointError(f"{where}: a Discrete space starting at {entry['start']} is not supported")
            return {"type": "discrete", "n": int(entry["n"])}
        if re.fullmatch(r"gym(nasium)?\.spaces\.box\.Box", kind):
            shape = [int(n) for n in entry["_shape"]]
            count = math.prod(shape)
            return {
                "type": "box",
                "shape": shape,
                "low": _numbers(entry["low"], count, f"{where}.low"),
                "high": _numbers(entry["high"], count, f"{where}.high"),
            }
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: incomplete space description ({exc!r})") from None
    raise CheckpointError(f"{where}: space {kind or entry!r} is not supported (Box and Discrete are)")


def _algorithm(data: dict, where: str) -> str:
    policy_class = data.get("policy_class")
    module = policy_class.get("__module__") if isinstance(policy_class, dict) else None
    family = ALGORITHM_BY_POLICY_MODULE.get(module)
    if family is None:
        raise CheckpointError(
            f"{where}: field 'policy_class' is {module or policy_class!r}, which is not supported "
            f"(supported: policies of {', '.join(sorted(ALGORITHM_BY_POLICY_MODULE))})"
        )
    if family == "actor_critic":  # PPO has a clip range; A2C has none
        return "ppo" if "clip_range" in data else "a2c"
    return family


def _policy_kwargs(data: dict, where: str) -> dict:
    """policy_kwargs's readable fields (a serialized dict keeps each field as JSON or as printed text)."""
    kwargs = data.get("policy_kwargs") or {}
    if not isinstance(kwargs, dict):
        raise CheckpointError(f"{where}: field 'policy_kwargs' is not a mapping")
    kwargs = {key: value for key, value in kwargs.items() if not key.startswith(":")}
    unknown = sorted(set(kwargs) - ACTING_NEUTRAL_KWARGS)
    if unknown:
        raise CheckpointError(
            f"{where}: field 'policy_kwargs' sets {unknown}, which may change how the policy acts; not supported"
        )
    if kwargs.get("use_sde") or kwargs.get("squash_output"):
        raise CheckpointError(f"{where}: field 'policy_kwargs': gSDE policies (use_sde) are not supported")
    extractor = kwargs.get("features_extractor_class")
    if extractor is not None and extractor not in EXTRACTORS:
        raise CheckpointError(
            f"{where}: field 'policy_kwargs.features_extractor_class' is {extractor}; only FlattenExtractor "
            f"(MlpPolicy) and NatureCNN (CnnPolicy) are supported"
        )
    return kwargs


def _activation(kwargs: dict, algorithm: str, declared: str | None, where: str) -> str:
    text = kwargs.get("activation_fn")
    if text is None:  # the file does not say: the config's choice, else SB3's default
        return declared or DEFAULT_ACTIVATION[algorithm]
    match = re.fullmatch(r"<class 'torch\.nn\.modules\.activation\.(\w+)'>", str(text))
    activation = ACTIVATION_BY_CLASS.get(match.group(1)) if match else None
    if activation is None:
        raise CheckpointError(
            f"{where}: field 'policy_kwargs.activation_fn' is {text}; supported: {', '.join(ACTIVATION_BY_CLASS)}"
        )
    if declared and declared != activation:
        raise CheckpointError(
            f"{where}: field 'policy_kwargs.activation_fn' is {activation}, the config declares {declared}"
        )
    return activation


def _actor_layers(state: dict, algorithm: str, where: str) -> list[str]:
    """The SB3 module names of the actor's Linear layers, input first."""
    prefix, head = ACTOR_LAYERS[algorithm]
    sb3_names = sequential_layers(state, prefix) + ([head] if head else [])
    if not sb3_names or f"{sb3_names[-1]}.weight" not in state:
        raise CheckpointError(f"{where}: no actor layers under {prefix!r} (is this an MlpPolicy?)")
    return sb3_names


def _normalizer(companions: dict, observation_space: dict, path: str | os.PathLike, image: bool) -> dict | None:
    """The observation normaliser from the Zoo's vecnormalize.pkl, checked against config.yml where there is one."""
    zoo_config = companions.get("zoo_config")
    settings = read_zoo_config(zoo_config) if zoo_config else {}
    unsupported = unsupported_settings(settings, image)
    if unsupported:
        raise CheckpointError(f"{zoo_config}: the run used {'; '.join(unsupported)}, which the import cannot reproduce")
    vecnormalize = companions.get("vecnormalize")
    if zoo_config and normalizes_observations(settings, zoo_config) and not vecnormalize:
        raise CheckpointError(
            f"{zoo_config}: the run normalised observations (normalize), but no vecnormalize.pkl goes with {path}"
        )
    normalizer = read_vecnormalize(vecnormalize) if vecnormalize else None
    if normalizer and list(normalizer["mean"].shape) != observation_space["shape"]:
        raise CheckpointError(
            f"{vecnormalize}: field 'obs_rms.mean' has shape {list(normalizer['mean'].shape)}, the policy's "
            f"observations {observation_space['shape']}"
        )
    return normalizer


def _features_extractor(state: dict, algorithm: str) -> str | None:
    """The prefix of a CnnPolicy's features extractor in the state dict (the actor's, for actor-critics)."""
    candidates = FEATURES_EXTRACTORS.get(algorithm, ["pi_features_extractor.", "features_extractor."])
    return next((prefix for prefix in candidates if f"{prefix}cnn.0.weight" in state), None)


def _mlp_arch(
    weights: dict,
    hidden: list[int],
    observation_space: dict,
    action_space: dict,
    algorithm: str,
    activation: str,
    where: str,
) -> dict:
    if observation_space["type"] != "box" or len(observation_space["shape"]) != 1:
        raise CheckpointError(f"{where}: an MlpPolicy's observation space must be a flat Box, not {observation_space}")
    obs_dim = int(observation_space["shape"][0])
    n_in, n_out = chain_dims(weights)
    discrete = action_space["type"] == "discrete"
    expected_out = action_space["n"] if discrete else math.prod(action_space["shape"])
    quantiles = _quantiles(n_out, expected_out, algorithm, where)
    if n_in != obs_dim or n_out != expected_out * (quantiles or 1):
        raise CheckpointError(
            f"{where}: the actor maps {n_in} inputs to {n_out} outputs; the file's spaces need "
            f"{obs_dim} observations and {expected_out} action outputs"
        )
    arch = {"hidden": hidden, "obs_dim": obs_dim, "activation": activation}
    if algorithm in Q_LEARNERS:
        return arch | {"kind": "mlp_q", "n_actions": expected_out} | ({"quantiles": quantiles} if quantiles else {})
    if discrete:
        return arch | {"kind": "mlp_logits", "n_actions": n_out}
    return arch | {"kind": "mlp_bounded", "act_dim": n_out, "squash": "clip" if algorithm in ("ppo", "a2c") else "tanh"}


def _cnn_arch(
    weights: dict,
    hidden: list[int],
    observation_space: dict,
    action_space: dict,
    algorithm: str,
    activation: str,
    kwargs: dict,
    where: str,
) -> dict:
    shape = observation_space.get("shape", [])
    if observation_space["type"] != "box" or len(shape) != 3 or shape[1] != shape[2]:
        raise CheckpointError(f"{where}: a CnnPolicy's observations must be square frames, channels first: {shape}")
    if kwargs.get("normalize_images") is False:
        raise CheckpointError(
            f"{where}: field 'policy_kwargs.normalize_images' is false; only /255 images are supported"
        )
    if action_space["type"] != "discrete":
        raise CheckpointError(f"{where}: a CnnPolicy with a {action_space['type']} action space is not supported")
    if len(hidden) > 1 and activation != "relu":  # NatureCNN is all ReLU; net_arch layers after it use activation_fn
        raise CheckpointError(f"{where}: net_arch layers after the CNN use {activation}; only relu is supported there")
    n_in, n_out = chain_dims(weights)
    side = frame_side(n_in, where)
    quantiles = _quantiles(n_out, action_space["n"], algorithm, where)
    if shape[1] != side or n_out != action_space["n"] * (quantiles or 1):
        raise CheckpointError(
            f"{where}: the network takes {side}x{side} frames and gives {n_out} outputs; the spaces say "
            f"{shape} and {action_space['n']} actions"
        )
    kind = "nature_cnn_q" if algorithm in Q_LEARNERS else "nature_cnn_logits"
    arch = {"kind": kind, "input_shape": [int(d) for d in shape], "n_actions": action_space["n"], "hidden": hidden}
    return arch | ({"quantiles": quantiles} if quantiles else {})


def _quantiles(n_out: int, n_actions: int, algorithm: str, where: str) -> int | None:
    """QR-DQN's quantiles per action, read off its head's width (n_actions x n_quantiles); None otherwise."""
    if algorithm != "qrdqn":
        return None
    if n_out % n_actions:
        raise CheckpointError(
            f"{where}: a QR-DQN head of {n_out} outputs is not a whole number of quantiles per action"
        )
    return n_out // n_actions


def convert_file(path: str | os.PathLike, declared: dict | None = None, companions: dict | None = None) -> dict:
    """The zip's actor as a tiny_rl checkpoint dict; `declared` is the config's network spec (its
    `activation` is used where the file does not name one); `companions` the RL Zoo's files that go
    with it ({"vecnormalize": path, "zoo_config": path}, see rl_zoo), whose observation normaliser
    becomes part of the network."""
    declared, companions = declared or {}, companions or {}
    with SafeZip(path) as archive:
        where_data = f"{path}: member 'data'"
        try:
            data = json.loads(archive.read("data"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"{where_data} is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise CheckpointError(f"{where_data} is not a JSON object")
        algorithm = _algorithm(data, where_data)
        kwargs = _policy_kwargs(data, where_data)
        observation_space = read_space(data.get("observation_space"), f"{where_data}, field 'observation_space'")
        action_space = read_space(data.get("action_space"), f"{where_data}, field 'action_space'")
        where_policy = f"{path}: member 'policy.pth'"
        state = safe_torch_loads(archive.read("policy.pth"), where_policy)
        version = (
            archive.read("_stable_baselines3_version").decode(errors="replace").strip()[:32]
            if ("_stable_baselines3_version" in archive.names())
            else "unknown"
        )
    if not isinstance(state, dict):
        raise CheckpointError(f"{where_policy} is not a state dict")
    discrete = action_space["type"] == "discrete"
    if algorithm in ("sac", "td3") and discrete or algorithm in Q_LEARNERS and not discrete:
        raise CheckpointError(f"{where_data}: {algorithm} with a {action_space['type']} action space")
    activation = _activation(kwargs, algorithm, declared.get("activation"), where_data)
    extractor = _features_extractor(state, algorithm)
    layers = _actor_layers(state, algorithm, where_policy)
    if extractor:  # CnnPolicy: NatureCNN's convolutions and linear layer, then the actor's layers
        weights, hidden = linear_chain(state, [f"{extractor}linear.0", *layers], where_policy)
        arch = _cnn_arch(weights, hidden, observation_space, action_space, algorithm, activation, kwargs, where_data)
        convs, _ = nature_cnn_convs(state, [f"{extractor}cnn.{i}" for i in (0, 2, 4)], where_policy)
        weights |= convs
    else:
        weights, hidden = linear_chain(state, layers, where_policy)
        arch = _mlp_arch(weights, hidden, observation_space, action_space, algorithm, activation, where_policy)
        if arch["kind"] == "mlp_bounded":
            weights["action_low"] = torch.tensor(action_space["low"], dtype=torch.float32)
            weights["action_high"] = torch.tensor(action_space["high"], dtype=torch.float32)
    normalizer = _normalizer(companions, observation_space, path, image=bool(extractor))
    if normalizer and extractor:
        raise CheckpointError(f"{companions['vecnormalize']}: a VecNormalize on image observations is not supported")
    if normalizer:
        arch["observation_normalizer"] = {"clip": normalizer["clip"], "epsilon": normalizer["epsilon"]}
        weights["obs_mean"] = torch.as_tensor(normalizer["mean"], dtype=torch.float32)
        weights["obs_var"] = torch.as_tensor(normalizer["var"], dtype=torch.float32)
    meta = {
        "produced_by": f"Stable-Baselines3 {version} (model.save), imported",
        "rl_zoo_files": {key: str(value) for key, value in companions.items() if value},
        "source_format": IMPORTER.name,
        "algorithm": f"sb3_{algorithm}",
        "observation_space": observation_space,
        "action_space": action_space,
    }
    if isinstance(data.get("num_timesteps"), int):
        meta["num_timesteps"] = data["num_timesteps"]
    return checkpoint_dict(arch, weights, meta)


IMPORTER = Importer(
    name="sb3_zip",
    format="Stable-Baselines3 zip",
    order=0,  # archives are peeked at before the torch load
    recognises_file=recognises_file,
    convert_file=convert_file,
)
