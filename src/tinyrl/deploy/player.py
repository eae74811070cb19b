"""A shipped file played as the evaluation plays a variant: same episode seeds, same schedule, the same random
draws for a sampled policy, so that its returns pair with float32's episode by episode."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from tinyrl.deploy.acting import DRAW, NOISE, apply_step
from tinyrl.errors import VariantFailure
from tinyrl.policies.actions import PolicyFn, drawn_actions, episode_generators, with_gaussian_noise


def shipped_policy(outputs: Callable[[np.ndarray], np.ndarray], action: dict, seed: int) -> PolicyFn:
    """The policy of a file's `outputs` (run_policy.load) and its manifest's `action` record, drawing from
    the generators the evaluation uses (salted with `seed`)."""
    generator = episode_generators(seed)
    log_std = torch.tensor(action["log_std"]) if "log_std" in action else None

    def act(obs: np.ndarray, episode_seeds) -> np.ndarray:
        out = np.asarray(outputs(np.asarray(obs, dtype=np.float32)))
        if out.dtype.kind == "f" and not np.isfinite(out).all():
            raise VariantFailure("the shipped file output NaN or Inf during an episode")
        for step in action["host_steps"]:
            if step == DRAW:
                out = drawn_actions(torch.from_numpy(out.astype(np.float32)), episode_seeds, generator)
            elif step == NOISE:
                out = with_gaussian_noise(torch.from_numpy(out), log_std, episode_seeds, generator).numpy()
            else:
                out = apply_step(step, out, action["space"])
        return out

    return act


def reference_outputs(
    model: torch.nn.Module, graph_step: str | None, obs: np.ndarray, action_space: dict
) -> np.ndarray:
    """What the variant as tiny_rl loaded it gives for `obs` after the rule's graph step: what the file must give."""
    with torch.inference_mode():
        out = model(torch.as_tensor(obs, dtype=torch.float32)).float().numpy()
    return apply_step(graph_step, out, action_space) if graph_step else out


def agreement(shipped: np.ndarray, reference: np.ndarray) -> dict:
    """How closely a file's outputs (after the host's deterministic steps) match the variant's: the share of
    equal action indices, or the largest absolute difference of float outputs."""
    if shipped.dtype.kind in "iu":
        return {"observations": len(shipped), "same_action_share": float(np.mean(shipped == reference))}
    return {"observations": len(shipped), "max_abs_diff": float(np.max(np.abs(shipped - reference)))}
