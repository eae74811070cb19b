"""A Montezuma's Revenge policy from a demonstration: Go-Explore finds a high-scoring action
sequence in the emulator (go_explore.py), and the exact PPO-RND policy network learns it by
behaviour cloning, with corrective data from off-trajectory states. Every labelled trajectory
is first made canonical (go_explore.canonical_actions): among actions that lead to the same
game state, one fixed choice, so that the labels are consistent.

One file, CleanRL style: settings in `DemoCloneConfig`, the steps in `train`.

The labels are sets: at each step of the demonstration, every action that leads to exactly the
same RAM as the demonstration's own (go_explore.equivalent_actions), and the loss is -log of
the probability the policy gives that set. Go-Explore's actions are random, and many are
interchangeable (mid-jump, every action is); single-action labels then contradict each other
in near-identical frames (measured: the clone of a 694-step demonstration gave the
demonstration's action probability 0.01 at some steps, and its sampled episodes died), while
any action of the set keeps a rollout exactly on the demonstration, the game being
deterministic.

A policy of the 4-frame observation cannot follow a demonstration that waits on a static screen
and then moves on the same observation; such waits are first shortened or filled with visible
moves (demo_repair.make_followable), keeping the demonstration's score.

Behaviour cloning alone teaches the policy only the states of the demonstration; a policy
that samples its actions sometimes leaves them. Corrective rounds (DAgger-style, Ross et al.
2011, with a search as the expert) let the cloned policy play with sampled actions; where
it leaves the demonstration's cells, a Go-Explore-style search from that exact emulator
state finds actions that lead back to a later cell of the demonstration without dying, and
the states along that way, labelled with those actions, join the training set. These rounds are
off by default (see DemoCloneConfig).

This is how the shipped Montezuma checkpoint is made when no PPO-RND training run is at
hand (issue 8, route 2); its metadata says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from tinyrl.algorithms.common.demo_repair import ambiguous_steps, make_followable, repair_story
from tinyrl.algorithms.common.go_explore import (
    GoExploreConfig,
    act_frames,
    canonical_actions,
    canonical_demonstration,
    cell_key,
    equivalent_actions,
    explore,
    replay,
)
from tinyrl.algorithms.common.record import Algorithm
from tinyrl.episodes.atari import make_atari_env
from tinyrl.policies.networks import build_network


@dataclass
class DemoCloneConfig:
    """A Go-Explore demonstration cloned into the policy network (Montezuma's Revenge)."""

    env_id: str = "ALE/MontezumaRevenge-v5"
    """Atari game (the seed's protocol: NoFrameskip, no sticky actions)"""
    seed: int = 0
    """seeds the search, the cloning and the corrective episodes"""
    total_steps: int = 100_000
    """agent steps Go-Explore searches (seed 0: a 694-step demonstration scoring 1400: key, two doors, sword;
    3,600,000: 1042 steps scoring 6600, 8 rooms)"""
    explore_steps: int = 100
    """random steps from a restored cell per iteration (GoExploreConfig)"""
    repeat_action_prob: float = 0.95
    """chance the exploration repeats its previous action (GoExploreConfig)"""
    cell_size: int = 8
    """position grid of the search's cells, in RAM units (GoExploreConfig)"""
    learning_rate: float = 2.5e-4
    """Adam learning rate of behaviour cloning"""
    batch_size: int = 64
    """frames per cloning step"""
    make_followable: bool = True
    """first remove the demonstration's waits on static screens that end on the same observation
    (demo_repair.make_followable): a policy of the observation cannot follow them"""
    clone_steps: int = 8000
    """gradient steps on the demonstration (the 694-step one: loss 0.003 after 8000; the shipped checkpoint's
    1004 steps, made followable: 5e-8 after 24,000)"""
    corrective_rounds: int = 0
    """DAgger-style rounds; off by default: on the demonstration above their labels (the search's ways back)
    contradicted the demonstration's own in near-identical frames and raised the cloning loss from 0.003 to
    0.24, and the clone then took the demonstration's action with p ~ 0.1 at steps 121-125"""
    corrective_episodes: int = 8
    """sampled-action episodes per corrective round"""
    corrective_steps: int = 1500
    """gradient steps after each corrective round"""
    search_tries: int = 300
    """random explorations from an off-trajectory state"""
    search_horizon: int = 60
    """steps per try"""
    lookahead: int = 40
    """a try succeeds on reaching a demonstration cell up to this many steps ahead"""
    torch_threads: int = 1
    """torch intra-op threads while cloning"""


def set_loss(logits: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """-log of the probability the policy gives to the set of allowed actions (cross-entropy when the
    set is one action)."""
    log_probs = torch.log_softmax(logits, dim=1)
    return -torch.logsumexp(log_probs.masked_fill(~allowed, float("-inf")), dim=1).mean()


def _clone(
    model,
    observations: np.ndarray,
    allowed: np.ndarray,
    steps: int,
    cfg: DemoCloneConfig,
    generator: torch.Generator,
    log,
) -> float:
    """Behaviour cloning on (observation, allowed-action mask) pairs."""
    obs = torch.as_tensor(observations)
    act = torch.as_tensor(allowed, dtype=torch.bool)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    model.train()
    losses = []
    for step in range(steps):
        idx = torch.randint(0, len(obs), (min(cfg.batch_size, len(obs)),), generator=generator)
        loss = set_loss(model(obs[idx]), act[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if (step + 1) % 500 == 0:
            log(f"behaviour cloning: step {step + 1}/{steps}, loss {np.mean(losses[-100:]):.4f}")
    model.eval()
    return float(np.mean(losses[-100:]))


def _search(
    ale, action_set, demo_keys: list[tuple], start: int, score: float, cfg: DemoCloneConfig, rng: np.random.Generator
) -> tuple[list[int], int] | None:
    """From the emulator's current state, random explorations (repeating the previous action with
    probability 0.95) that reach a demonstration cell in (start, start + lookahead] without losing a
    life; the shortest found, as (actions, index of the cell reached)."""
    origin = ale.cloneState()
    targets = {key: i for i, key in enumerate(demo_keys[start + 1 : start + 1 + cfg.lookahead], start + 1)}
    best = None
    for _ in range(cfg.search_tries):
        ale.restoreState(origin)
        lives, total, actions = ale.lives(), score, []
        action = int(rng.integers(len(action_set)))
        for _ in range(cfg.search_horizon if best is None else len(best[0]) - 1):
            if rng.random() > cfg.repeat_action_prob:
                action = int(rng.integers(len(action_set)))
            total += act_frames(ale, action_set[action])
            actions.append(action)
            if ale.game_over() or ale.lives() < lives:
                break
            reached = targets.get(cell_key(ale.getRAM(), total, cfg.cell_size))
            if reached is not None:
                best = (actions, reached)
                break
    ale.restoreState(origin)
    return best


def _corrective_data(
    model, demo_actions: list[int], demo_keys: list[tuple], cfg: DemoCloneConfig, round_index: int, log
) -> tuple[list[np.ndarray], list[int]]:
    """Play sampled-action episodes; label the states where the policy has left the demonstration."""
    rng = np.random.default_rng(cfg.seed + 1000 * (round_index + 1))
    generator = torch.Generator().manual_seed(cfg.seed + round_index)
    env = make_atari_env(cfg.env_id, max_episode_steps=None)
    ale, action_set = env.unwrapped.ale, env.unwrapped._action_set
    new_obs, new_actions, recovered, lost = [], [], 0, 0
    for _ in range(cfg.corrective_episodes):
        obs, _ = env.reset(seed=0)
        progress, score, steps = 0, 0.0, 0
        while progress < len(demo_keys) - 1 and steps < 2 * len(demo_actions):
            key = cell_key(ale.getRAM(), score, cfg.cell_size)
            window = demo_keys[progress : progress + cfg.lookahead]
            if key in window:  # on the demonstration: the policy acts
                progress += window.index(key)
                with torch.inference_mode():
                    probs = torch.softmax(model(torch.as_tensor(np.asarray(obs))[None]), dim=1)
                action = int(torch.multinomial(probs, 1, generator=generator))
                obs, reward, terminated, _, _ = env.step(action)
                score, steps = score + float(reward), steps + 1
                if terminated:
                    break
                continue
            found = _search(ale, action_set, demo_keys, progress, score, cfg, rng)
            if found is None:
                lost += 1
                break
            path, progress = found
            origin = ale.cloneState()
            path = canonical_actions(ale, action_set, path)
            ale.restoreState(origin)
            recovered += 1
            for action in path:  # the expert's way back, through the protocol's env
                new_obs.append(np.asarray(obs, dtype=np.uint8))
                new_actions.append(action)
                obs, reward, _, _, _ = env.step(action)
                score, steps = score + float(reward), steps + 1
    env.close()
    log(
        f"corrective round {round_index + 1}: {recovered} recoveries ({len(new_obs)} labelled states), "
        f"{lost} episodes left the demonstration beyond recovery"
    )
    return new_obs, new_actions


def _demo_keys(env_id: str, actions: list[int], cell_size: int) -> list[tuple]:
    """The demonstration's cell after reset and after each of its steps."""
    env = make_atari_env(env_id, max_episode_steps=None)
    env.reset(seed=0)
    ale, score = env.unwrapped.ale, 0.0
    keys = [cell_key(ale.getRAM(), score, cell_size)]
    for action in actions:
        _, reward, _, _, _ = env.step(action)
        score += float(reward)
        keys.append(cell_key(ale.getRAM(), score, cell_size))
    env.close()
    return keys


def train(cfg: DemoCloneConfig, log: Callable[[str], None] = print) -> tuple[dict, dict, dict]:
    """Returns (architecture, policy state dict, metadata), like every trainer here."""
    torch.set_num_threads(cfg.torch_threads)
    torch.manual_seed(cfg.seed)
    start = time.perf_counter()
    explore_cfg = GoExploreConfig(
        env_id=cfg.env_id,
        seed=cfg.seed,
        total_steps=cfg.total_steps,
        explore_steps=cfg.explore_steps,
        repeat_action_prob=cfg.repeat_action_prob,
        cell_size=cfg.cell_size,
    )
    demo = explore(explore_cfg, log=log)
    if demo.score <= 0:
        raise RuntimeError(
            f"Go-Explore found no reward in {demo.steps_explored} steps ({demo.cells} cells): "
            f"raise pretrain.total_steps"
        )
    demo.actions = canonical_demonstration(cfg.env_id, demo.actions)
    found_steps, repair = len(demo.actions), None
    if cfg.make_followable:
        demo.actions, repair = make_followable(cfg.env_id, demo.actions, log=log)
    allowed = equivalent_actions(cfg.env_id, demo.actions)
    observations, demo_score, rooms = replay(cfg.env_id, demo.actions)
    if demo_score != demo.score:
        raise RuntimeError(
            f"the demonstration scored {demo.score} in the search but {demo_score} on replay: "
            f"the emulator is not deterministic under this protocol"
        )
    log(f"demonstration: score {demo_score:.0f} in {len(demo.actions)} steps ({found_steps} as found), rooms {rooms}")
    ambiguous = ambiguous_steps(observations, allowed)
    if ambiguous:
        log(
            f"demonstration: {len(ambiguous)} groups of steps see identical observations but need different "
            f"actions (first at steps {ambiguous[0][0]}-{ambiguous[0][-1]}): the clone cannot follow it there"
        )
    arch = {"kind": "ppo_rnd_cnn", "input_shape": list(observations.shape[1:]), "n_actions": 18}
    model = build_network(arch)
    generator = torch.Generator().manual_seed(cfg.seed)
    obs_all, act_all = observations, allowed
    loss = _clone(model, obs_all, act_all, cfg.clone_steps, cfg, generator, log)
    demo_keys = _demo_keys(cfg.env_id, demo.actions, cfg.cell_size)
    corrections = []
    for r in range(cfg.corrective_rounds):
        new_obs, new_actions = _corrective_data(model, demo.actions, demo_keys, cfg, r, log)
        corrections.append(len(new_obs))
        if new_obs:
            obs_all = np.concatenate([obs_all, np.stack(new_obs)])
            act_all = np.concatenate([act_all, np.eye(act_all.shape[1], dtype=bool)[new_actions]])
        loss = _clone(model, obs_all, act_all, cfg.corrective_steps, cfg, generator, log)
    meta = {
        "algorithm": "demo_clone",
        "produced_by": "Go-Explore demonstration + behaviour cloning with corrective data (tinyrl pretrain rule)",
        "hyperparameters": asdict(cfg),
        "demonstration": {
            "score": demo.score,
            "steps": len(demo.actions),
            "steps_as_found": found_steps,
            "repair": repair,  # demo_repair.make_followable's record (None: not asked for)
            "rooms": rooms,
            "cells": demo.cells,
            "steps_explored": demo.steps_explored,
            # steps where identical observations need disjoint actions (ambiguous_steps)
            "ambiguous_step_groups": ambiguous,
            "search_wall_time_s": demo.wall_time_s,
            "history": demo.history,
        },
        "corrective_labels_per_round": corrections,
        "training_set_size": int(len(obs_all)),
        "final_clone_loss": loss,
        "train_wall_time_s": time.perf_counter() - start,
    }
    return arch, {k: v.detach().clone() for k, v in model.state_dict().items()}, meta


def describe(meta: dict) -> str:
    """The Agents section's account of a demo_clone checkpoint: the search, the repair, the cloning."""
    hp = meta.get("hyperparameters", {})
    demo = meta["demonstration"]
    return (
        f"not trained by RL: Go-Explore (deterministic exploration of the emulator, cells from RAM) "
        f"searched {demo['steps_explored']} agent steps (seed {hp.get('seed')}) and found a "
        f"{demo.get('steps_as_found', demo['steps'])}-step demonstration scoring {demo['score']:.0f} "
        f"(rooms {demo['rooms']}){repair_story(demo.get('repair'))}; the policy network learnt it by "
        f"behaviour cloning, each step labelled with every action that leads "
        f"to the same game state ({hp.get('clone_steps')} steps, final loss "
        f"{meta.get('final_clone_loss', float('nan')):.4f}"
        + (
            f"; {sum(meta['corrective_labels_per_round'])} corrective labels from off-trajectory states"
            if meta.get("corrective_labels_per_round")
            else ""
        )
        + f"; {meta.get('train_wall_time_s', float('nan')) / 60:.1f} min in all on its machine). "
        f"It memorises one route through a deterministic game; it is not a general Montezuma agent"
    )


ALGORITHM = Algorithm(name="demo_clone", config=DemoCloneConfig, train=train, describe=describe)
