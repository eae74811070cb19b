"""Atari environments under a named evaluation protocol, chosen by the env id's namespace.

One module a protocol, each declaring `PROTOCOL` (tinyrl.episodes.atari.record.AtariProtocol) beside its
implementation; the module's name is the namespace, lower-cased:
- `ale`: `ALE/<Game>-v5`, the seed study's protocol (SPEC §3, Study A);
- `sb3_atari`, `cleanrl_atari`: the protocols a Stable-Baselines3 (RL Zoo) or CleanRL Atari policy was
  trained under, built from those libraries' own wrappers.
Adding a protocol is adding its module. A namespace with no module is not an Atari id, and asking for
its protocol fails; a job imports only the protocol modules its env ids name (SB3's wrappers cost 0.2 s
of start-up).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import ale_py
import gymnasium as gym

from tinyrl.episodes.atari.record import MAX_EPISODE_STEPS, AtariProtocol

gym.register_envs(ale_py)  # the ALE/ ids, NoFrameskip-v4 included


@cache
def protocol_modules() -> tuple[str, ...]:
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "record"))


def protocol_of(env_id: str) -> str:
    """The namespace of an Atari env id names its evaluation protocol: ALE/ (the seed's), sb3_atari/, cleanrl_atari/."""
    return env_id.split("/", 1)[0]


def is_atari(env_id: str) -> bool:
    return "/" in env_id and protocol_of(env_id).lower() in protocol_modules()


def get_protocol(namespace: str) -> AtariProtocol:
    """The protocol's record, importing its module (and only its module)."""
    if namespace.lower() not in protocol_modules():  # never import a module named by a config before checking it
        known = ", ".join(f"{name}/" for name in protocol_modules())
        raise KeyError(f"no Atari protocol for the namespace {namespace}/ (known, case aside: {known})")
    protocol = importlib.import_module(f"{__name__}.{namespace.lower()}").PROTOCOL
    if protocol.namespace != namespace:
        raise KeyError(f"the Atari protocol of module {namespace.lower()} is spelt {protocol.namespace}/")
    return protocol


def make_atari_env(
    env_id: str,
    max_episode_steps: int | None = MAX_EPISODE_STEPS,
    repeat_action_probability: float = 0.0,
    noop_max: int = 0,
) -> gym.Env:
    """The env under the protocol its id's namespace names, at most `max_episode_steps` agent steps an episode
    (None: no limit). Sticky actions (`repeat_action_probability=0.25`) and up to `noop_max` no-op starts, for
    training and the robustness check, exist under the seed's ALE/ protocol only."""
    return get_protocol(protocol_of(env_id)).make(env_id, max_episode_steps, repeat_action_probability, noop_max)


def episode_observers(env_id: str, episodes: int) -> list:
    """What the env's protocol records of each episode beyond its return and length."""
    observers = get_protocol(protocol_of(env_id)).observers
    return observers(env_id, episodes) if observers else []
