"""Forward-pass timing on the fixed observation set (the seed's protocol: mean of 500 passes of batch 100)."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from tinyrl.stats import summarize_times

DISTINCT_BATCHES = 50  # batches are prepared in advance and cycled, so indexing is not timed


def time_forward(model: nn.Module, observations: np.ndarray, passes: int, batch_size: int,
                 warmup: int, threads: int, seed: int = 0) -> dict:
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    data = torch.as_tensor(observations, dtype=torch.float32)
    batches = [data[rng.integers(0, len(data), batch_size)] for _ in range(min(passes, DISTINCT_BATCHES))]
    times = []
    with torch.inference_mode():
        for i in range(warmup):
            model(batches[i % len(batches)])
        for i in range(passes):
            batch = batches[i % len(batches)]
            start = time.perf_counter()
            model(batch)
            times.append(time.perf_counter() - start)
    return {
        **summarize_times(times),
        "batch_size": batch_size,
        "warmup": warmup,
        "threads": torch.get_num_threads(),
        "quantized_engine": torch.backends.quantized.engine,
        "backend": "torch-eager",
        "times_s": times,
    }
