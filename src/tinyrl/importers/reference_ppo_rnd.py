"""The reference PPO-RND implementation's `params.pth` (alirezakazemipour/PPO-RND).

Its policy state dict has our module names (networks.PPORNDPolicy); the architecture is read off
the tensor shapes (input channels, action count, frame size from fc1's width), so a file of another
shape is refused by the architecture check like any other checkpoint. Its observation statistics
are numpy arrays, which tinyrl.policies.checkpoint.safe_torch_load allow-lists.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from tinyrl.errors import CheckpointError
from tinyrl.importers.common.layers import FRAME_SIDE_BY_FEATURES
from tinyrl.importers.record import Importer
from tinyrl.policies.checkpoint import checkpoint_dict

POLICY_KEY = "current_policy_state_dict"


def recognises(data: Any) -> bool:
    return isinstance(data, dict) and POLICY_KEY in data


def convert(data: dict, path: str | os.PathLike, declared: dict | None = None) -> dict:
    state = data[POLICY_KEY]
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: field {POLICY_KEY!r} is not a state dict")
    try:
        channels = int(state["conv1.weight"].shape[1])
        n_actions = int(state["policy.weight"].shape[0])
        side = FRAME_SIDE_BY_FEATURES.get(int(state["fc1.weight"].shape[1]))
    except (KeyError, AttributeError, IndexError) as exc:
        raise CheckpointError(f"{path}: field {POLICY_KEY!r} lacks tensor {exc} of the PPO-RND policy") from None
    if side is None:
        raise CheckpointError(
            f"{path}: field '{POLICY_KEY}.fc1.weight' has input width "
            f"{state['fc1.weight'].shape[1]}, expected 3136 (84x84 frames)"
        )
    counters = {key: int(data[key]) for key in ("iteration", "episode") if isinstance(data.get(key), (int, np.integer))}
    meta = {
        "produced_by": "reference PPO-RND implementation (params.pth), imported",
        "source_format": IMPORTER.name,
        "algorithm": "ppo_rnd",
        **counters,
    }
    arch = {"kind": "ppo_rnd_cnn", "input_shape": [channels, side, side], "n_actions": n_actions}
    return checkpoint_dict(arch, state, meta)


def describe(meta: dict) -> str:
    return f"imported from a reference PPO-RND params.pth (iteration {meta.get('iteration', '?')})"


IMPORTER = Importer(
    name="reference_ppo_rnd",
    format="reference PPO-RND params.pth",
    order=10,  # an exact key: the reference implementation's dict
    recognises=recognises,
    convert=convert,
    describe=describe,
)
