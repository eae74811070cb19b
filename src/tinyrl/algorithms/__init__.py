"""RL trainers, one readable file per algorithm (CleanRL style), each declaring its `ALGORITHM` record."""

from __future__ import annotations

from tinyrl.algorithms import ddqn, demo_clone, ppo, ppo_rnd
from tinyrl.algorithms.record import Algorithm

ALGORITHMS: dict[str, Algorithm] = {
    module.ALGORITHM.name: module.ALGORITHM for module in (ddqn, ppo, demo_clone, ppo_rnd)
}


def get_algorithm(name: str) -> Algorithm:
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise KeyError(f"unknown algorithm {name!r} (known: {', '.join(ALGORITHMS)})") from None


def finetunable() -> list[str]:
    """The algorithms that can RL-fine-tune a compressed policy."""
    return [name for name, algorithm in ALGORITHMS.items() if algorithm.finetune is not None]
