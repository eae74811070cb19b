"""Agent steps per second of the seed's Atari protocol: tinyrl.episodes.atari.ale.SeedProtocol against the gymnasium
wrapper stack it replaces (the same observations, bit for bit: tests/test_atari_protocol.py).

    python benchmarks/atari_protocol.py [steps] [repeats]

Both play the same random actions on Montezuma's Revenge, alternating, in one process; prints each
one's median rate and their ratio. Run it on a quiet machine.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_atari_protocol import gymnasium_stack  # noqa: E402

from tinyrl.episodes.atari import MAX_EPISODE_STEPS, make_atari_env  # noqa: E402

ENV_ID = "ALE/MontezumaRevenge-v5"


def steps_per_second(env, actions: np.ndarray) -> float:
    env.reset(seed=0)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return len(actions) / (time.perf_counter() - start)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    actions = np.random.default_rng(0).integers(0, 18, steps)
    envs = {
        "tinyrl SeedProtocol": make_atari_env(ENV_ID),
        "gymnasium wrappers": gymnasium_stack(ENV_ID, MAX_EPISODE_STEPS, 0.0, 0),
    }
    rates = {name: [] for name in envs}
    for _ in range(repeats):
        for name, env in envs.items():
            rates[name].append(steps_per_second(env, actions))
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, rate in medians.items():
        print(f"{name:<22} {rate:7.0f} agent steps/s (median of {repeats} x {steps} steps)")
    print(f"ratio                  {medians['tinyrl SeedProtocol'] / medians['gymnasium wrappers']:.2f}")


if __name__ == "__main__":
    main()
