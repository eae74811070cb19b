"""Training with Stable-Baselines3 itself (PPO, A2C, DQN, SAC, TD3 with an MlpPolicy).

For the worked example of "your own policy" (configs/sb3_cartpole.yaml): the pretrain rule trains
the agent with SB3's own `learn`, saves SB3's zip with `model.save`, and reads it back with tiny_rl's
safe importer (tinyrl.importers.sb3_zip), exactly as it reads a zip you bring. Nothing is downloaded.
SB3 is imported when a training starts, not with this module: its import costs every job 0.2 s.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tinyrl.algorithms.common.record import Algorithm
from tinyrl.importers.sb3_zip import convert_file

SB3_CLASSES = {"sb3_ppo": "PPO", "sb3_a2c": "A2C", "sb3_dqn": "DQN", "sb3_sac": "SAC", "sb3_td3": "TD3"}


@dataclass
class SB3Config:
    """What the pretrain rule passes to SB3 (the algorithm is the agent's `algorithm`: sb3_ppo, ...)."""

    env_id: str = "CartPole-v1"
    """gymnasium environment id (flat observations)"""
    hidden: list[int] = field(default_factory=lambda: [64, 64])
    """the MlpPolicy's net_arch: widths of the actor's hidden layers"""
    seed: int = 0
    """SB3's seed (its model, its environment)"""
    total_steps: int = 50_000
    """environment steps of model.learn"""
    sb3_kwargs: dict = field(default_factory=dict)
    """further keyword arguments of the SB3 algorithm's constructor (its own hyperparameters: n_steps, ...)"""


def trainer(name: str) -> Callable[..., tuple[dict, dict, dict]]:
    def train(cfg: SB3Config, log: Callable[[str], None] = print) -> tuple[dict, dict, dict]:
        """Train with SB3, save its zip, and return what tiny_rl's importer reads off it."""
        import stable_baselines3  # noqa: PLC0415  (see the module docstring)

        start = time.time()
        algorithm = getattr(stable_baselines3, SB3_CLASSES[name])
        model = algorithm(
            "MlpPolicy",
            cfg.env_id,
            seed=cfg.seed,
            device="cpu",
            policy_kwargs={"net_arch": list(cfg.hidden)},
            **cfg.sb3_kwargs,
        )
        model.learn(cfg.total_steps)
        log(f"{SB3_CLASSES[name]} on {cfg.env_id}: {cfg.total_steps} steps in {time.time() - start:.0f} s")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{name}-{cfg.env_id.replace('/', '_')}.zip"
            model.save(path)
            data = convert_file(path)
        meta = data["meta"] | {
            "produced_by": f"{data['meta']['produced_by']} after training by the pretrain rule",
            "hyperparameters": asdict(cfg),
            "train_wall_time_s": time.time() - start,
        }
        return data["arch"], data["state_dict"], meta

    return train


def describe(meta: dict) -> str:
    """A zip SB3 saved after the pretrain rule trained it: its final weights, read by the importer."""
    hp = meta["hyperparameters"]
    return (
        f"{meta.get('produced_by')}: {hp.get('total_steps')} environment steps (seed {hp.get('seed')}, "
        f"{meta.get('train_wall_time_s', float('nan')) / 60:.1f} min on its machine), its final weights"
    )


ALGORITHMS = tuple(
    Algorithm(name=name, config=SB3Config, train=trainer(name), describe=describe) for name in SB3_CLASSES
)
