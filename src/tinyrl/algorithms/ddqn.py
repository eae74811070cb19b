"""Double DQN (van Hasselt et al., 2016) for discrete-action, flat-observation envs.

One file, CleanRL style: hyperparameters in `DDQNConfig`, the loop in `train`.
The greedy policy is scored every `eval_every` steps on *selection* seeds that
are disjoint from the study's evaluation seeds, and the best-scoring weights are
kept, so the shipped checkpoint is not tuned on the episodes it is reported on.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from tinyrl.algorithms.common.record import Algorithm
from tinyrl.algorithms.common.selection import selection_score
from tinyrl.episodes.envs import make_env, space_dims
from tinyrl.policies.networks import build_network


@dataclass
class DDQNConfig:
    """Double DQN hyperparameters (the LunarLander agent's, by default)."""

    env_id: str = "LunarLander-v3"
    """gymnasium environment id (discrete actions, flat observations)"""
    hidden: list[int] = field(default_factory=lambda: [256, 256])
    """widths of the Q-network's hidden layers"""
    seed: int = 1
    """seeds Python, numpy, torch and the training environment"""
    total_steps: int = 300_000
    """environment steps of training"""
    learning_rate: float = 5e-4
    """Adam learning rate"""
    buffer_size: int = 100_000
    """replay buffer capacity, in transitions"""
    batch_size: int = 128
    """transitions per gradient step"""
    gamma: float = 0.99
    """discount factor"""
    target_update_every: int = 1_000
    """gradient steps between hard target-network copies"""
    train_every: int = 1
    """environment steps per gradient step"""
    learning_starts: int = 10_000
    """environment steps of random play before learning starts"""
    eps_start: float = 1.0
    """initial epsilon of the epsilon-greedy exploration"""
    eps_end: float = 0.05
    """final epsilon (also the rate of RL fine-tuning)"""
    eps_fraction: float = 0.15
    """fraction of total_steps over which epsilon decays linearly"""
    max_grad_norm: float = 10.0
    """gradient norm clip"""
    eval_every: int = 25_000
    """environment steps between scorings of the greedy policy on the selection seeds"""
    eval_episodes: int = 10
    """selection episodes per scoring"""
    selection_seed: int = 900_000
    """selection episodes use seeds selection_seed + i, disjoint from the evaluation seeds"""
    torch_threads: int = 1
    """torch intra-op threads while training"""


def _frozen_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def run(
    q_net: torch.nn.Module,
    cfg: DDQNConfig,
    steps: int,
    epsilon: Callable[[int], float],
    learning_starts: int,
    on_step: Callable[[int, float, list[float]], None] | None = None,
) -> list[float]:
    """The Double DQN loop on `q_net` (trained in place) for `steps` env steps; returns the training
    episodes' returns. `epsilon(step)` is the exploration schedule; `on_step(step, eps, returns)` runs
    after every step (evaluation and selection live there)."""
    env = make_env(cfg.env_id)
    env.action_space.seed(cfg.seed)  # exploration draws from the action space's own generator
    obs_dim, _ = space_dims(env)
    # The target network is a frozen copy of the online net's tensors, applied with functional_call:
    # a deep copy of the module fails for pruned (re-parametrised) compressed networks.
    target_state = _frozen_state(q_net)
    optimizer = torch.optim.Adam([p for p in q_net.parameters() if p.requires_grad], lr=cfg.learning_rate)

    obs_buf = np.zeros((cfg.buffer_size, obs_dim), dtype=np.float32)
    next_obs_buf = np.zeros_like(obs_buf)
    act_buf = np.zeros(cfg.buffer_size, dtype=np.int64)
    rew_buf = np.zeros(cfg.buffer_size, dtype=np.float32)
    done_buf = np.zeros(cfg.buffer_size, dtype=np.float32)

    obs, _ = env.reset(seed=cfg.seed)
    episode_return, episode_returns = 0.0, []
    grad_steps = 0
    for step in range(1, steps + 1):
        eps = epsilon(step)
        if random.random() < eps:
            action = env.action_space.sample()
        else:
            with torch.no_grad():
                action = int(q_net(torch.as_tensor(obs)[None]).argmax(1))
        next_obs, reward, terminated, truncated, _ = env.step(action)
        slot = (step - 1) % cfg.buffer_size
        obs_buf[slot], next_obs_buf[slot], act_buf[slot] = obs, next_obs, action
        rew_buf[slot], done_buf[slot] = reward, float(terminated)  # truncation is not a terminal state
        episode_return += float(reward)
        obs = next_obs
        if terminated or truncated:
            episode_returns.append(episode_return)
            episode_return = 0.0
            obs, _ = env.reset()

        if step > learning_starts and step % cfg.train_every == 0:
            idx = np.random.randint(0, min(step, cfg.buffer_size), cfg.batch_size)
            b_obs, b_next = torch.from_numpy(obs_buf[idx]), torch.from_numpy(next_obs_buf[idx])
            b_act, b_rew, b_done = (
                torch.from_numpy(act_buf[idx]),
                torch.from_numpy(rew_buf[idx]),
                torch.from_numpy(done_buf[idx]),
            )
            with torch.no_grad():
                # Double DQN: the online net picks the action, the target net values it.
                next_action = q_net(b_next).argmax(1, keepdim=True)
                next_value = (
                    torch.func.functional_call(q_net, target_state, (b_next,)).gather(1, next_action).squeeze(1)
                )
                target = b_rew + cfg.gamma * (1.0 - b_done) * next_value
            q_value = q_net(b_obs).gather(1, b_act[:, None]).squeeze(1)
            loss = F.smooth_l1_loss(q_value, target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(q_net.parameters(), cfg.max_grad_norm)
            optimizer.step()
            grad_steps += 1
            if grad_steps % cfg.target_update_every == 0:
                target_state = _frozen_state(q_net)
        if on_step is not None:
            on_step(step, eps, episode_returns)
    env.close()
    return episode_returns


def train(cfg: DDQNConfig, log: Callable[[str], None] = print) -> tuple[dict, dict, dict]:
    """Train and return (architecture spec, best state dict, training metadata)."""
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.torch_threads)

    probe = make_env(cfg.env_id)
    obs_dim, n_actions = space_dims(probe)
    probe.close()
    arch = {"kind": "mlp_q", "obs_dim": obs_dim, "n_actions": n_actions, "hidden": list(cfg.hidden)}
    q_net = build_network(arch)

    selection_seeds = [cfg.selection_seed + i for i in range(cfg.eval_episodes)]
    best = {"score": -np.inf, "step": 0, "state_dict": copy.deepcopy(q_net.state_dict())}
    history = []
    start = time.time()

    def epsilon(step: int) -> float:
        return max(
            cfg.eps_end, cfg.eps_start - (cfg.eps_start - cfg.eps_end) * step / (cfg.eps_fraction * cfg.total_steps)
        )

    def on_step(step: int, eps: float, episode_returns: list[float]) -> None:
        nonlocal best
        if step % cfg.eval_every and step != cfg.total_steps:
            return
        score = selection_score(q_net.eval(), cfg.env_id, selection_seeds)
        q_net.train()
        recent = float(np.mean(episode_returns[-20:])) if episode_returns else float("nan")
        history.append({"step": step, "selection_score": score, "recent_train_return": recent, "eps": eps})
        log(
            f"step {step}: selection score {score:.1f}, recent training return {recent:.1f}, "
            f"eps {eps:.3f}, {time.time() - start:.0f}s"
        )
        if score > best["score"]:
            best = {"score": score, "step": step, "state_dict": copy.deepcopy(q_net.state_dict())}

    episode_returns = run(q_net, cfg, cfg.total_steps, epsilon, cfg.learning_starts, on_step)
    meta = {
        "algorithm": "ddqn",
        "hyperparameters": asdict(cfg),
        "selected_step": best["step"],
        "selection_score": best["score"],
        "selection_seeds": selection_seeds,
        "history": history,
        "train_wall_time_s": time.time() - start,
        "episodes_trained": len(episode_returns),
    }
    return arch, best["state_dict"], meta


def finetune(q_net: torch.nn.Module, cfg: DDQNConfig, steps: int, critic: dict | None = None) -> dict:
    """RL fine-tuning of a (compressed) Q-network in place: Double DQN for `steps` env steps at the
    final exploration rate, learning after a short warm-up of the compressed policy's own transitions.
    A Q-network is its own critic: `critic` is not used."""
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    q_net.train()
    warmup = min(cfg.learning_starts, max(cfg.batch_size, steps // 10))
    returns = run(q_net, cfg, steps, lambda step: cfg.eps_end, warmup)
    q_net.eval()
    return {
        "rl_algorithm": "ddqn",
        "rl_env_steps": steps,
        "rl_warmup_steps": warmup,
        "rl_training_episodes": len(returns),
        "rl_recent_training_return": float(np.mean(returns[-20:])) if returns else None,
    }


ALGORITHM = Algorithm(name="ddqn", config=DDQNConfig, train=train, finetune=finetune)
