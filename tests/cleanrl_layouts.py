"""The networks of CleanRL's single-file scripts, with their module names and forward passes as the scripts
define them (vwxyzjn/cleanrl: dqn.py, ppo.py, ppo_continuous_action.py, sac_continuous_action.py,
td3_continuous_action.py), for building `.cleanrl_model` files in tests. Weights are random: the tests
compare the imported network's outputs with these modules' on the same observations."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class DQNQNetwork(nn.Module):  # dqn.py
    def __init__(self, obs_dim: int, n_actions: int):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(obs_dim, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, n_actions)
        )

    def forward(self, x):
        return self.network(x)


class PPOAgent(nn.Module):  # ppo.py
    def __init__(self, obs_dim: int, n_actions: int):
        super().__init__()
        self.critic = nn.Sequential(nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
        self.actor = nn.Sequential(
            nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, n_actions)
        )

    def greedy(self, x):
        return self.actor(x).argmax(dim=1)


class PPOContinuousAgent(nn.Module):  # ppo_continuous_action.py
    def __init__(self, obs_dim: int, act_dim: int):
        super().__init__()
        self.critic = nn.Sequential(nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
        self.actor_mean = nn.Sequential(
            nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, act_dim)
        )
        self.actor_logstd = nn.Parameter(torch.full((1, act_dim), -0.5))


class _BoxActor(nn.Module):
    def __init__(self, obs_dim: int, low: np.ndarray, high: np.ndarray):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.register_buffer("action_scale", torch.tensor((high - low) / 2.0, dtype=torch.float32))
        self.register_buffer("action_bias", torch.tensor((high + low) / 2.0, dtype=torch.float32))


class SACActor(_BoxActor):  # sac_continuous_action.py
    def __init__(self, obs_dim: int, low: np.ndarray, high: np.ndarray):
        super().__init__(obs_dim, low, high)
        self.fc_mean = nn.Linear(256, len(low))
        self.fc_logstd = nn.Linear(256, len(low))

    def deterministic(self, x):  # get_action's third output: the squashed, rescaled mean
        x = torch.relu(self.fc2(torch.relu(self.fc1(x))))
        return torch.tanh(self.fc_mean(x)) * self.action_scale + self.action_bias


class TD3Actor(_BoxActor):  # td3_continuous_action.py
    def __init__(self, obs_dim: int, low: np.ndarray, high: np.ndarray):
        super().__init__(obs_dim, low, high)
        self.fc_mu = nn.Linear(256, len(low))

    def deterministic(self, x):
        x = torch.relu(self.fc2(torch.relu(self.fc1(x))))
        return torch.tanh(self.fc_mu(x)) * self.action_scale + self.action_bias


class QNetwork(nn.Module):  # sac/td3's critic, saved beside the actor
    def __init__(self, obs_dim: int, act_dim: int):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim + act_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)


def _nature_body(channels: int = 4) -> list[nn.Module]:
    return [
        nn.Conv2d(channels, 32, 8, stride=4),
        nn.ReLU(),
        nn.Conv2d(32, 64, 4, stride=2),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(3136, 512),
        nn.ReLU(),
    ]


class DQNAtariQNetwork(nn.Module):  # dqn_atari.py
    def __init__(self, n_actions: int):
        super().__init__()
        self.network = nn.Sequential(*_nature_body(), nn.Linear(512, n_actions))

    def forward(self, x):
        return self.network(x / 255.0)


class PPOAtariAgent(nn.Module):  # ppo_atari.py
    def __init__(self, n_actions: int):
        super().__init__()
        self.network = nn.Sequential(*_nature_body())
        self.actor = nn.Linear(512, n_actions)
        self.critic = nn.Linear(512, 1)

    def logits(self, x):
        return self.actor(self.network(x / 255.0))
