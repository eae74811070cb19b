"""RL trainers, one readable file per algorithm (CleanRL style), each declaring its `ALGORITHM` record beside its
code (sb3.py declares `ALGORITHMS`, one record per Stable-Baselines3 algorithm it trains with); what they share
is in `common/`. Adding an algorithm is adding its module: the registry below finds it.
"""

from __future__ import annotations

import importlib
import pkgutil

from tinyrl.algorithms.common.record import Algorithm


def _declared(module_name: str) -> tuple[Algorithm, ...]:
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, "ALGORITHMS", None) or (module.ALGORITHM,)


ALGORITHMS: dict[str, Algorithm] = {
    record.name: record
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.ispkg)
    for record in _declared(module)
}


def get_algorithm(name: str) -> Algorithm:
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise KeyError(f"unknown algorithm {name!r} (known: {', '.join(ALGORITHMS)})") from None


def finetunable() -> list[str]:
    """The algorithms that can RL-fine-tune a compressed policy."""
    return [name for name, algorithm in ALGORITHMS.items() if algorithm.finetune is not None]
