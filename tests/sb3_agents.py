"""Real Stable-Baselines3 zips for the tests, trained by SB3 itself for a few thousand steps (seconds each)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch

# name -> (algorithm class name, env id, steps, constructor keywords). Small nets keep training quick;
# DQN keeps SB3's default net_arch and activation, A2C names its activation, PPO-Pendulum is Box + clip.
AGENTS = {
    "dqn_cartpole": ("DQN", "CartPole-v1", 2000, {"learning_starts": 500, "policy_kwargs": {}}),
    "ppo_cartpole": ("PPO", "CartPole-v1", 2048, {"n_steps": 512, "policy_kwargs": {"net_arch": [32, 32]}}),
    "a2c_acrobot": ("A2C", "Acrobot-v1", 2000, {"policy_kwargs": {"net_arch": [32], "activation_fn": "ReLU"}}),
    "sac_pendulum": ("SAC", "Pendulum-v1", 1000, {"learning_starts": 200, "policy_kwargs": {"net_arch": [32, 32]}}),
    "td3_pendulum": ("TD3", "Pendulum-v1", 1000, {"learning_starts": 200, "policy_kwargs": {"net_arch": [32, 32]}}),
    "ppo_pendulum": ("PPO", "Pendulum-v1", 1024, {"n_steps": 256, "policy_kwargs": {"net_arch": [32, 32]}}),
}


def train(name: str, folder: Path) -> Path:
    """Train the named agent with SB3 and save its zip (as `model.save` writes it)."""
    algorithm, env_id, steps, kwargs = AGENTS[name]
    kwargs = {**kwargs, "policy_kwargs": dict(kwargs["policy_kwargs"])}
    if "activation_fn" in kwargs["policy_kwargs"]:
        kwargs["policy_kwargs"]["activation_fn"] = getattr(torch.nn, kwargs["policy_kwargs"]["activation_fn"])
    model = getattr(stable_baselines3, algorithm)("MlpPolicy", env_id, seed=0, device="cpu", **kwargs)
    model.learn(steps)
    path = folder / f"{name}.zip"
    model.save(path)
    return path


def load_sb3(path: Path):
    name = path.stem
    return getattr(stable_baselines3, AGENTS[name][0]).load(path, device="cpu")


def sb3_episodes(model, env_id: str, seeds: list[int]) -> tuple[list[float], np.ndarray]:
    """Returns of episodes driven by `model.predict(obs, deterministic=True)`, each from reset(seed), and
    every observation seen."""
    returns, seen = [], []
    for seed in seeds:
        env = gym.make(env_id)
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            seen.append(obs)
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        env.close()
        returns.append(total)
    return returns, np.asarray(seen, dtype=np.float32)
