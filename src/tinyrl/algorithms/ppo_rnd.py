"""PPO with Random Network Distillation (Burda et al., 2018) for Atari, as the reference
implementation the seed study used (alirezakazemipour/PPO-RND).

One file, CleanRL style: hyperparameters in `PPORNDConfig` (the reference's defaults), the
loop in `train`. The policy is the reference network (networks.PPORNDPolicy) with two value
heads: extrinsic returns are episodic (gamma 0.999), intrinsic ones are not (gamma 0.99);
the intrinsic reward is the predictor's error at matching a fixed random target network on
the next frame, normalised by the running std of the discounted intrinsic return. Advantages
are combined as 2 x extrinsic + 1 x intrinsic. Frames for RND are normalised by running
statistics gathered with a random policy first (`pre_normalization_steps`), clipped to +-5.
Training uses sticky actions (p = 0.25); the evaluation protocol does not.

Runs on CPU (a smoke run in the tests) or on a GPU when one is there. Training can be cut
into bounded runs: `time_budget_s` stops a run after an iteration, and the full trainer
state (networks, optimiser, running statistics, counters) goes to `resume_path`, from which
the next run continues. `reference_path` receives the reference implementation's
`params.pth` dict as well.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from gymnasium.wrappers.utils import RunningMeanStd

from tinyrl.algorithms.common.record import Algorithm
from tinyrl.atomic import save_torch
from tinyrl.episodes.atari import make_atari_env
from tinyrl.policies.checkpoint import safe_torch_load
from tinyrl.policies.networks import RNDPredictor, RNDTarget, build_network


@dataclass
class PPORNDConfig:
    """PPO with Random Network Distillation (the reference implementation's hyperparameters)."""

    env_id: str = "ALE/MontezumaRevenge-v5"
    """Atari game"""
    seed: int = 0
    """seeds numpy, torch and the environments"""
    total_steps: int = 50_000_000
    """agent steps over all environments"""
    num_envs: int = 128
    """environments stepped together"""
    async_envs: bool = True
    """one process per environment"""
    rollout_steps: int = 128
    """steps per environment per iteration"""
    update_epochs: int = 4
    """passes over each iteration's rollout"""
    minibatches: int = 4
    """minibatches per pass"""
    learning_rate: float = 1e-4
    """Adam learning rate (policy and predictor)"""
    ext_gamma: float = 0.999
    """discount of the extrinsic reward"""
    int_gamma: float = 0.99
    """discount of the intrinsic reward"""
    gae_lambda: float = 0.95
    """GAE lambda"""
    ext_adv_coef: float = 2.0
    """weight of the extrinsic advantage"""
    int_adv_coef: float = 1.0
    """weight of the intrinsic advantage"""
    ent_coef: float = 0.001
    """entropy bonus weight"""
    clip_coef: float = 0.1
    """PPO's probability-ratio clip"""
    max_grad_norm: float = 0.5
    """gradient norm clip"""
    predictor_proportion: float = 0.25
    """share of each minibatch the RND predictor learns from (32 / 128 envs)"""
    pre_normalization_steps: int = 50
    """random-policy steps per environment that seed the frame statistics"""
    sticky_action_prob: float = 0.25
    """sticky actions while training (evaluation uses none)"""
    device: str = "auto"
    """auto: cuda when available"""
    time_budget_s: float | None = None
    """stop (resumably) after the iteration that passes this"""
    resume_path: str | None = None
    """training state saved at the end and resumed from when present"""
    reference_path: str | None = None
    """where to write the reference params.pth"""
    torch_threads: int = 1
    """torch intra-op threads"""


def _make_envs(cfg: PPORNDConfig) -> gym.vector.VectorEnv:
    make = [
        lambda: make_atari_env(cfg.env_id, repeat_action_probability=cfg.sticky_action_prob)
        for _ in range(cfg.num_envs)
    ]
    vector = gym.vector.AsyncVectorEnv if cfg.async_envs else gym.vector.SyncVectorEnv
    return vector(make, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)


def _discounted_returns(
    rewards: torch.Tensor, values: torch.Tensor, next_value: torch.Tensor, dones: torch.Tensor, gamma: float, lam: float
) -> torch.Tensor:
    """GAE(lambda) advantages over a (T, N) rollout; `dones` marks steps that ended an episode."""
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(next_value)
    for t in reversed(range(len(rewards))):
        following = next_value if t == len(rewards) - 1 else values[t + 1]
        delta = rewards[t] + gamma * following * (1 - dones[t]) - values[t]
        last = delta + gamma * lam * (1 - dones[t]) * last
        advantages[t] = last
    return advantages


class PPORND:
    """The networks, optimiser and running statistics, and one PPO-RND iteration at a time."""

    def __init__(self, cfg: PPORNDConfig, device: torch.device):
        self.cfg, self.device = cfg, device
        torch.manual_seed(cfg.seed)
        self.arch = {"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18}
        self.policy = build_network(self.arch).to(device)
        self.target = RNDTarget([1, 84, 84]).to(device).requires_grad_(False)
        self.predictor = RNDPredictor([1, 84, 84]).to(device)
        self.optimizer = torch.optim.Adam(
            [*self.policy.parameters(), *self.predictor.parameters()], lr=cfg.learning_rate
        )
        self.frame_rms = RunningMeanStd(shape=(1, 84, 84))
        self.int_return_rms = RunningMeanStd(shape=())
        self.int_return = np.zeros(cfg.num_envs)
        self.running_return = np.zeros(cfg.num_envs)  # extrinsic return of each env's current episode
        self.iteration, self.env_steps, self.episode_returns = 0, 0, []

    # --- state for resuming and for the reference format -------------------------------------
    def state(self) -> dict:
        return {
            "policy": self.policy.state_dict(),
            "predictor": self.predictor.state_dict(),
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "frame_rms": [self.frame_rms.mean, self.frame_rms.var, float(self.frame_rms.count)],
            "int_return_rms": [
                float(self.int_return_rms.mean),
                float(self.int_return_rms.var),
                float(self.int_return_rms.count),
            ],
            "iteration": self.iteration,
            "env_steps": self.env_steps,
            "episode_returns": self.episode_returns[-1000:],
            "config": asdict(self.cfg),
        }

    def load_state(self, state: dict) -> None:
        self.policy.load_state_dict(state["policy"])
        self.predictor.load_state_dict(state["predictor"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.frame_rms.mean, self.frame_rms.var, self.frame_rms.count = state["frame_rms"]
        self.int_return_rms.mean, self.int_return_rms.var, self.int_return_rms.count = state["int_return_rms"]
        self.iteration, self.env_steps = state["iteration"], state["env_steps"]
        self.episode_returns = list(state["episode_returns"])

    def reference_params(self) -> dict:
        """The reference implementation's params.pth layout."""
        return {
            "current_policy_state_dict": self.policy.state_dict(),
            "predictor_model_state_dict": self.predictor.state_dict(),
            "target_model_state_dict": self.target.state_dict(),
            "optimizer_state_dict": self.optimizer.state_dict(),
            "state_rms_mean": self.frame_rms.mean,
            "state_rms_var": self.frame_rms.var,
            "state_rms_count": np.float64(self.frame_rms.count),
            "int_reward_rms_mean": np.float64(self.int_return_rms.mean),
            "int_reward_rms_var": np.float64(self.int_return_rms.var),
            "int_reward_rms_count": np.float64(self.int_return_rms.count),
            "iteration": self.iteration,
            "episode": len(self.episode_returns),
        }

    # --- RND ----------------------------------------------------------------------------------
    def _rnd_input(self, frames: torch.Tensor) -> torch.Tensor:
        """The newest frame of each stack, normalised by the running frame statistics, clipped to +-5."""
        mean = torch.as_tensor(self.frame_rms.mean, dtype=torch.float32, device=self.device)
        std = torch.as_tensor(np.sqrt(self.frame_rms.var), dtype=torch.float32, device=self.device)
        return ((frames[:, -1:].float() - mean) / (std + 1e-8)).clamp(-5, 5)

    def intrinsic_reward(self, frames: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            x = self._rnd_input(frames)
            return (self.predictor(x) - self.target(x)).pow(2).sum(dim=1) / 2

    # --- one iteration ------------------------------------------------------------------------
    def collect(self, envs, obs: np.ndarray, generator: torch.Generator) -> tuple[dict, np.ndarray]:
        cfg, device = self.cfg, self.device
        t_max, n = cfg.rollout_steps, cfg.num_envs
        buf = {
            "obs": torch.zeros((t_max, n, 4, 84, 84), dtype=torch.uint8),
            "next_frames": torch.zeros((t_max, n, 1, 84, 84), dtype=torch.uint8),
            "actions": torch.zeros((t_max, n), dtype=torch.int64),
            "logprobs": torch.zeros((t_max, n)),
            "ext_rewards": torch.zeros((t_max, n)),
            "dones": torch.zeros((t_max, n)),
            "ext_values": torch.zeros((t_max, n)),
            "int_values": torch.zeros((t_max, n)),
        }
        self.policy.eval()
        for t in range(t_max):
            obs_t = torch.as_tensor(obs, device=device)
            with torch.no_grad():
                logits, int_value, ext_value = self.policy.heads(obs_t)
            probs = torch.softmax(logits.float(), dim=1).cpu()
            action = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            next_obs, reward, terminated, truncated, info = envs.step(action.numpy())
            done = terminated | truncated
            self.running_return += reward
            # The frame after the action is the RND input; for a finished episode that is its final frame.
            after = np.asarray(next_obs).copy()
            for i in np.flatnonzero(done):
                after[i] = info["final_obs"][i]
                self.episode_returns.append(float(self.running_return[i]))
                self.running_return[i] = 0.0
            buf["obs"][t] = obs_t.cpu()
            buf["next_frames"][t] = torch.as_tensor(after[:, -1:])
            buf["actions"][t] = action
            buf["logprobs"][t] = torch.log_softmax(logits, dim=1).cpu()[torch.arange(n), action]
            buf["ext_rewards"][t] = torch.as_tensor(reward, dtype=torch.float32)
            buf["dones"][t] = torch.as_tensor(done, dtype=torch.float32)
            buf["ext_values"][t], buf["int_values"][t] = ext_value.cpu(), int_value.cpu()
            obs = next_obs
        self.env_steps += t_max * n
        with torch.no_grad():
            _, next_int_value, next_ext_value = self.policy.heads(torch.as_tensor(obs, device=device))
        buf["next_ext_value"], buf["next_int_value"] = next_ext_value.cpu(), next_int_value.cpu()
        return buf, obs

    def update(self, buf: dict, generator: torch.Generator) -> dict:
        cfg, device = self.cfg, self.device
        t_max, n = buf["actions"].shape
        frames = buf["next_frames"].reshape(t_max * n, 1, 84, 84)
        int_rewards = torch.cat(
            [self.intrinsic_reward(frames[i : i + 4096].to(device)).cpu() for i in range(0, len(frames), 4096)]
        ).reshape(t_max, n)
        # Normalise intrinsic rewards by the running std of the (non-episodic) discounted intrinsic return.
        returns = []
        for t in range(t_max):
            self.int_return = self.int_return * cfg.int_gamma + int_rewards[t].numpy()
            returns.append(self.int_return.copy())
        self.int_return_rms.update(np.concatenate(returns))
        int_rewards = int_rewards / float(np.sqrt(self.int_return_rms.var) + 1e-8)
        ext_adv = _discounted_returns(
            buf["ext_rewards"], buf["ext_values"], buf["next_ext_value"], buf["dones"], cfg.ext_gamma, cfg.gae_lambda
        )
        int_adv = _discounted_returns(
            int_rewards,
            buf["int_values"],
            buf["next_int_value"],
            torch.zeros_like(buf["dones"]),
            cfg.int_gamma,
            cfg.gae_lambda,
        )
        ext_ret, int_ret = ext_adv + buf["ext_values"], int_adv + buf["int_values"]
        advantages = cfg.ext_adv_coef * ext_adv + cfg.int_adv_coef * int_adv
        # The whole batch goes to the device once; minibatches are indexed there.
        flat = {
            "obs": buf["obs"].reshape(t_max * n, 4, 84, 84),
            "frames": frames,
            "actions": buf["actions"].reshape(-1),
            "logprobs": buf["logprobs"].reshape(-1),
            "advantages": advantages.reshape(-1),
            "ext_ret": ext_ret.reshape(-1),
            "int_ret": int_ret.reshape(-1),
        }
        flat = {key: value.to(device) for key, value in flat.items()}
        pixels = flat["frames"].float()
        self.frame_rms.update_from_moments(
            pixels.mean(dim=0).cpu().double().numpy(),
            pixels.var(dim=0, unbiased=False).cpu().double().numpy(),
            len(pixels),
        )
        batch = t_max * n
        size = batch // cfg.minibatches
        self.policy.train()
        stats = []
        for _ in range(cfg.update_epochs):
            order = torch.randperm(batch, generator=generator).to(device)
            for start in range(0, batch, size):
                idx = order[start : start + size]
                mb = {k: v[idx] for k, v in flat.items()}
                logits, int_value, ext_value = self.policy.heads(mb["obs"])
                logprob_all = torch.log_softmax(logits, dim=1)
                logprob = logprob_all.gather(1, mb["actions"][:, None]).squeeze(1)
                ratio = (logprob - mb["logprobs"]).exp()
                adv = mb["advantages"]
                policy_loss = -torch.min(ratio * adv, ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef) * adv).mean()
                value_loss = 0.5 * (F.mse_loss(ext_value, mb["ext_ret"]) + F.mse_loss(int_value, mb["int_ret"]))
                entropy = -(logprob_all.exp() * logprob_all).sum(dim=1).mean()
                x = self._rnd_input(mb["frames"])
                rnd_error = (self.predictor(x) - self.target(x)).pow(2).mean(dim=1)
                keep = (torch.rand(len(rnd_error), generator=generator) < cfg.predictor_proportion).to(device)
                rnd_loss = (rnd_error * keep).sum() / keep.sum().clamp(min=1)
                loss = policy_loss + value_loss - cfg.ent_coef * entropy + rnd_loss
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(
                    [*self.policy.parameters(), *self.predictor.parameters()], cfg.max_grad_norm
                )
                self.optimizer.step()
                stats.append([policy_loss.item(), value_loss.item(), entropy.item(), rnd_loss.item()])
        self.policy.eval()
        mean = np.mean(stats, axis=0)
        self.iteration += 1
        return {
            "policy_loss": mean[0],
            "value_loss": mean[1],
            "entropy": mean[2],
            "rnd_loss": mean[3],
            "int_reward_mean": float(int_rewards.mean()),
        }


def _seed_frame_statistics(agent: PPORND, envs, cfg: PPORNDConfig, rng: np.random.Generator) -> np.ndarray:
    obs, _ = envs.reset(seed=[cfg.seed + i for i in range(cfg.num_envs)])
    frames = []
    for _ in range(cfg.pre_normalization_steps):
        obs, *_ = envs.step(rng.integers(0, 18, cfg.num_envs))
        frames.append(np.asarray(obs)[:, -1:].astype(np.float64))
    agent.frame_rms.update(np.concatenate(frames))
    return obs


def train(cfg: PPORNDConfig, log: Callable[[str], None] = print) -> tuple[dict, dict, dict]:
    """Train (or continue from `resume_path`); returns (architecture, policy state dict, metadata)."""

    torch.set_num_threads(cfg.torch_threads)
    device = torch.device(
        "cuda"
        if cfg.device == "auto" and torch.cuda.is_available()
        else ("cpu" if cfg.device == "auto" else cfg.device)
    )
    agent = PPORND(cfg, device)
    rng = np.random.default_rng(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    resumed = cfg.resume_path and Path(cfg.resume_path).exists()
    if resumed:
        agent.load_state(safe_torch_load(cfg.resume_path))
        log(f"resumed from {cfg.resume_path}: iteration {agent.iteration}, {agent.env_steps} steps")
    envs = _make_envs(cfg)
    start, start_steps = time.perf_counter(), agent.env_steps
    if resumed:
        obs, _ = envs.reset(seed=[cfg.seed + 7919 * agent.iteration + i for i in range(cfg.num_envs)])
    else:
        obs = _seed_frame_statistics(agent, envs, cfg, rng)
    while agent.env_steps < cfg.total_steps:
        buf, obs = agent.collect(envs, obs, generator)
        stats = agent.update(buf, generator)
        recent = [r for r in agent.episode_returns[-100:] if r == r]
        if agent.iteration % 10 == 0 or agent.env_steps >= cfg.total_steps:
            log(
                f"iteration {agent.iteration}, {agent.env_steps} steps: episodes {len(agent.episode_returns)}, "
                f"mean return (last 100) {np.mean(recent) if recent else float('nan'):.1f}, "
                f"max {max(recent) if recent else float('nan'):.0f}, intrinsic reward {stats['int_reward_mean']:.4f}, "
                f"entropy {stats['entropy']:.3f}, {time.perf_counter() - start:.0f} s "
                f"({(agent.env_steps - start_steps) / max(time.perf_counter() - start, 1e-9):.0f} steps/s)"
            )
        if cfg.time_budget_s and time.perf_counter() - start > cfg.time_budget_s:
            log(f"time budget of {cfg.time_budget_s:.0f} s reached: stopping after iteration {agent.iteration}")
            break
    envs.close()
    if cfg.resume_path:
        save_torch(cfg.resume_path, agent.state())
    if cfg.reference_path:
        save_torch(cfg.reference_path, agent.reference_params())
    recent = [r for r in agent.episode_returns[-100:] if r == r]
    meta = {
        "algorithm": "ppo_rnd",
        "hyperparameters": asdict(cfg),
        "iterations": agent.iteration,
        "env_steps": agent.env_steps,
        "device": str(device),
        "training_episodes": len(agent.episode_returns),
        "mean_training_return_last_100": float(np.mean(recent)) if recent else None,
        "train_wall_time_s_last_run": time.perf_counter() - start,
    }
    state = {k: v.detach().cpu().clone() for k, v in agent.policy.state_dict().items()}
    return agent.arch, state, meta


ALGORITHM = Algorithm(name="ppo_rnd", config=PPORNDConfig, train=train)
