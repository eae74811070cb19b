"""Real Stable-Baselines3 zips for the tests, trained by SB3 itself for a few thousand steps (seconds each)."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import sb3_contrib
import stable_baselines3
import torch
import yaml
from stable_baselines3.common.atari_wrappers import AtariWrapper
from stable_baselines3.common.env_util import make_atari_env, make_vec_env
from stable_baselines3.common.vec_env import VecFrameStack, VecNormalize

from tinyrl.episodes import atari  # noqa: F401  (registers the ALE games, NoFrameskip-v4 ids included)

# name -> (algorithm class name, env id, steps, constructor keywords). Small nets keep training quick;
# DQN keeps SB3's default net_arch and activation, A2C names its activation, PPO-Pendulum is Box + clip.
AGENTS = {
    "dqn_cartpole": ("DQN", "CartPole-v1", 2000, {"learning_starts": 500, "policy_kwargs": {}}),
    "ppo_cartpole": ("PPO", "CartPole-v1", 2048, {"n_steps": 512, "policy_kwargs": {"net_arch": [32, 32]}}),
    "a2c_acrobot": ("A2C", "Acrobot-v1", 2000, {"policy_kwargs": {"net_arch": [32], "activation_fn": "ReLU"}}),
    "sac_pendulum": ("SAC", "Pendulum-v1", 1000, {"learning_starts": 200, "policy_kwargs": {"net_arch": [32, 32]}}),
    "td3_pendulum": ("TD3", "Pendulum-v1", 1000, {"learning_starts": 200, "policy_kwargs": {"net_arch": [32, 32]}}),
    "ppo_pendulum": ("PPO", "Pendulum-v1", 1024, {"n_steps": 256, "policy_kwargs": {"net_arch": [32, 32]}}),
    "qrdqn_cartpole": (
        "QRDQN",  # sb3-contrib
        "CartPole-v1",
        1000,
        {"learning_starts": 200, "policy_kwargs": {"net_arch": [32, 32], "n_quantiles": 25}},
    ),
}


def algorithm_class(name: str) -> type:
    """The SB3 (or sb3-contrib) class of an algorithm name."""
    return getattr(sb3_contrib if name == "QRDQN" else stable_baselines3, name)


def train(name: str, folder: Path) -> Path:
    """Train the named agent with SB3 and save its zip (as `model.save` writes it)."""
    algorithm, env_id, steps, kwargs = AGENTS[name]
    kwargs = {**kwargs, "policy_kwargs": dict(kwargs["policy_kwargs"])}
    if "activation_fn" in kwargs["policy_kwargs"]:
        kwargs["policy_kwargs"]["activation_fn"] = getattr(torch.nn, kwargs["policy_kwargs"]["activation_fn"])
    model = algorithm_class(algorithm)("MlpPolicy", env_id, seed=0, device="cpu", **kwargs)
    model.learn(steps)
    path = folder / f"{name}.zip"
    model.save(path)
    return path


def load_sb3(path: Path):
    name = path.stem
    return algorithm_class(AGENTS[name][0]).load(path, device="cpu")


def sb3_episodes(model, env_id: str, seeds: list[int], max_steps: int | None = None) -> tuple[list[float], np.ndarray]:
    """Returns of episodes driven by `model.predict(obs, deterministic=True)`, each from reset(seed) and at
    most `max_steps` long (else the env's own limit), and every observation seen."""
    returns, seen = [], []
    for seed in seeds:
        env = gym.make(env_id, **({"max_episode_steps": max_steps} if max_steps else {}))
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


def train_zoo_run(folder: Path) -> Path:
    """PPO on Pendulum in a VecNormalize, saved as the RL Baselines3 Zoo lays a run out:
    `Pendulum-v1.zip` beside the stats folder `Pendulum-v1/` holding `vecnormalize.pkl` and `config.yml`
    (the run's hyperparameters, an OrderedDict dumped by PyYAML, as the Zoo writes it)."""
    env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=1, seed=0), norm_obs=True, norm_reward=True)
    hyperparameters = OrderedDict([("n_steps", 256), ("normalize", True), ("policy", "MlpPolicy")])
    model = stable_baselines3.PPO("MlpPolicy", env, n_steps=256, seed=0, device="cpu", policy_kwargs={"net_arch": [32]})
    model.learn(1024)
    run = folder / "zoo_run"
    (run / "Pendulum-v1").mkdir(parents=True)
    model.save(run / "Pendulum-v1.zip")
    env.save(str(run / "Pendulum-v1" / "vecnormalize.pkl"))
    (run / "Pendulum-v1" / "config.yml").write_text(yaml.dump(OrderedDict(hyperparameters)))
    return run / "Pendulum-v1.zip"


def zoo_predictor(zip_path: Path):
    """SB3's own deterministic actions for the Zoo run: the saved VecNormalize's normalisation, then predict."""
    model = stable_baselines3.PPO.load(zip_path, device="cpu")
    stats = VecNormalize.load(str(zip_path.parent / zip_path.stem / "vecnormalize.pkl"), make_vec_env("Pendulum-v1"))

    def predict(obs, deterministic=True):
        return model.predict(stats.normalize_obs(obs), deterministic=deterministic)

    return SimpleNamespace(predict=predict)


def train_atari(algorithm: str, folder: Path) -> Path:
    """A CnnPolicy (PPO, DQN or sb3-contrib's QR-DQN) on Pong, as the RL Zoo trains Atari agents (SB3's
    make_atari_env on the NoFrameskip-v4 game, a 4-frame VecFrameStack), for a few dozen steps: untrained
    weights suffice to check that the import acts as SB3 does."""
    env = VecFrameStack(make_atari_env("PongNoFrameskip-v4", n_envs=1, seed=0), 4)
    if algorithm == "ppo":
        model = stable_baselines3.PPO("CnnPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu")
    else:
        model = algorithm_class(algorithm.upper())(
            "CnnPolicy", env, buffer_size=500, learning_starts=16, seed=0, device="cpu"
        )
    model.learn(64)
    path = folder / f"{algorithm}_pong.zip"
    model.save(path)
    return path


def load_atari(path: Path, algorithm: str):
    return algorithm_class(algorithm.upper()).load(path, device="cpu")


def sb3_atari_episodes(model, game: str, seeds: list[int], max_steps: int) -> tuple[list[float], np.ndarray]:
    """Episodes over SB3's own Atari wrappers (AtariWrapper without life-loss terminals or reward clipping,
    frames stacked four deep from zeros, channels first, as VecFrameStack and VecTransposeImage give them),
    driven by model.predict(deterministic=True); their returns and every stacked observation seen."""
    returns, seen = [], []
    for seed in seeds:
        env = AtariWrapper(gym.make(f"{game}NoFrameskip-v4"), terminal_on_life_loss=False, clip_reward=False)
        frame, _ = env.reset(seed=seed)
        stack = np.zeros((4, 84, 84), dtype=np.uint8)
        stack[-1] = frame[..., 0]
        total = 0.0
        for _ in range(max_steps):
            seen.append(stack.copy())
            action, _ = model.predict(stack, deterministic=True)
            frame, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            stack = np.concatenate([stack[1:], frame[None, ..., 0]])
            if terminated or truncated:
                break
        env.close()
        returns.append(total)
    return returns, np.asarray(seen)
