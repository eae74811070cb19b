"""The machine's float32 GEMM rate: the ceiling against which each variant's forward pass is read.

Square float32 matrix products through torch (MKL or OpenBLAS, as the build ships), with the
study's timing thread count; the ceiling is the best size's median rate. A policy's forward
pass is small GEMMs and convolutions, so its achieved fraction shows how much of the machine
the kernels reach, and how much any backend could still gain.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from tinyrl.jobs.provenance import cpu_model

SIZES = (256, 512, 1024)


def gemm_rate(size: int, repeats: int, min_seconds: float = 0.05) -> list[float]:
    """FLOP/s of `repeats` timed groups of `size` x `size` products (2 size^3 FLOPs each)."""
    generator = torch.Generator().manual_seed(size)
    a = torch.randn(size, size, generator=generator)
    b = torch.randn(size, size, generator=generator)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)
    start, calls = time.perf_counter(), 0  # calls per group so that a group lasts min_seconds
    while time.perf_counter() - start < min_seconds:
        torch.mm(a, b, out=out)
        calls += 1
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            torch.mm(a, b, out=out)
        rates.append(2.0 * size**3 * calls / (time.perf_counter() - start))
    return rates


def measure_ceiling(threads: int, repeats: int = 15) -> dict:
    torch.set_num_threads(threads)
    sizes = {}
    for size in SIZES:
        rates = gemm_rate(size, repeats)
        sizes[str(size)] = {
            "median_flops_per_s": float(np.median(rates)),
            "max_flops_per_s": float(max(rates)),
            "q25_flops_per_s": float(np.quantile(rates, 0.25)),
            "q75_flops_per_s": float(np.quantile(rates, 0.75)),
        }
    best = max(sizes, key=lambda s: sizes[s]["median_flops_per_s"])
    return {
        "flops_per_s": sizes[best]["median_flops_per_s"],
        "best_size": int(best),
        "sizes": sizes,
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "processor": cpu_model(),
        "torch": torch.__version__,
        "blas": "mkl" if torch.backends.mkl.is_available() else "other",
    }
