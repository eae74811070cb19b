"""Turning network outputs into actions, for a batch of observations."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from tinyrl.errors import VariantFailure

# (observations, the episode seed of each row) -> one action per row
PolicyFn = Callable[[np.ndarray, Sequence[int]], np.ndarray]


class EpisodeGenerators:
    """One random generator per episode, seeded from (salt, the episode's seed): a sampled episode's draws
    do not depend on which other episodes share its batches, so its return does not depend on num_envs."""

    def __init__(self, salt: int, make: Callable[[np.random.SeedSequence], object]):
        self.salt, self.make, self.generators = salt, make, {}

    def __call__(self, episode_seed: int):
        if episode_seed not in self.generators:
            self.generators[episode_seed] = self.make(np.random.SeedSequence([self.salt, int(episode_seed)]))
        return self.generators[episode_seed]


def _torch_generator(sequence: np.random.SeedSequence) -> torch.Generator:
    return torch.Generator().manual_seed(int(sequence.generate_state(1, np.uint64)[0]))


# The action modes each kind of network output allows; the first is the deterministic one.
ACTION_MODES = {
    "q_values": ("greedy", "sampled"),
    "logits": ("greedy", "sampled"),
    "gaussian_mean": ("mean", "sampled"),
    "bounded_action": ("mean",),  # a deterministic action already in the box (networks.BoundedMLPPolicy)
}


def deterministic_mode(output_kind: str) -> str:
    return ACTION_MODES[output_kind][0]


def network_policy(model: nn.Module, actions: str, seed: int = 0) -> PolicyFn:
    """Discrete outputs: greedy = argmax, sampled = a draw from softmax(outputs).
    Gaussian means: mean = the mean itself, sampled = mean + exp(log_std) x N(0, 1). Bounded actions: as output.
    Draws come from each episode's own generator (EpisodeGenerators, salted with `seed`); continuous actions
    are clipped to the bounds by the env (see envs)."""
    generator = episode_generators(seed)
    kind = getattr(model, "output_kind", "q_values")
    if actions not in ACTION_MODES[kind]:
        raise ValueError(f"action mode {actions!r} does not apply to {kind} outputs (allowed: {ACTION_MODES[kind]})")

    def act(obs: np.ndarray, episode_seeds: Sequence[int]) -> np.ndarray:
        with torch.inference_mode():
            out = model(torch.as_tensor(obs, dtype=torch.float32))
        if not np.isfinite(out.numpy()).all():  # numpy's check costs a tenth of torch's at these sizes
            raise VariantFailure("the policy output NaN or Inf during an episode")
        if kind == "bounded_action":
            return out.float().numpy()
        if kind == "gaussian_mean":
            if actions == "sampled":
                out = with_gaussian_noise(out, model.log_std.detach(), episode_seeds, generator)
            return out.float().numpy()
        if actions == "greedy":
            return out.argmax(dim=1).numpy()
        return drawn_actions(torch.softmax(out.float(), dim=1), episode_seeds, generator)

    return act


def with_gaussian_noise(
    mean: torch.Tensor, log_std: torch.Tensor, episode_seeds: Sequence[int], generator
) -> torch.Tensor:
    """mean + exp(log_std) x N(0, 1), each row's noise from its episode's generator (EpisodeGenerators)."""
    noise = [torch.randn(mean.shape[1:], generator=generator(s)) for s in episode_seeds]
    return mean + log_std.exp() * torch.stack(noise)


def drawn_actions(probabilities: torch.Tensor, episode_seeds: Sequence[int], generator) -> np.ndarray:
    """One action per row drawn from its probabilities, with its episode's generator (EpisodeGenerators)."""
    draws = [torch.multinomial(p, 1, generator=generator(s)) for p, s in zip(probabilities, episode_seeds)]
    return torch.cat(draws).numpy()


def episode_generators(seed: int) -> EpisodeGenerators:
    """The torch generators network_policy draws with, salted with `seed`: a policy played elsewhere (a shipped
    file, tinyrl.deploy) draws the same numbers on the same episodes."""
    return EpisodeGenerators(seed, _torch_generator)


def random_policy(action_space: gym.Space, seed: int = 0) -> PolicyFn:
    """Uniform over the discrete actions, or uniform in the box of a continuous action space; each episode
    draws from its own generator (EpisodeGenerators, salted with `seed`)."""
    generator = EpisodeGenerators(seed, np.random.default_rng)
    if isinstance(action_space, gym.spaces.Discrete):
        n = int(action_space.n)
        return lambda obs, episode_seeds: np.array([generator(s).integers(0, n) for s in episode_seeds])
    low, high = action_space.low, action_space.high
    return lambda obs, episode_seeds: np.stack(
        [generator(s).uniform(low, high).astype(action_space.dtype) for s in episode_seeds]
    )
