"""RL trainers, one readable file per algorithm (CleanRL style), each declaring its `ALGORITHM` record
(sb3.py declares one record per Stable-Baselines3 algorithm it trains with)."""

from __future__ import annotations

from tinyrl.algorithms import ddqn, demo_clone, ppo, ppo_rnd, sb3
from tinyrl.algorithms.common.record import Algorithm

ALGORITHMS: dict[str, Algorithm] = {
    record.name: record
    for record in (*(module.ALGORITHM for module in (ddqn, ppo, demo_clone, ppo_rnd)), *sb3.ALGORITHMS)
}


def get_algorithm(name: str) -> Algorithm:
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise KeyError(f"unknown algorithm {name!r} (known: {', '.join(ALGORITHMS)})") from None


def finetunable() -> list[str]:
    """The algorithms that can RL-fine-tune a compressed policy."""
    return [name for name, algorithm in ALGORITHMS.items() if algorithm.finetune is not None]
