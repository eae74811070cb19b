"""PPO (Schulman et al., 2017) with a Gaussian MLP policy, for continuous-action MuJoCo envs.

One file, CleanRL style: hyperparameters in `PPOConfig`, the loop in `train`.
Defaults are the RL Baselines3 Zoo's tuned HalfCheetah settings (ReLU 256x256
actor and critic, log-std initialised at -2, observation and reward
normalisation). Two choices differ from CleanRL's file and are deliberate:

- The observation normaliser lives inside the networks as buffers and is
  updated only between PPO iterations, so the policy that collected a batch is
  exactly the one whose log-probabilities the update uses, and the shipped
  network needs no wrapper to be deployed.
- A time-limit truncation is not a terminal state: its reward is bootstrapped
  with the value of the final observation (as Stable-Baselines3 does).

The deterministic (mean) policy is scored every `eval_every` steps on selection
seeds disjoint from the study's evaluation seeds; the best weights are kept.
`finetune` runs the same updates on a compressed policy, for RL fine-tuning.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import gymnasium as gym
import numpy as np
import torch
from gymnasium.wrappers.utils import RunningMeanStd
from torch import nn

from tinyrl.algorithms.common.record import Algorithm
from tinyrl.algorithms.common.selection import selection_score
from tinyrl.episodes.envs import make_env
from tinyrl.policies.networks import ValueMLP, build_network


@dataclass
class PPOConfig:
    """PPO hyperparameters (the RL Baselines3 Zoo's tuned HalfCheetah ones, by default)."""

    env_id: str = "HalfCheetah-v5"
    """gymnasium environment id (continuous actions, flat observations)"""
    hidden: list[int] = field(default_factory=lambda: [256, 256])
    """widths of the actor's and critic's hidden layers"""
    seed: int = 1
    """seeds numpy, torch and the training environments"""
    total_steps: int = 1_000_000
    """environment steps of training, over all environments"""
    num_envs: int = 1
    """training environments stepped together"""
    rollout_steps: int = 512
    """steps per environment per iteration"""
    minibatch_size: int = 64
    """transitions per gradient step"""
    update_epochs: int = 20
    """passes over each iteration's rollout"""
    learning_rate: float = 2.0633e-5
    """Adam learning rate"""
    gamma: float = 0.98
    """discount factor"""
    gae_lambda: float = 0.92
    """GAE lambda"""
    clip_coef: float = 0.1
    """PPO's probability-ratio clip"""
    ent_coef: float = 0.000401762
    """entropy bonus weight"""
    vf_coef: float = 0.58096
    """value loss weight"""
    max_grad_norm: float = 0.8
    """gradient norm clip"""
    log_std_init: float = -2.0
    """initial log standard deviation of the Gaussian policy"""
    reward_clip: float = 10.0
    """clip of the normalised rewards"""
    eval_every: int = 50_000
    """environment steps between scorings of the mean action on the selection seeds"""
    eval_episodes: int = 5
    """selection episodes per scoring"""
    selection_seed: int = 900_000
    """selection episodes use seeds selection_seed + i, disjoint from the evaluation seeds"""
    torch_threads: int = 1
    """torch intra-op threads while training"""


def _make_training_envs(cfg: PPOConfig) -> gym.vector.VectorEnv:
    def one_env():
        env = gym.wrappers.NormalizeReward(make_env(cfg.env_id), gamma=cfg.gamma)
        return gym.wrappers.TransformReward(env, lambda r: float(np.clip(r, -cfg.reward_clip, cfg.reward_clip)))

    # SAME_STEP: a finished episode's last observation arrives in info["final_obs"], for bootstrapping.
    return gym.vector.SyncVectorEnv(
        [one_env for _ in range(cfg.num_envs)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
    )


def _action_distribution(actor: nn.Module, obs: torch.Tensor) -> torch.distributions.Normal:
    mean = actor(obs)
    return torch.distributions.Normal(mean, actor.log_std.exp().expand_as(mean))


def _log_prob(actor: nn.Module, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    dist = _action_distribution(actor, obs)
    return dist.log_prob(actions).sum(-1), dist.entropy().sum(-1)


def _set_obs_stats(modules: list[nn.Module], rms: RunningMeanStd) -> None:
    for module in modules:
        module.obs_mean.copy_(torch.as_tensor(rms.mean, dtype=torch.float32))
        module.obs_var.copy_(torch.as_tensor(rms.var, dtype=torch.float32))


class PPOLearner:
    """Collects rollouts with an actor and updates actor and critic; shared by training and fine-tuning."""

    def __init__(self, actor: nn.Module, critic: nn.Module, cfg: PPOConfig, update_obs_stats: bool):
        self.actor, self.critic, self.cfg = actor, critic, cfg
        self.params = [p for p in [*actor.parameters(), *critic.parameters()] if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=cfg.learning_rate, eps=1e-5, foreach=True)
        self.envs = _make_training_envs(cfg)
        self.act_dim = int(np.prod(self.envs.single_action_space.shape))
        self.obs, _ = self.envs.reset(seed=cfg.seed)
        self.rms = RunningMeanStd(shape=self.envs.single_observation_space.shape) if update_obs_stats else None

    def collect(self) -> dict[str, torch.Tensor]:
        cfg, n, t_max = self.cfg, self.cfg.num_envs, self.cfg.rollout_steps
        obs_dim = self.obs.shape[1]
        obs_buf = torch.zeros(t_max, n, obs_dim)
        act_buf = torch.zeros(t_max, n, self.act_dim)
        logp_buf, rew_buf, done_buf, val_buf = (torch.zeros(t_max, n) for _ in range(4))
        self.actor.eval()
        for t in range(t_max):
            obs_t = torch.as_tensor(self.obs, dtype=torch.float32)
            with torch.no_grad():
                dist = _action_distribution(self.actor, obs_t)
                action = dist.sample()
                logp = dist.log_prob(action).sum(-1)
                value = self.critic(obs_t)
            next_obs, reward, terminated, truncated, info = self.envs.step(
                action.numpy()
            )  # unclipped sample kept for log-probs
            reward = np.asarray(reward, dtype=np.float64)
            for i in np.flatnonzero(truncated & ~terminated):  # bootstrap through the time limit
                final = torch.as_tensor(info["final_obs"][i], dtype=torch.float32)[None]
                with torch.no_grad():
                    reward[i] += cfg.gamma * float(self.critic(final)[0])
            obs_buf[t], act_buf[t], logp_buf[t], val_buf[t] = obs_t, action, logp, value
            rew_buf[t] = torch.as_tensor(reward, dtype=torch.float32)
            done_buf[t] = torch.as_tensor(terminated | truncated, dtype=torch.float32)
            self.obs = next_obs
        with torch.no_grad():
            next_value = self.critic(torch.as_tensor(self.obs, dtype=torch.float32))
        advantages = torch.zeros(t_max, n)
        last = torch.zeros(n)
        for t in reversed(range(t_max)):
            following = next_value if t == t_max - 1 else val_buf[t + 1]
            not_done = 1.0 - done_buf[t]
            delta = rew_buf[t] + cfg.gamma * following * not_done - val_buf[t]
            last = delta + cfg.gamma * cfg.gae_lambda * not_done * last
            advantages[t] = last
        returns = advantages + val_buf
        flat = lambda x: x.reshape(t_max * n, *x.shape[2:])  # noqa: E731
        return {
            "obs": flat(obs_buf),
            "actions": flat(act_buf),
            "logp": flat(logp_buf),
            "advantages": flat(advantages),
            "returns": flat(returns),
        }

    def update(self, batch: dict[str, torch.Tensor], generator: torch.Generator) -> dict:
        cfg = self.cfg
        self.actor.train()
        size = len(batch["obs"])
        stats = []
        for _ in range(cfg.update_epochs):
            order = torch.randperm(size, generator=generator)
            for start in range(0, size, cfg.minibatch_size):
                idx = order[start : start + cfg.minibatch_size]
                logp, entropy = _log_prob(self.actor, batch["obs"][idx], batch["actions"][idx])
                ratio = (logp - batch["logp"][idx]).exp()
                adv = batch["advantages"][idx]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)).mean()
                value_loss = 0.5 * (self.critic(batch["obs"][idx]) - batch["returns"][idx]).pow(2).mean()
                loss = policy_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy.mean()
                self.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.params, cfg.max_grad_norm)
                self.optimizer.step()
                stats.append(
                    (policy_loss.item(), value_loss.item(), ((ratio - 1).abs() > cfg.clip_coef).float().mean().item())
                )
        self.actor.eval()
        if self.rms is not None:  # the next batch is collected (and learnt from) with the updated normaliser
            self.rms.update(batch["obs"].numpy())
            _set_obs_stats([self.actor, self.critic], self.rms)
        policy_loss, value_loss, clip_fraction = np.mean(stats, axis=0)
        return {
            "policy_loss": float(policy_loss),
            "value_loss": float(value_loss),
            "clip_fraction": float(clip_fraction),
        }

    def run(self, steps: int, on_iteration: Callable[[int, dict], None] | None = None) -> int:
        """Collect-and-update for at least `steps` env steps; returns the env steps taken."""
        generator = torch.Generator().manual_seed(self.cfg.seed)
        per_iteration = self.cfg.rollout_steps * self.cfg.num_envs
        done_steps = 0
        for _ in range(math.ceil(steps / per_iteration)):
            stats = self.update(self.collect(), generator)
            done_steps += per_iteration
            if on_iteration is not None:
                on_iteration(done_steps, stats)
        self.envs.close()
        return done_steps


def train(cfg: PPOConfig, log: Callable[[str], None] = print) -> tuple[dict, dict, dict]:
    """Train and return (architecture spec, best actor state dict, training metadata incl. the critic)."""
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.torch_threads)
    probe = make_env(cfg.env_id)
    obs_dim, act_dim = int(probe.observation_space.shape[0]), int(probe.action_space.shape[0])
    probe.close()
    arch = {
        "kind": "mlp_gaussian",
        "obs_dim": obs_dim,
        "act_dim": act_dim,
        "hidden": list(cfg.hidden),
        "log_std_init": cfg.log_std_init,
    }
    actor = build_network(arch)
    critic = ValueMLP(obs_dim, list(cfg.hidden))
    learner = PPOLearner(actor, critic, cfg, update_obs_stats=True)

    selection_seeds = [cfg.selection_seed + i for i in range(cfg.eval_episodes)]
    best = {
        "score": -np.inf,
        "step": 0,
        "actor": copy.deepcopy(actor.state_dict()),
        "critic": copy.deepcopy(critic.state_dict()),
    }
    history = []
    start = time.time()
    next_eval = cfg.eval_every

    def on_iteration(step: int, stats: dict) -> None:
        nonlocal best, next_eval
        if step < next_eval and step < cfg.total_steps:
            return
        next_eval += cfg.eval_every
        score = selection_score(actor, cfg.env_id, selection_seeds)
        history.append({"step": step, "selection_score": score, **stats})
        log(
            f"step {step}: selection score {score:.1f}, policy loss {stats['policy_loss']:.4f}, "
            f"value loss {stats['value_loss']:.3f}, clip fraction {stats['clip_fraction']:.3f}, "
            f"{time.time() - start:.0f}s"
        )
        if score > best["score"]:
            best = {
                "score": score,
                "step": step,
                "actor": copy.deepcopy(actor.state_dict()),
                "critic": copy.deepcopy(critic.state_dict()),
            }

    learner.run(cfg.total_steps, on_iteration)
    meta = {
        "algorithm": "ppo",
        "hyperparameters": asdict(cfg),
        "selected_step": best["step"],
        "selection_score": best["score"],
        "selection_seeds": selection_seeds,
        "history": history,
        "train_wall_time_s": time.time() - start,
        # The critic is not part of the deployed policy; RL fine-tuning of compressed variants starts from it.
        "critic": {"hidden": list(cfg.hidden), "state_dict": best["critic"]},
    }
    return arch, best["actor"], meta


def finetune(actor: nn.Module, cfg: PPOConfig, steps: int, critic: dict | None = None) -> dict:
    """RL fine-tuning of a (compressed) Gaussian policy in place: PPO for `steps` env steps.

    The observation normaliser stays as trained (it is part of the deployed policy). The critic
    starts from the one saved with the checkpoint, or from scratch when there is none.
    """
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    obs_dim = int(actor.obs_mean.numel())
    hidden = critic["hidden"] if critic else list(cfg.hidden)
    value = ValueMLP(obs_dim, hidden)
    if critic:
        value.load_state_dict(critic["state_dict"])
    else:
        value.obs_mean.copy_(actor.obs_mean)
        value.obs_var.copy_(actor.obs_var)
    learner = PPOLearner(actor, value, cfg, update_obs_stats=False)
    env_steps = learner.run(steps)
    actor.eval()
    return {"rl_algorithm": "ppo", "rl_env_steps": env_steps, "rl_critic": "from checkpoint" if critic else "fresh"}


ALGORITHM = Algorithm(name="ppo", config=PPOConfig, train=train, finetune=finetune)
