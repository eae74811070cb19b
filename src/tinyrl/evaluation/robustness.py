"""The float32 policy off the seed's protocol: how much of its score is a memorised route.

The seed's protocol (tinyrl.episodes.atari.ale) has no sticky actions and no no-op starts, so a deterministic emulator
replays the same game from every reset. Machado et al. (2018) recommend both perturbations for Atari
evaluation: sticky actions (each step the emulator repeats the previous action with probability 0.25)
and no-op starts (up to 30 no-ops after reset) make the start, and every step, differ between episodes.
A policy that scores the same under both has learned to play; one that loses its score has learned a
route. Not a target: the report shows it beside the seed-protocol score.
"""

from __future__ import annotations

from tinyrl.episodes.envs import episode_observers, observer_records
from tinyrl.episodes.rollout import play_episodes
from tinyrl.evaluation.play import episode_seeds
from tinyrl.policies.actions import PolicyFn

# name -> (what the report calls it, the env arguments it plays under, from the agent's robustness settings)
CONDITIONS = {
    "sticky_actions": (
        "sticky actions (repeat probability {sticky_actions})",
        lambda settings: {"repeat_action_probability": settings["sticky_actions"]},
    ),
    "noop_starts": ("up to {noop_max} no-op starts", lambda settings: {"noop_max": settings["noop_max"]}),
}


def play_conditions(make_policy, env_id: str, settings: dict) -> list[dict]:
    """Each condition's episodes, on the evaluation's seeds (settings: episodes, seed, num_envs,
    max_episode_steps, sticky_actions, noop_max). `make_policy()` gives a fresh policy per condition, so
    each plays with the draws the seed-protocol evaluation would make."""
    seeds = episode_seeds(settings)
    played = []
    for name, (label, perturbation) in CONDITIONS.items():
        policy: PolicyFn = make_policy()
        observers = episode_observers(env_id, len(seeds))
        env_kwargs = perturbation(settings)
        rollouts = play_episodes(
            policy, env_id, seeds, settings["num_envs"], settings.get("max_episode_steps"), observers, env_kwargs
        )
        played.append(
            observer_records(observers)
            | {
                "condition": name,
                "label": label.format(**settings),
                "env_kwargs": env_kwargs,
                "seeds": seeds,
                "returns": rollouts.returns,
                "lengths": rollouts.lengths,
            }
        )
    return played
